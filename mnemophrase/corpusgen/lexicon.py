"""Loading and checking the concept-aligned lexicons.

A lexicon folder holds `concepts.tsv`, `fields.tsv`, `roles.tsv` and one `<lang>.tsv` per
language. Problems are collected as `LexiconError`s that print as `FILE:LINE: what is wrong`,
so a user can jump straight to the line.

Files are read the way editors write them: a byte-order mark, CRLF line ends and decomposed
letters (NFD, e.g. е + U+0308 for ё) are all accepted, every cell normalised to NFC. A
language may leave concepts out: the generator's pools skip a concept a language has no
word for, and the summary says how many each language covers.

The file is a little over 300 lines because it is the whole check: every rule a lexicon row
can break, each with the message that names it, in one place.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.resources
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from mnemophrase.corpusgen.cache import cached_checks
from mnemophrase.corpusgen.errors import CorpusgenError
from mnemophrase.corpusgen.lang import available_languages, get_language

CONCEPT_COLUMNS = ("concept", "field", "pos", "roles")
WORD_COLUMNS = ("concept", "word")
POS_VALUES = ("noun", "adj", "verb")
_A_POS = {"noun": "a noun", "adj": "an adjective", "verb": "a verb"}


@dataclass(frozen=True)
class LexiconError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class LexiconInvalid(CorpusgenError):
    """Raised by `load_lexicon` with every problem found."""

    def __init__(self, errors: list[LexiconError]):
        self.errors = errors
        super().__init__(str(errors[0]) if errors else "invalid lexicon")

    def lines(self, limit: int = 20) -> list[str]:
        shown = [str(e) for e in self.errors[:limit]]
        if len(self.errors) > limit:
            shown.append(f"... and {len(self.errors) - limit} more problems")
        return shown


@dataclass
class Lexicon:
    """The loaded lexicon: concepts and, per language, the words (polars DataFrames)."""

    root: Path
    concepts: pl.DataFrame  # concept, field, pos, roles (list[str]), index
    words: dict[str, pl.DataFrame]  # lang -> concept, word, extra columns (concept order)
    fields: pl.DataFrame
    roles: pl.DataFrame
    hashes: dict[str, str] = field(default_factory=dict)

    @property
    def langs(self) -> list[str]:
        return list(self.words)

    def summary(self) -> dict:
        return {
            "concepts": self.concepts.height,
            "fields": self.concepts["field"].n_unique(),
            "langs": {lang: df.height for lang, df in self.words.items()},
        }

    def word_rows(self, lang: str) -> list[dict[str, str] | None]:
        """One row per concept, in concept order: the language's word and extra columns,
        or None where the language leaves the concept out."""
        by_concept = {row["concept"]: row for row in self.words[lang].to_dicts()}
        return [by_concept.get(c) for c in self.concepts["concept"].to_list()]


def default_lexicon_dir() -> Path:
    """The lexicons shipped with the package (works from an installed wheel too)."""
    return Path(str(importlib.resources.files("mnemophrase.lexicons")))


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _decode(data: bytes) -> str:
    """UTF-8 with or without a byte-order mark, or UTF-16 with one (what some editors save
    as "Unicode")."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def _read_tsv(path: Path, required: tuple[str, ...], errors: list[LexiconError]):
    """Rows of a TSV as (line number, dict); None (with the problem recorded) when the file
    as a whole is unusable: missing, not UTF-8, no header, a required column missing."""
    name = _display(path)
    if not path.is_file():
        errors.append(LexiconError(name, 0, "file not found"))
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        errors.append(LexiconError(name, 0, f"cannot read ({exc.strerror})"))
        return None
    try:
        text = _decode(data)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        errors.append(LexiconError(name, line, f"not UTF-8 text ({exc.reason} at byte "
                                               f"{exc.start}); save the file as UTF-8"))
        return None
    lines = unicodedata.normalize("NFC", text).splitlines()
    if not lines:
        errors.append(LexiconError(name, 1, "empty file: expected a header line"))
        return None
    reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    header = [h.strip() for h in next(reader)]
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:  # every row would be read wrong: the header is the one problem to name
        errors.append(LexiconError(name, 1, f"the header names column "
                                            f"{', '.join(map(repr, twice))} twice"))
        return None
    missing = [c for c in required if c not in header]
    if missing:
        errors.append(LexiconError(name, 1, f"missing column {', '.join(map(repr, missing))}"))
        return None
    rows = []
    for lineno, cells in enumerate(reader, start=2):
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            errors.append(
                LexiconError(name, lineno, f"{len(cells)} cells but {len(header)} columns")
            )
            continue
        cells = cells + [""] * (len(header) - len(cells))
        rows.append((lineno, {h: c.strip() for h, c in zip(header, cells)}))
    return rows


