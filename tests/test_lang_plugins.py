"""The language plug-in interface: what every plug-in declares, and that a folder plus a
lexicon file is all a new language needs — registry, lexicon check, build and card (the
wheel: tests/test_wheel.py)."""

from __future__ import annotations

import ast
import json
import shutil
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

import mnemophrase.corpusgen.lang
from mnemophrase.corpusgen.lang import available_languages, get_language, language_versions
from mnemophrase.corpusgen.lang.base import Forms, Language
from mnemophrase.corpusgen.lexicon import default_lexicon_dir, load_lexicon
from tests.conftest import run

ROOT = Path(__file__).resolve().parents[1]
CODES = available_languages()


@pytest.mark.parametrize("code", CODES)
def test_every_plugin_declares_what_the_other_parts_read(code):
    language = get_language(code)
    assert isinstance(language, Language) and language.code == code
    assert language.name and language.name[0].isupper() and language.script
    assert language.libraries, "the forms cache key and stats versions come from here"
    for dist in language.libraries:
        metadata.version(dist)  # each one a distribution that is installed
    words = load_lexicon(langs=[code]).words[code]["word"].to_list()
    assert words and all(language.word_pattern.fullmatch(w) for w in words)
    assert all(language.script_pattern.fullmatch(w) for w in words)
    assert language.script_pattern.fullmatch(words[0].upper()), "either case is the script"
    assert not language.script_pattern.fullmatch("123")


@pytest.mark.parametrize("code", ["ru", "en", "th"])
def test_background_words_are_ranked_lemmas_of_the_script(code):
    language = get_language(code)
    words = language.background_words(300)
    assert len(words) == 300 and len(set(words)) == 300
    assert all(language.script_pattern.fullmatch(w) for w in words)
    assert language.background_words(20) == words[:20]  # a ranking: a prefix for a smaller limit
    common = {"ru": {"в", "и", "быть", "год"}, "en": {"the", "be", "have", "year"},
              "th": {"ที่", "การ", "เป็น"}}[code]
    assert common <= set(words)
    if code != "th":  # inflected forms are folded into their lemma
        inflected = {"ru": {"была", "года"}, "en": {"was", "years"}}[code]
        assert not inflected & set(words)


@pytest.mark.parametrize("code,text,words,expected", [
    ("ru", "тень на берегу реки", ["берег", "река", "вода"], [True, True, False]),
    ("en", "two wolves were running", ["wolf", "run", "stone"], [True, True, False]),
    ("th", "แม่น้ำแข็ง", ["แม่", "น้ำแข็ง", "ไฟ"], [True, True, False]),
])
def test_names_words_matches_by_lemma_without_a_vocabulary(code, text, words, expected):
    """The experiment scores a model's output through the plug-in, not by prefixes."""
    assert get_language(code).names_words([text], [words]) == [expected]


def test_language_versions_are_the_declared_libraries():
    versions = language_versions(["ru", "th"])
    assert set(versions) == set(get_language("ru").libraries) | {"pythainlp"}
    assert versions["pythainlp"] == metadata.version("pythainlp")


def test_forms_spread_leaves_out_concepts_without_a_word():
    forms = Forms(plain={"lemma": np.array(["a", "b"], dtype=object)},
                  agreeing={"x": np.array([["a1", "a2"], ["b1", "b2"]], dtype=object)},
                  agree_class=np.array([1, 0], dtype=np.int8))
    wide = forms.spread(np.array([0, 2]), 3)
    assert wide.plain["lemma"].tolist() == ["a", None, "b"]
    assert wide.agreeing["x"].tolist() == [["a1", "a2"], [None, None], ["b1", "b2"]]
    assert wide.agree_class.tolist() == [1, 0, 0]


def test_forms_of_inflects_only_the_words_there_are():
    language = get_language("en")
    lex = load_lexicon(langs=["en"])
    rows = lex.word_rows("en")[:6]
    pos = lex.concepts["pos"].to_list()[:6]
    full = language.forms_of(rows, pos)
    rows[2] = None
    gapped = language.forms_of(rows, pos)
    assert gapped.plain["lemma"][2] is None and gapped.plain["lemma"][3] == full.plain["lemma"][3]
    assert all(table[2] is None for table in gapped.plain.values())


# --- corpusgen lang check ------------------------------------------------------------------

