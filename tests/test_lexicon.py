"""The shipped lexicons pass their check, and every kind of damage is named by file and line."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from mnemophrase.corpusgen.lang import available_languages
from mnemophrase.corpusgen.lexicon import load_lexicon
from tests.conftest import run


def test_shipped_lexicons_pass_with_the_promised_size():
    result = run("lexicon", "check", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["concepts"] >= 1000
    # the first three languages cover every concept; a later one may leave some out
    assert {lang: summary["langs"][lang] for lang in ("ru", "en", "th")} == {
        "ru": summary["concepts"], "en": summary["concepts"], "th": summary["concepts"]}
    assert all(0 < n <= summary["concepts"] for n in summary["langs"].values())
    lex = load_lexicon()
    per_field = lex.concepts.group_by("field").len()
    assert per_field.filter(per_field["len"] >= 30).height >= 12
    pos = dict(lex.concepts.group_by("pos").len().iter_rows())
    assert pos["noun"] >= 300 and pos["adj"] >= 100 and pos["verb"] >= 80


def test_summary_line():
    result = run("lexicon", "check")
    assert result.exit_code == 0
    assert result.stdout.startswith("ok: ") and "concepts in" in result.stdout


def test_lexicon_loads_as_polars_frames():
    lex = load_lexicon(langs=["ru"])
    assert list(lex.words) == ["ru"]
    assert lex.words["ru"].columns == ["concept", "word", "place_prep"]
    assert lex.words["ru"].filter(lex.words["ru"]["concept"] == "water")["word"].item() == "вода"


def _edit(path: Path, old: str, new: str) -> int:
    """Replace the first line containing `old`; returns its 1-based line number."""
    lines = path.read_text(encoding="utf-8").split("\n")
    for i, line in enumerate(lines):
        if old in line:
            lines[i] = line.replace(old, new, 1) if new is not None else None
            break
    else:
        raise AssertionError(f"{old!r} not in {path}")
    path.write_text("\n".join(x for x in lines if x is not None), encoding="utf-8")
    return i + 1


def _line_of(path: Path, prefix: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if line.startswith(prefix):
            return i + 1
    raise AssertionError(prefix)


def _check(lex: Path, *extra: str):
    result = run("lexicon", "check", "--lexicons", lex, *extra)
    assert result.exit_code == 1
    assert "Traceback" not in result.output + result.stderr
    return result.stderr.strip().splitlines()


CASES = [
    # (file, old text, new text, expected message)
    ("ru.tsv", "water\tвода", "water\twater", "word 'water' is not one lowercase Cyrillic word"),
    ("en.tsv", "water\twater", "water\tвода", "word 'вода' is not one lowercase Latin word"),
    ("th.tsv", "water\tน้ำ", "water\twater", "word 'water' is not one lowercase Thai word"),
    ("ru.tsv", "water\tвода", "water\tводаыщ", "pymorphy3 does not know the word 'водаыщ'"),
    ("ru.tsv", "water\tвода", "water\tбыстрый",
     "pymorphy3 knows 'быстрый' only as ADJF, not as a noun lemma"),
    ("th.tsv", "water\tน้ำ", "water\tน้ำน้ำน้ำ", "'น้ำน้ำน้ำ' is not one word of pythainlp's dictionary"),
    ("en.tsv", "water\twater", "water\tzyzzyvax",
     "'zyzzyvax' is not among wordfreq's top 50,000 English words"),
    ("th.tsv", "น้ำ\tหยด", "น้ำ\tหยดหยดหยด",
     "classifier 'หยดหยดหยด' is not a word of pythainlp's dictionary"),
    ("ru.tsv", "water\tвода", "water\t", "empty word for concept 'water'"),
    ("concepts.tsv", "water\telement", "water\tnonsense", "unknown semantic field 'nonsense'"),
    ("concepts.tsv", "\tnoun\telement", "\tnoun\tweather_god", "unknown role 'weather_god'"),
]


@pytest.mark.parametrize("file,old,new,message", CASES, ids=[c[3][:40] for c in CASES])
def test_damaged_word_is_named_by_file_and_line(mini_lexicon, file, old, new, message):
    line = _edit(mini_lexicon / file, old, new)
    assert f"{mini_lexicon / file}:{line}: {message}" in _check(mini_lexicon)


def test_missing_column(mini_lexicon):
    path = mini_lexicon / "en.tsv"
    text = path.read_text(encoding="utf-8").replace("\tcountable", "\tcount", 1)
    path.write_text(text, encoding="utf-8")
    assert _check(mini_lexicon) == [f"{path}:1: missing column 'countable'"]


def test_duplicate_concept_id(mini_lexicon):
    path = mini_lexicon / "concepts.tsv"
    first = _line_of(path, "water\t")
    with path.open("a", encoding="utf-8") as f:
        f.write("water\telement\tnoun\telement\n")
    last = len(path.read_text(encoding="utf-8").splitlines())
    assert (f"{path}:{last}: duplicate concept id 'water' (first on line {first})"
            in _check(mini_lexicon))


def test_a_language_may_leave_a_concept_out(mini_lexicon):
    _edit(mini_lexicon / "th.tsv", "water\tน้ำ", None)
    result = run("lexicon", "check", "--lexicons", mini_lexicon, "--langs", "ru,en,th", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["langs"]["th"] == summary["concepts"] - 1
    lex = load_lexicon(mini_lexicon, ["th", "ru"])
    rows = lex.word_rows("th")
    at = lex.concepts["concept"].to_list().index("water")
    assert rows[at] is None and rows[at - 1] is not None and len(rows) == lex.concepts.height
    assert lex.word_rows("ru")[at]["word"] == "вода"


def test_language_row_for_unknown_concept(mini_lexicon):
    path = mini_lexicon / "en.tsv"
    with path.open("a", encoding="utf-8") as f:
        f.write("unicorn\tunicorn\tyes\t\n")
    last = len(path.read_text(encoding="utf-8").splitlines())
    assert f"{path}:{last}: unknown concept 'unicorn' (not in concepts.tsv)" in _check(mini_lexicon)


def test_errors_are_capped_at_twenty_and_counted(mini_lexicon):
    path = mini_lexicon / "en.tsv"
    lines = path.read_text(encoding="utf-8").splitlines()
    broken = [lines[0]] + [line.replace("\t", "\tЖ", 1) for line in lines[1:]]
    path.write_text("\n".join(broken) + "\n", encoding="utf-8")
    out = _check(mini_lexicon)
    assert len(out) == 21 and out[-1].startswith("... and ") and out[-1].endswith(" more problems")


def test_missing_lexicon_folder(tmp_path):
    result = run("lexicon", "check", "--lexicons", tmp_path / "nowhere")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"{tmp_path / 'nowhere'}: no such lexicon folder"


def test_a_lexicon_path_that_is_a_file(tmp_path):
    path = tmp_path / "lexicon.tsv"
    path.write_text("concept\tword\n")
    result = run("lexicon", "check", "--lexicons", path)
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "is a file" in result.stderr
    from mnemophrase.corpusgen.lexicon import LexiconInvalid

    with pytest.raises(LexiconInvalid, match="a file, not a lexicon folder"):
        load_lexicon(path)


def test_a_language_without_a_plugin_is_one_line(mini_lexicon):
    from mnemophrase.corpusgen.lexicon import LexiconInvalid

    with pytest.raises(LexiconInvalid) as caught:
        load_lexicon(mini_lexicon, ["ru", "zz"])
    assert str(caught.value) == (f"{mini_lexicon}: no language plug-in for 'zz' (available: "
                                 f"{', '.join(available_languages())})")


def test_unknown_language_lists_the_available_ones():
    result = run("lexicon", "check", "--langs", "ru,xx")
    assert result.exit_code == 2
    assert f"unknown language xx; available: {', '.join(available_languages())}" in result.stderr


# --- files as editors write them ------------------------------------------------------------

def _rewrite(path: Path, transform) -> None:
    path.write_bytes(transform(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("name,transform", [
    ("bom", lambda t: "\ufeff".encode() + t.encode()),
    ("crlf", lambda t: t.replace("\n", "\r\n").encode()),
    ("bom+crlf", lambda t: ("\ufeff" + t.replace("\n", "\r\n")).encode()),
    ("nfd", lambda t: unicodedata.normalize("NFD", t).encode()),
    ("utf16", lambda t: t.encode("utf-16")),
])
def test_lexicons_as_editors_save_them_load_the_same(mini_lexicon, name, transform):
    before = load_lexicon(mini_lexicon, ["ru", "en", "th"])
    for file in ("concepts.tsv", "fields.tsv", "roles.tsv", "ru.tsv", "en.tsv", "th.tsv"):
        _rewrite(mini_lexicon / file, transform)
    result = run("lexicon", "check", "--lexicons", mini_lexicon, "--langs", "ru,en,th")
    assert result.exit_code == 0, result.stderr
    after = load_lexicon(mini_lexicon, ["ru", "en", "th"])
    assert after.concepts.equals(before.concepts)
    for lang in ("ru", "en", "th"):
        assert after.words[lang].equals(before.words[lang]), lang


def test_a_decomposed_yo_is_the_same_letter(mini_lexicon):
    # "ёж" typed as е + COMBINING DIAERESIS, as some keyboards and macOS file names give it
    with (mini_lexicon / "concepts.tsv").open("a", encoding="utf-8") as f:
        f.write("hedgehog\tanimal\tnoun\tcreature\n")
    with (mini_lexicon / "ru.tsv").open("a", encoding="utf-8") as f:
        f.write("hedgehog\tе\u0308ж\t\n")
    result = run("lexicon", "check", "--lexicons", mini_lexicon, "--langs", "ru")
    assert result.exit_code == 0, result.stderr
    words = load_lexicon(mini_lexicon, ["ru"]).words["ru"]
    assert words.filter(words["concept"] == "hedgehog")["word"].item() == "ёж"


def test_a_file_in_another_encoding_names_the_line_and_the_fix(mini_lexicon):
    path = mini_lexicon / "ru.tsv"
    lines = path.read_text(encoding="utf-8").splitlines()
    head, rest = "\n".join(lines[:3]) + "\n", "\n".join(lines[3:])
    path.write_bytes(head.encode() + rest.encode("cp1251"))
    out = _check(mini_lexicon, "--langs", "ru")
    assert len(out) == 1 and out[0].startswith(f"{path}:4: not UTF-8 text")
    assert out[0].endswith("save the file as UTF-8")


# --- a lexicon the check passes is one the build can use ------------------------------------

LANGS3 = "ru,en,th"


def _keep_concepts(root: Path, keep) -> Path:
    """`root` (a copy of the shipped lexicons) with only the concepts `keep(row)` accepts,
    in concepts.tsv and in every language file."""
    lines = (root / "concepts.tsv").read_text(encoding="utf-8").splitlines()
    body = [line for line in lines[1:] if keep(line.split("\t"))]
    (root / "concepts.tsv").write_text("\n".join([lines[0], *body]) + "\n", encoding="utf-8")
    ids = {line.split("\t")[0] for line in body}
    for lang in LANGS3.split(","):
        rows = (root / f"{lang}.tsv").read_text(encoding="utf-8").splitlines()
        kept = [r for r in rows[1:] if r.split("\t")[0] in ids]
        (root / f"{lang}.tsv").write_text("\n".join([rows[0], *kept]) + "\n", encoding="utf-8")
    return root


def _one_per_role(root: Path) -> Path:
    covered: set[str] = set()

    def first_of_a_role(row):
        roles = set(row[3].split(","))
        if roles <= covered:
            return False
        covered.update(roles)
        return True
    return _keep_concepts(root, first_of_a_role)


def _header_only(root: Path) -> Path:
    path = root / "th.tsv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    return root


UNBUILDABLE = {
    "no adjectives": (lambda r: _keep_concepts(r, lambda c: c[2] != "adj"),
                      "no adj concept has a word in ru, en, th", "an adjective"),
    "no verbs": (lambda r: _keep_concepts(r, lambda c: c[2] != "verb"),
                 "no verb concept has a word in ru, en, th", "a verb"),
    "one concept": (lambda r: _keep_concepts(r, lambda c: c[0] == "water"),
                    "no verb concept has a word", "a verb"),
    "two concepts": (lambda r: _keep_concepts(r, lambda c: c[0] in ("water", "fire")),
                     "no adj concept has a word", "an adjective"),
    "a language file with only its header": (_header_only, "th.tsv: no words",
                                             "a noun, an adjective and a verb"),
}


@pytest.mark.parametrize("case", UNBUILDABLE)
def test_the_check_names_what_the_build_needs(tmp_path, case):
    from tests.conftest import copy_lexicon

    make, problem, need = UNBUILDABLE[case]
    lex = make(copy_lexicon(tmp_path / "lex"))
    check = run("lexicon", "check", "--lexicons", lex, "--langs", LANGS3)
    assert check.exit_code == 1 and "Traceback" not in check.stderr
    assert any(problem in line and need in line for line in check.stderr.splitlines()), \
        check.stderr
    built = run("build", "--lexicons", lex, "--langs", LANGS3, "--n", 50, "--quiet",
                "--out", tmp_path / "out", "--workers", 1)
    assert built.exit_code == 1 and "Traceback" not in built.stderr
    assert built.stderr.splitlines() == check.stderr.splitlines()
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("parts", [("2", "3"), ("3", "4"), ("4", "4")])
def test_one_concept_per_role_passes_the_check_and_builds(tmp_path, parts):
    """Few concepts: plans whose slots cannot hold distinct ones are left out, not drawn."""
    from tests.conftest import copy_lexicon

    lex = _one_per_role(copy_lexicon(tmp_path / "lex"))
    assert run("lexicon", "check", "--lexicons", lex, "--langs", LANGS3).exit_code == 0
    built = run("build", "--lexicons", lex, "--langs", LANGS3, "--n", 40, "--quiet",
                "--out", tmp_path / "out", "--workers", 1, "--min-parts", parts[0],
                "--max-parts", parts[1])
    assert built.exit_code == 0, built.stderr


def test_a_header_naming_a_column_twice_is_one_problem_on_line_1(tmp_path):
    from tests.conftest import copy_lexicon

    lex = copy_lexicon(tmp_path / "lex")
    path = lex / "ru.tsv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("\tword", "\tword\tword", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("lexicon", "check", "--lexicons", lex, "--langs", LANGS3)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"{path}:1: the header names column 'word' twice"]