def _hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def load_lexicon(root: Path | str | None = None, langs: list[str] | None = None) -> Lexicon:
    """Load and validate; raises `LexiconInvalid` listing every problem. Without `langs`,
    every language that has both a plug-in and a `<code>.tsv` in the folder."""
    root = Path(root) if root is not None else default_lexicon_dir()
    errors: list[LexiconError] = []
    if not root.is_dir():
        why = "a file, not a lexicon folder" if root.exists() else "no such lexicon folder"
        raise LexiconInvalid([LexiconError(_display(root), 0, why)])
    if langs:
        langs = list(langs)
        unknown = [code for code in langs if code not in available_languages()]
        if unknown:
            raise LexiconInvalid([LexiconError(
                _display(root), 0, f"no language plug-in for {', '.join(map(repr, unknown))} "
                                   f"(available: {', '.join(available_languages())})")])
    else:
        langs = [code for code in available_languages() if (root / f"{code}.tsv").is_file()]
        if not langs:
            raise LexiconInvalid([LexiconError(
                _display(root), 0, f"no lexicon file of any language here (expected one of "
                                   f"{', '.join(f'{c}.tsv' for c in available_languages())})")])

    field_rows = _read_tsv(root / "fields.tsv", ("field", "pos"), errors) or []
    role_rows = _read_tsv(root / "roles.tsv", ("role", "pos"), errors) or []
    concept_rows = _read_tsv(root / "concepts.tsv", CONCEPT_COLUMNS, errors) or []
    fields = {r["field"]: r["pos"] for _, r in field_rows}
    roles = {r["role"]: r["pos"] for _, r in role_rows}
    concepts, seen = _concepts(concept_rows, fields, roles, _display(root / "concepts.tsv"),
                               errors)
    by_id = {c["concept"]: c for c in concepts}
    words = {lang: _load_language(root, lang, by_id, seen, errors) for lang in langs}
    if not errors:
        errors += _build_needs(root, role_rows, concepts, words)
    if errors:
        raise LexiconInvalid(errors)
    order = {c["concept"]: i for i, c in enumerate(concepts)}
    for lang in langs:
        words[lang] = (
            words[lang]
            .with_columns(pl.col("concept").replace_strict(order, return_dtype=pl.Int32)
                          .alias("_i"))
            .sort("_i")
            .drop("_i")
        )
    hashes = {
        p.name: _hash(p)
        for p in [root / "concepts.tsv", root / "fields.tsv", root / "roles.tsv"]
        + [root / f"{lang}.tsv" for lang in langs]
    }
    return Lexicon(
        root=root,
        concepts=pl.DataFrame(concepts, schema={
            "concept": pl.String, "field": pl.String, "pos": pl.String, "roles": pl.List(pl.String)
        }),
        words=words,
        fields=pl.DataFrame([{"field": f, "pos": p} for f, p in fields.items()]),
        roles=pl.DataFrame([{"role": r, "pos": p} for r, p in roles.items()]),
        hashes=hashes,
    )