@pytest.mark.parametrize("code", ["ru", "en", "th"])
def test_lang_check_passes_the_shipped_languages(code):
    result = run("lang", "check", code)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"ok: {code}: ")


def test_lang_check_reports_a_frame_asking_for_a_form_the_grammar_cannot_make(monkeypatch):
    english = get_language("en")
    broken = (*english.gloss_frames, "{element.ablative} of {light.plural}")
    monkeypatch.setattr(type(english), "gloss_frames", broken)
    result = run("lang", "check", "en")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    frame = f"gloss frame {len(broken)} '{broken[-1]}'"
    assert (f"{frame}: {{element.ablative}} asks for the plain form 'ablative', which the "
            "grammar does not make") in lines
    assert lines[-1].startswith("corpusgen: en: ") and lines[-1].endswith("2 problems")
    assert "Traceback" not in result.output


def test_lang_check_reports_a_plan_said_only_as_a_gloss(monkeypatch):
    english = get_language("en")
    monkeypatch.setattr(type(english), "gloss_frames",
                        (*english.gloss_frames, "{sound.lemma} and {plant.lemma}"))
    result = run("lang", "check", "en")
    assert result.exit_code == 1
    assert ("plan plant+sound has a gloss but no sentence: it is dropped from every build "
            "with en") in result.stderr


def test_lang_check_of_an_unknown_code_is_one_line():
    result = run("lang", "check", "xx")
    assert result.exit_code == 2
    assert f"unknown language 'xx'; available: {', '.join(CODES)}" in result.stderr


# --- a new language is a folder and a lexicon file ------------------------------------------

PSEUDO = '''"""Pseudo-English: English grammar under another code; the core names no language."""

from mnemophrase.corpusgen.lang.en import English


class Pseudo(English):
    code = "zz"
    name = "Pseudish"


LANGUAGE = Pseudo()
'''


@pytest.fixture
def pseudo_language(tmp_path, monkeypatch):
    """A plug-in folder `zz/` outside the package, put on mnemophrase.corpusgen.lang's search path,
    and a lexicon folder holding the shipped files plus zz.tsv."""
    plugins = tmp_path / "plugins"
    (plugins / "zz").mkdir(parents=True)
    (plugins / "zz" / "__init__.py").write_text(PSEUDO, encoding="utf-8")
    monkeypatch.setattr(mnemophrase.corpusgen.lang, "__path__",
                        [*mnemophrase.corpusgen.lang.__path__, str(plugins)])
    available_languages.cache_clear()
    get_language.cache_clear()
    lexicons = tmp_path / "lex"
    shutil.copytree(default_lexicon_dir(), lexicons, ignore=shutil.ignore_patterns("__*"))
    shutil.copy(lexicons / "en.tsv", lexicons / "zz.tsv")
    yield lexicons
    sys.modules.pop("mnemophrase.corpusgen.lang.zz", None)
    monkeypatch.undo()
    available_languages.cache_clear()
    get_language.cache_clear()


def test_a_folder_and_a_lexicon_file_make_a_language(pseudo_language, tmp_path):
    assert "zz" in available_languages()
    check = run("lexicon", "check", "--lexicons", pseudo_language, "--langs", "zz")
    assert check.exit_code == 0, check.stderr
    out = tmp_path / "zz-build"
    # one process: the plug-in is on this process's search path only (a real one lives in
    # mnemophrase/corpusgen/lang/, where worker processes find it too)
    built = run("build", "--lexicons", pseudo_language, "--langs", "zz", "--n", 200,
                "--out", out, "--quiet", "--mix", 0, "--workers", 1)
    assert built.exit_code == 0, built.stderr
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert stats["options"]["langs"] == ["zz"]
    assert "Pseudish" in (out / "README.md").read_text(encoding="utf-8")
    assert run("check", out, "--lexicons", pseudo_language).exit_code == 0


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def test_no_module_outside_the_plugins_names_a_language_code():
    """A string constant in code (not a docstring) equal to a language code, outside
    mnemophrase/corpusgen/lang/<code>/, is the core knowing a language it should ask a plug-in
    about."""
    offenders = []
    for path in sorted((ROOT / "mnemophrase" / "corpusgen").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("mnemophrase/corpusgen/lang/") and rel.count("/") > 2:
            continue  # inside a plug-in folder
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and node.value in CODES
                    and id(node) not in skip):
                offenders.append(f"{rel}:{node.lineno}: {node.value!r}")
    assert not offenders, "\n".join(offenders)
