"""The cache: one root that honours MNEMO_CACHE and XDG_CACHE_HOME, said aloud once, sized and
emptied by `corpusgen cache`, and never a reason for a build to fail."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from mnemophrase.corpusgen.cache import cache_root, cached
from tests.conftest import run


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("MNEMO_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_root_is_mnemo_cache_then_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv("MNEMO_CACHE", str(tmp_path / "m"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert cache_root() == tmp_path / "m"
    monkeypatch.delenv("MNEMO_CACHE")
    assert cache_root() == tmp_path / "x" / "mnemo"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root() == tmp_path / "home" / ".cache" / "mnemo"


def _build(out: Path, *extra):
    return run("build", "--langs", "en", "-n", 30, "--mix", 0, "--out", out, "--quiet", *extra)


def _forms(root: Path) -> list[Path]:
    return sorted((root / "forms").glob("forms-*.pkl"))


def test_the_first_write_is_announced_once(root, tmp_path):
    first = _build(tmp_path / "a")
    assert first.exit_code == 0
    said = [line for line in first.stderr.splitlines() if "caching" in line]
    assert said == [(f"corpusgen: caching inflected forms and word checks of the lexicons, and "
                     f"datasets' Arrow metadata in "
                     f"{root / 'forms'} (`corpusgen cache info` sizes it, "
                     "`corpusgen cache clear` removes it)")]
    assert len(_forms(root)) == 1
    again = _build(tmp_path / "b", "--seed", 2)
    assert again.exit_code == 0 and again.stderr == ""


DAMAGE = [pickle.dumps(None), b"", b"not a pickle at all", pickle.dumps({"plain": 1})[:7],
          pickle.dumps(42), pickle.dumps({"plain": {}})]


def test_a_corrupt_forms_entry_is_rebuilt_not_fatal(root, mini_lexicon):
    from mnemophrase.corpusgen.cache import cached_forms
    from mnemophrase.corpusgen.lang import get_language
    from mnemophrase.corpusgen.lexicon import load_lexicon

    lex = load_lexicon(mini_lexicon, ["en"])
    rows, pos = lex.word_rows("en"), lex.concepts["pos"].to_list()
    english = get_language("en")
    good = cached_forms(english, rows, pos)
    (entry,) = _forms(root)
    written = entry.read_bytes()
    for damage in DAMAGE:
        entry.write_bytes(damage)
        again = cached_forms(english, rows, pos)
        assert again.plain["lemma"].tolist() == good.plain["lemma"].tolist()
        assert entry.read_bytes() == written, damage


def test_word_checks_are_cached_and_a_changed_word_is_checked_again(root, mini_lexicon,
                                                                    monkeypatch):
    from mnemophrase.corpusgen.lang.en import English
    from mnemophrase.corpusgen.lexicon import LexiconInvalid, load_lexicon

    checked = []
    real = English.check_word
    monkeypatch.setattr(English, "check_word",
                        lambda self, word, pos: checked.append(word) or real(self, word, pos))
    first = load_lexicon(mini_lexicon, ["en"])
    assert len(checked) == first.words["en"].height
    assert load_lexicon(mini_lexicon, ["en"]).words["en"].equals(first.words["en"])
    assert len(checked) == first.words["en"].height  # the second load checked nothing
    path = mini_lexicon / "en.tsv"
    path.write_text(path.read_text(encoding="utf-8").replace("\twater\t", "\twaterr\t"),
                    encoding="utf-8")
    with pytest.raises(LexiconInvalid, match="waterr"):
        load_lexicon(mini_lexicon, ["en"])
    assert "waterr" in checked


def test_datasets_is_asked_once_for_the_arrow_metadata_then_not_imported(root):
    """What datasets adds to the Arrow layout is its own answer, cached: a build with a
    warm cache does not import datasets (0.6 s) at all."""
    from datasets import Features

    from mnemophrase.corpusgen.contract import SCHEMA
    from mnemophrase.corpusgen.output.hf_arrow import arrow_schema

    asks = ("import sys\n"
            "from mnemophrase.corpusgen.output.hf_arrow import arrow_schema, saved_files\n"
            "arrow_schema(); saved_files(['train', 'test'])\n"
            "print('datasets' in sys.modules)\n")
    env = {**os.environ, "MNEMO_CACHE": str(root)}
    said = [subprocess.run([sys.executable, "-c", asks], env=env, capture_output=True,
                           text=True, check=True).stdout.split() for _ in range(2)]
    assert said == [["True"], ["False"]]
    assert arrow_schema().equals(Features.from_arrow_schema(SCHEMA).arrow_schema,
                                 check_metadata=True)


def test_a_build_after_a_cache_entry_that_unpickles_to_none(root, tmp_path):
    assert _build(tmp_path / "a").exit_code == 0
    (entry,) = _forms(root)
    entry.write_bytes(pickle.dumps(None))
    result = _build(tmp_path / "b")
    assert result.exit_code == 0, result.stderr
    a = (tmp_path / "a" / "stats.json").read_text(encoding="utf-8")
    b = (tmp_path / "b" / "stats.json").read_text(encoding="utf-8")
    assert a == b


def test_a_cache_that_cannot_be_written_is_skipped(root, tmp_path):
    root.write_text("a file where the cache folder would go")
    result = _build(tmp_path / "a")
    assert result.exit_code == 0 and result.stderr == ""
    assert root.read_text() == "a file where the cache folder would go"


def test_cached_recomputes_what_valid_rejects(root):
    calls = []

    def compute():
        calls.append(1)
        return [1, 2, 3]

    assert cached("thing", "k", compute, kind="words") == [1, 2, 3]
    assert cached("thing", "k", compute, kind="words") == [1, 2, 3] and len(calls) == 1
    assert cached("thing", "k", compute, kind="words", valid=lambda v: len(v) == 4) == [1, 2, 3]
    assert len(calls) == 2


def test_cache_info_sizes_and_clear_leaves_what_is_not_ours(root, tmp_path):
    empty = run("cache", "info")
    assert empty.exit_code == 0 and "empty" in empty.stdout
    assert _build(tmp_path / "a").exit_code == 0
    (root / "notes.txt").write_text("mine")
    info = run("cache", "info")
    assert info.exit_code == 0
    lines = info.stdout.splitlines()
    assert lines[0].startswith(f"{root}: ") and "in 1 entries" in lines[0]
    forms = next(line for line in lines if line.strip().startswith("forms "))
    # the forms and the checks, the Arrow schema and the save_to_disk files
    assert "4 files" in forms and "inflected forms" in forms
    assert any("notes.txt" in line and "leaves it alone" in line for line in lines)
    cleared = run("cache", "clear")
    assert cleared.exit_code == 0 and cleared.stdout.startswith("removed forms (")
    assert not (root / "forms").exists() and (root / "notes.txt").read_text() == "mine"
    assert run("cache", "clear").stdout.strip() == f"{root}: nothing to remove"


def test_clear_removes_only_the_entries_it_made_in_a_root_that_held_files(root, tmp_path):
    """MNEMO_CACHE pointed at a folder of the user's, which already had a `words/` of its
    own: `cache clear` removes the project's entries and not one of the user's files."""
    (root / "words").mkdir(parents=True)
    (root / "words" / "my-list.txt").write_text("mine")
    (root / "smollm2-135m-instruct").mkdir()
    (root / "smollm2-135m-instruct" / "notes.md").write_text("mine too")
    assert _build(tmp_path / "a").exit_code == 0
    (root / "forms" / "draft.pkl").write_text("not a cache entry")
    made = _forms(root)
    assert made
    cleared = run("cache", "clear")
    assert cleared.exit_code == 0, cleared.stderr
    assert not any(p.exists() for p in made)
    assert (root / "words" / "my-list.txt").read_text() == "mine"
    assert (root / "smollm2-135m-instruct" / "notes.md").read_text() == "mine too"
    assert (root / "forms" / "draft.pkl").read_text() == "not a cache entry"
    assert cleared.stdout.splitlines()[-1].startswith("left forms/draft.pkl, ")
    assert cleared.stdout.splitlines()[-1].endswith(": not made by corpusgen")
