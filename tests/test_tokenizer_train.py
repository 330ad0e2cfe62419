"""`corpusgen tokenizer train` and `corpusgen build --tokenizer`: files, settings, gold
joins, export parity, round trips, determinism and every bad input."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tokenizer_fixtures import (
    BACKGROUND,
    LANGS,
    VOCAB,
    corpusgen,
    small_build,
    stage_texts,
    trained_build,
    word_lists,
)

from mnemophrase.tokenizer.errors import TokenizerError
from mnemophrase.tokenizer.train import record_in_card, record_in_stats, train_tokenizer
from tests.conftest import assert_one_line_failure

FILES = ("tokenizer.model", "tokenizer.json", "tokenizer_config.json")


@pytest.fixture(scope="session")
def build(tmp_path_factory) -> Path:
    return small_build(tmp_path_factory)


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> Path:
    return trained_build(tmp_path_factory)


@pytest.fixture(scope="session")
def sp(trained):
    import sentencepiece as spm

    return spm.SentencePieceProcessor(model_file=str(trained / "tokenizer" / "tokenizer.model"))


@pytest.fixture(scope="session")
def hf(trained):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(trained / "tokenizer"))


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def hyperwords(root: Path, split: str) -> list[list[str]]:
    frame = pl.read_parquet(root / "data" / "mnemo" / f"{split}-00000-of-00001.parquet",
                            columns=["constituents"])
    return [[c["surface"] for c in row] for row in frame["constituents"].to_list()]


# --- what training writes ----------------------------------------------------------------

def test_train_writes_the_three_files_and_returns_its_settings(trained, sp):
    tok = trained / "tokenizer"
    assert all((tok / name).is_file() for name in FILES)
    recorded = json.loads((tok / "settings.json").read_text(encoding="utf-8"))
    assert recorded["model_type"] == "unigram"
    assert recorded["vocab_size"] == sp.get_piece_size() == VOCAB
    assert recorded["options"]["normalization_rule_name"] == "identity"
    assert recorded["options"]["add_dummy_prefix"] is False
    assert recorded["background"]["words"] == {code: BACKGROUND for code in LANGS}
    # a finisher returns its settings: the build's stats and card are not its to edit
    assert "tokenizer" not in json.loads((trained / "stats.json").read_text(encoding="utf-8"))
    assert not list(trained.glob(".tokenizer*")), "temporary folders left behind"


def test_recording_puts_the_settings_in_stats_and_the_card(trained, tmp_path):
    copy = tmp_path / "recorded"
    shutil.copytree(trained, copy)
    settings = json.loads((copy / "tokenizer" / "settings.json").read_text(encoding="utf-8"))
    record_in_stats(copy, settings)
    record_in_card(copy, settings)
    assert json.loads((copy / "stats.json").read_text(encoding="utf-8"))["tokenizer"] == settings
    card = (copy / "README.md").read_text(encoding="utf-8")
    assert f"- tokenizer: unigram vocab {settings['vocab_size']:,} (in `tokenizer/`)" in card
    # the card's YAML header (what load_dataset reads) is still there
    assert card.startswith("---\n") and "config_name: mnemo" in card


def test_specials_have_the_ids_the_training_plugin_expects(sp, hf):
    assert (sp.pad_id(), sp.bos_id(), sp.eos_id(), sp.unk_id()) == (0, 1, 2, 3)
    assert (hf.pad_token_id, hf.bos_token_id, hf.eos_token_id, hf.unk_token_id) == (0, 1, 2, 3)
    # like SentencePiece, the transformers tokenizer adds nothing around the text
    assert hf("вода")["input_ids"] == sp.encode("вода")


def test_the_build_finisher_returns_the_settings_it_wrote(build, tmp_path):
    from mnemophrase.tokenizer.train import train_into_build

    copy = tmp_path / "finished"
    shutil.copytree(build, copy)
    settings = train_into_build(copy, quiet=True, vocab_size=5000, background=0)
    assert all((copy / "tokenizer" / name).is_file() for name in FILES)
    assert settings == json.loads((copy / "tokenizer" / "settings.json").read_text("utf-8"))
    assert settings["model_type"] == "unigram" and settings["vocab_size"] > 0


def test_same_build_gives_the_same_tokenizer(build, tmp_path, tmp_path_factory):
    copies = []
    for name in ("a", "b"):
        copy = tmp_path / name
        shutil.copytree(build, copy)
        train_tokenizer(copy, vocab_size=VOCAB, background=BACKGROUND,
                        background_files=word_lists(tmp_path_factory))
        copies.append(digest(copy / "tokenizer"))
    same = {k: v for k, v in copies[0].items() if k != "settings.json"}
    assert same == {k: v for k, v in copies[1].items() if k != "settings.json"}
    # the model names no temporary folder
    model = (tmp_path / "a" / "tokenizer" / "tokenizer.model").read_bytes()
    assert b".tokenizer.tmp" not in model and str(tmp_path).encode() not in model


# --- the gold joins ----------------------------------------------------------------------

def test_seen_hyperwords_are_cut_at_every_join(trained, sp):
    """Hyperwords are cut at every join; training ones mostly one token per word. (A
    2,000-scene build at 6k pieces loses some rare words to pruning, and its few test
    hyperwords hold words it never trained on; the 100k build scores F1 0.999 at 1.00.
    A vanilla unigram scores F1 ~0.8 at ~1.4 tokens per word here.)"""
    from mnemophrase.tokenizer.evaluate import score_boundaries

    for split in ("train", "test"):
        rows = hyperwords(trained, split)
        offsets = [r["offsets"] for r in sp.encode(["".join(p) for p in rows],
                                                   out_type="offset_mapping")]
        score = score_boundaries(rows, offsets)
        # the test split holds a few dozen hyperwords: one missed join is 0.02 of recall
        assert score.recall >= (0.99 if split == "train" else 0.97), (split, score)
        if split == "train":
            assert score.f1 >= 0.93 and score.tokens_per_word <= 1.1, score


def test_no_piece_is_a_whole_training_hyperword(trained, sp):
    # with the joins as hard boundaries, no multi-word hyperword can become one piece
    pieces = {sp.id_to_piece(i) for i in range(sp.get_piece_size())}
    rows = hyperwords(trained, "train")
    assert not [p for p in rows if len(p) > 1 and "".join(p) in pieces]


# --- export parity and round trips --------------------------------------------------------

def test_transformers_ids_equal_sentencepiece_on_every_stage(trained, sp, hf):
    texts = stage_texts(trained)
    assert len(texts) > 10000
    expected = sp.encode(texts)
    got = hf(texts, add_special_tokens=False)["input_ids"]
    mismatches = [t for t, a, b in zip(texts, expected, got) if a != b]
    assert not mismatches, mismatches[:3]
    assert sum(map(len, got)) > len(texts)    # not the silent empty tokenizer


def test_bpe_model_trains_and_exports_with_parity(build, tmp_path):
    import sentencepiece as spm
    from transformers import AutoTokenizer

    copy = tmp_path / "bpe"
    shutil.copytree(build, copy)
    settings = train_tokenizer(copy, model_type="bpe", vocab_size=5000, background=0)
    assert settings["model_type"] == "bpe"
    sp = spm.SentencePieceProcessor(model_file=str(copy / "tokenizer" / "tokenizer.model"))
    hf = AutoTokenizer.from_pretrained(str(copy / "tokenizer"))
    texts = stage_texts(copy)
    got = hf(texts, add_special_tokens=False)["input_ids"]
    assert [t for t, a, b in zip(texts, sp.encode(texts), got) if a != b] == []


EDGE_CASES = [
    "водагрустьплавностьсвет", "waterгрустьแสง", "น้ำแสงความเศร้า",   # SARA AM survives
    "two  spaces", " leading space", "trailing space ", "line\nbreak\ttab",
    "emoji 😀 and 中文 never seen", "ЗАГЛАВНЫЕ Буквы", "",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_round_trip_is_exact_on_edge_cases(sp, hf, text):
    assert sp.decode(sp.encode(text)) == text
    ids = hf(text, add_special_tokens=False)["input_ids"]
    assert ids == sp.encode(text)
    assert hf.decode(ids) == text


def test_round_trip_is_exact_on_every_stage(trained, sp, hf):
    texts = stage_texts(trained)
    assert [t for t, d in zip(texts, sp.decode(sp.encode(texts))) if t != d] == []
    ids = hf(texts, add_special_tokens=False)["input_ids"]
    assert [t for t, d in zip(texts, hf.batch_decode(ids)) if t != d] == []


# Cyrillic, Latin, Thai (with its combining marks), digits, punctuation, whitespace and a
# few characters no build contains; "<" and ">" are left out so "<s>" cannot form
ALPHABET = st.sampled_from(list("водагрустьсвет" "waterlight" "น้ำแสงเศร้าำ่" "0123 ,.!?\n\t"
                                "ЖЁ€😀中ñ"))


# derandomized: every run tries the same 150 texts, so a red run is reproducible; the one
# divergence random runs have found is pinned below as a known failure
@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.text(ALPHABET, max_size=40))
def test_any_text_round_trips_with_identical_ids(sp, hf, text):
    ids = sp.encode(text)
    assert sp.decode(ids) == text
    assert hf(text, add_special_tokens=False)["input_ids"] == ids
    assert hf.decode(ids) == text


@pytest.mark.xfail(strict=True, reason="a tie between two cuts of equal score ('l'+'ll' and "
                   "'ll'+'l'): SentencePiece and tokenizers' Unigram break it differently")
def test_a_tie_between_equal_cuts_gives_identical_ids(sp, hf):
    text = "0แ0lll"
    assert hf(text, add_special_tokens=False)["input_ids"] == sp.encode(text)


# --- bad input: one line, non-zero exit, nothing lost -------------------------------------



def test_no_such_folder(tmp_path):
    result = corpusgen("tokenizer", "train", tmp_path / "missing")
    assert_one_line_failure(result, "missing", "no such folder")


def test_folder_without_the_mnemo_stage(build, tmp_path):
    copy = tmp_path / "nomnemo"
    shutil.copytree(build, copy)
    shutil.rmtree(copy / "data" / "mnemo")
    result = corpusgen("tokenizer", "train", copy)
    assert_one_line_failure(result, "no mnemo stage")
    assert not (copy / "tokenizer").exists()


def test_vocabulary_too_small_keeps_the_old_tokenizer(trained):
    before = digest(trained / "tokenizer")
    stats_before = (trained / "stats.json").read_bytes()
    result = corpusgen("tokenizer", "train", trained, "--vocab-size", 500)
    assert_one_line_failure(result, "vocabulary size 500 is too small", "lexicon words")
    assert digest(trained / "tokenizer") == before
    assert (trained / "stats.json").read_bytes() == stats_before
    assert not list(trained.glob(".tokenizer*"))


def test_unknown_model_type_is_a_usage_error(trained):
    result = corpusgen("tokenizer", "train", trained, "--model", "wordpiece")
    assert result.exit_code == 2 and "Traceback" not in result.stderr


def test_retraining_replaces_the_card_line_and_the_tokenizer(build, tmp_path):
    copy = tmp_path / "twice"
    shutil.copytree(build, copy)
    for vocab in (5000, 4000):
        settings = train_tokenizer(copy, vocab_size=vocab, background=0)
        record_in_stats(copy, settings)
        record_in_card(copy, settings)
    card = (copy / "README.md").read_text(encoding="utf-8")
    lines = [line for line in card.splitlines() if line.startswith("- tokenizer: ")]
    assert lines == ["- tokenizer: unigram vocab 4,000 (in `tokenizer/`)"]
    assert json.loads((copy / "stats.json").read_text())["tokenizer"]["vocab_size"] == 4000
    # the library's recording keeps the file record true: the build is not "damaged"
    assert corpusgen("check", copy, "--quick").exit_code == 0


# --- the background vocabulary --------------------------------------------------------------

def _tokens_per_word(sp, words: list[str]) -> float:
    return sum(len(ids) for ids in sp.encode(words)) / len(words)


def test_background_words_become_pieces_without_hurting_seen_words(trained, build, tmp_path,
                                                                   tmp_path_factory):
    import sentencepiece as spm

    from mnemophrase.tokenizer.scoring import score_boundaries
    from mnemophrase.tokenizer.tiers import build_texts, occurring

    plain = tmp_path / "plain"
    shutil.copytree(build, plain)
    train_tokenizer(plain, vocab_size=VOCAB, background=0)
    with_lists = spm.SentencePieceProcessor(
        model_file=str(trained / "tokenizer" / "tokenizer.model"))
    without = spm.SentencePieceProcessor(model_file=str(plain / "tokenizer" / "tokenizer.model"))
    constituents, texts = build_texts(build)
    for code, path in word_lists(tmp_path_factory).items():
        listed = path.read_text(encoding="utf-8").split()[:BACKGROUND]
        seen = occurring(listed, constituents, texts)
        unseen = [w for w in listed if w not in seen]
        assert len(unseen) > 300, code
        ours, theirs = _tokens_per_word(with_lists, unseen), _tokens_per_word(without, unseen)
        assert ours < theirs * 0.8, (code, ours, theirs)
    rows = hyperwords(build, "test") + hyperwords(build, "validation")
    joined = ["".join(p) for p in rows]
    scores = []
    for sp in (with_lists, without):
        offsets = [r["offsets"] for r in sp.encode(joined, out_type="offset_mapping")]
        scores.append(score_boundaries(rows, offsets))
    assert scores[0].recall >= scores[1].recall - 0.02, scores
    assert scores[0].f1 >= scores[1].f1 - 0.02, scores


def test_background_lists_come_from_the_language_plugins(build, tmp_path, monkeypatch):
    from mnemophrase.corpusgen.lang import get_language

    monkeypatch.setenv("MNEMO_CACHE", str(tmp_path / "cache"))
    given = {}
    for code in LANGS:
        lang = get_language(code)
        words = ["zzkwordone", "zzkwordtwo"] if code == "en" else []
        monkeypatch.setattr(type(lang), "background_words",
                            lambda self, limit, words=words: words[:limit], raising=False)
        given[code] = words
    copy = tmp_path / "plugins"
    shutil.copytree(build, copy)
    settings = train_tokenizer(copy, vocab_size=5000, background=5)
    assert settings["background"]["words"] == {"en": 2}
    assert settings["background"]["source"] == {"en": "language plug-in"}
    assert settings["background"]["counted_words"] == 2


@pytest.mark.parametrize("problem", ["missing", "folder", "not utf-8", "no words",
                                     "foreign language", "negative size"])
def test_background_bad_inputs_are_one_line_errors(build, tmp_path, problem):
    copy = tmp_path / "b"
    shutil.copytree(build, copy)
    path = tmp_path / "words.txt"
    files, size = {"ru": path}, 100
    if problem == "missing":
        fragment = "no such word list"
    elif problem == "folder":
        path.mkdir()
        fragment = "a folder, not a word list"
    elif problem == "not utf-8":
        path.write_bytes("вода".encode("cp1251"))
        fragment = "not UTF-8"
    elif problem == "no words":
        path.write_text("water\n123\n", encoding="utf-8")
        fragment = "no Russian words in it"
    elif problem == "foreign language":
        files = {"xx": path}
        fragment = "background list for xx, which the build does not have"
    else:
        files, size, fragment = None, -1, "background size -1 is negative"
    with pytest.raises(TokenizerError, match=fragment) as info:
        train_tokenizer(copy, vocab_size=5000, background=size, background_files=files)
    assert "\n" not in str(info.value)
    assert not (copy / "tokenizer").exists()


def test_a_word_list_with_a_bom_and_crlf_is_read(build, tmp_path):
    from mnemophrase.tokenizer.background import read_word_file

    path = tmp_path / "ru.txt"
    path.write_bytes("\ufeffвода\r\nГрусть\r\nwater\r\nвода\r\n".encode("utf-8"))
    assert read_word_file(path, "ru") == ["вода", "грусть"]


@pytest.mark.parametrize("damage", ["parquet cut short", "stats.json not JSON",
                                    "tokenizer folder of the user's"])
def test_damaged_builds_and_foreign_folders_are_one_line_errors(build, tmp_path, damage):
    copy = tmp_path / "damaged"
    shutil.copytree(build, copy)
    if damage == "parquet cut short":
        shard = min((copy / "data" / "bridge").glob("train-*.parquet"))
        shard.write_bytes(shard.read_bytes()[:200])
        fragment = "cut short"
    elif damage == "stats.json not JSON":
        (copy / "stats.json").write_text("{not json", encoding="utf-8")
        fragment = "stats.json"
    else:
        (copy / "tokenizer").mkdir()
        (copy / "tokenizer" / "notes.txt").write_text("mine", encoding="utf-8")
        fragment = "did not make"
    with pytest.raises(TokenizerError, match=fragment) as info:
        train_tokenizer(copy, vocab_size=5000, background=0)
    assert "\n" not in str(info.value)
    if damage == "tokenizer folder of the user's":
        assert (copy / "tokenizer" / "notes.txt").read_text(encoding="utf-8") == "mine"