def _concepts(rows, fields: dict[str, str], roles: dict[str, str], file: str,
              errors: list[LexiconError]) -> tuple[list[dict], dict[str, int]]:
    """The valid concepts of concepts.tsv, and the line of every id it names."""
    seen: dict[str, int] = {}
    concepts: list[dict] = []
    for lineno, row in rows:
        cid, pos = row["concept"], row["pos"]
        problems = []
        if not cid:
            problems.append("empty concept id")
        elif cid in seen:
            problems.append(f"duplicate concept id {cid!r} (first on line {seen[cid]})")
        if pos not in POS_VALUES:
            problems.append(f"unknown part of speech {pos!r} (expected {', '.join(POS_VALUES)})")
        if row["field"] not in fields:
            problems.append(f"unknown semantic field {row['field']!r}")
        role_list = [r.strip() for r in row["roles"].split(",") if r.strip()]
        problems += _role_problems(cid, pos, role_list, roles)
        if cid and cid not in seen:
            seen[cid] = lineno
        if problems:
            errors.extend(LexiconError(file, lineno, p) for p in problems)
            continue
        concepts.append({"concept": cid, "field": row["field"], "pos": pos, "roles": role_list})
    return concepts, seen


def _build_needs(root: Path, role_rows, concepts: list[dict],
                 words: dict[str, pl.DataFrame]) -> list[LexiconError]:
    """What a build needs beyond well-formed rows: every language has words, and for every
    part of speech roles.tsv gives a role, a concept of it with a word in every language
    (a language's frames read the forms of each: without an adjective there are no agreeing
    forms, without a verb no verb forms). A role without concepts only leaves its plans out."""
    problems = []
    for lang, frame in words.items():
        if frame.height == 0:
            problems.append(LexiconError(_display(root / f"{lang}.tsv"), 0,
                                         "no words: a build needs a word for a noun, an "
                                         "adjective and a verb at least"))
    pos_of = {c["concept"]: c["pos"] for c in concepts}
    worded = {lang: {pos_of[c] for c in frame["concept"].to_list() if c in pos_of}
              for lang, frame in words.items() if frame.height}
    first_role: dict[str, tuple[int, str]] = {}
    for lineno, row in role_rows:
        first_role.setdefault(row["pos"], (lineno, row["role"]))
    for pos, (lineno, role) in first_role.items():
        lacking = [lang for lang, have in worded.items() if pos not in have]
        if lacking:
            problems.append(LexiconError(
                _display(root / "roles.tsv"), lineno,
                f"no {pos} concept has a word in {', '.join(lacking)}: a build needs "
                f"{_A_POS.get(pos, pos)} (for role {role!r} and the other {pos} roles)"))
    return problems


def _role_problems(cid: str, pos: str, role_list: list[str], roles: dict[str, str]) -> list[str]:
    if not role_list:
        return [f"concept {cid!r} has no role"]
    problems = []
    for role in role_list:
        if role not in roles:
            problems.append(f"unknown role {role!r}")
        elif pos in POS_VALUES and roles[role] != pos:
            problems.append(f"role {role!r} is for a {roles[role]}, not a {pos}")
    return problems


def _load_language(root, lang, by_id, all_ids, errors) -> pl.DataFrame:
    """The valid rows of `<lang>.tsv`. A concept the file does not name is left out of the
    language, not an error."""
    language = get_language(lang)
    path = root / f"{lang}.tsv"
    name = _display(path)
    extra = {c.name: c for c in language.extra_columns}
    schema = {"concept": pl.String, "word": pl.String, **{c: pl.String for c in extra}}
    rows = _read_tsv(path, WORD_COLUMNS + tuple(extra), errors)
    if rows is None:  # the file's own problem is reported; its rows cannot be judged
        return pl.DataFrame(schema=schema)
    verdicts = _word_verdicts(language, rows, by_id)
    column_verdicts = {name: _column_verdicts(language, col, rows) for name, col in extra.items()}
    seen: dict[str, int] = {}
    seen_words: dict[str, int] = {}
    out = []
    for lineno, row in rows:
        cid, word = row["concept"], row["word"]
        concept = by_id.get(cid)
        problems = []
        if cid in seen:
            problems.append(f"duplicate concept {cid!r} (first on line {seen[cid]})")
        elif cid not in all_ids:
            problems.append(f"unknown concept {cid!r} (not in concepts.tsv)")
        problems += _word_problems(language, cid, word, concept, verdicts)
        if word and word in seen_words:
            problems.append(f"word {word!r} already used on line {seen_words[word]}")
        problems += [p for col in extra.values()
                     if (p := _extra_problem(col, row, concept, column_verdicts[col.name]))]
        seen.setdefault(cid, lineno)
        if word:
            seen_words.setdefault(word, lineno)
        if problems:
            errors.extend(LexiconError(name, lineno, p) for p in problems)
            continue
        out.append({"concept": cid, "word": word, **{c: row[c] for c in extra}})
    return pl.DataFrame(out, schema=schema)


def _word_verdicts(language, rows, by_id) -> dict[tuple[str, str], str | None]:
    """The plug-in's check of every (word, part of speech) the file pairs, in one cached
    call: the checks are the slow part of loading a lexicon."""
    pairs = sorted({(row["word"], by_id[row["concept"]]["pos"]) for _, row in rows
                    if row["concept"] in by_id and language.word_pattern.fullmatch(row["word"])})
    verdicts = cached_checks(language, f"checks-{language.code}", pairs,
                             lambda pair: language.check_word(*pair))
    return dict(zip(pairs, verdicts))


def _column_verdicts(language, column, rows) -> dict[str, str | None]:
    """The column's own check of every value the file gives it, in one cached call."""
    if column.check is None:
        return {}
    values = sorted({row[column.name] for _, row in rows if row[column.name]})
    verdicts = cached_checks(language, f"checks-{language.code}-{column.name}", values,
                             column.check)
    return dict(zip(values, verdicts))


def _word_problems(language, cid: str, word: str, concept: dict | None,
                   verdicts: dict[tuple[str, str], str | None]) -> list[str]:
    if not word:
        return [f"empty word for concept {cid!r}"]
    if not language.word_pattern.fullmatch(word):
        return [f"word {word!r} is not one lowercase {language.script} word"]
    if concept is not None and (problem := verdicts[word, concept["pos"]]):
        return [problem]
    return []


def _extra_problem(col, row: dict[str, str], concept: dict | None,
                   verdicts: dict[str, str | None]) -> str | None:
    value = row[col.name]
    needed = concept is not None and (
        concept["pos"] == col.required_for or col.required_for in concept["roles"]
    )
    if needed and not value:
        return f"empty {col.name!r} for {row['concept']!r} ({col.required_for})"
    if value and concept is not None and not needed:
        return f"{col.name!r} is only for {col.required_for} concepts"
    if value and col.values is not None and value not in col.values:
        return f"{col.name!r} is {value!r}; expected one of {', '.join(sorted(col.values))}"
    if value and col.check is not None:
        return verdicts[value]
    return None


def lexicon_subset(lexicon: Lexicon, keep: tuple[str, ...] | list[str]) -> Lexicon:
    """The lexicon with only the concepts `keep` (ids it holds), in its own concept order;
    the file hashes stay those of the files read (the build records the subset itself)."""
    chosen = pl.lit(pl.Series(list(keep), dtype=pl.String).implode())
    return Lexicon(
        root=lexicon.root,
        concepts=lexicon.concepts.filter(pl.col("concept").is_in(chosen)),
        words={lang: df.filter(pl.col("concept").is_in(chosen))
               for lang, df in lexicon.words.items()},
        fields=lexicon.fields,
        roles=lexicon.roles,
        hashes=dict(lexicon.hashes),
    )
