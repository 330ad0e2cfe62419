"""`corpusgen check DIR`: verify a build without the code that made it.

First its integrity (`mnemophrase.corpusgen.check.integrity`): every file is the one the build
recorded in stats.json, by size and sha256, and every split holds the rows it records — a file cut
short or swapped is named by its path before anything parses it. Then its content: the published
Parquet files have the published schema, the gold offsets cut the hyperword into its parts,
splits are disjoint by hyperword (across stages too), no hyperword repeats, and — through each
language's plug-in — every gloss and sentence names each of its constituent concepts by
lemma. That last check needs the lexicons the build was made with: a build made with other
lexicons is reported as such, in one line, instead of as a problem per row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl
import pyarrow.parquet as pq

from mnemophrase.corpusgen.contract import DATA_DIR, SCHEMA, Build
from mnemophrase.corpusgen.lang import get_language
from mnemophrase.corpusgen.lexicon import Lexicon

# the stages whose rows tell a hyperword's scene, and the column that must name its parts
NAMED_COLUMN = {"mnemo": "gloss", "bridge": "sentence"}
# rows whose names are checked between two reports to the progress bar
NAMES_BATCH = 20_000


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    named: dict[str, tuple[int, int]] = field(default_factory=dict)  # stage -> (ok, checked)
    rows: int = 0
    names_checked: bool = True

    @property
    def ok(self) -> bool:
        return not self.problems


def lexicon_mismatch(build: Build, lexicon: Lexicon) -> list[str]:
    """The lexicon files whose sha256 differs from the one the build recorded."""
    recorded = build.stats.get("lexicon_sha256")
    if not isinstance(recorded, dict):
        return []
    return sorted(name for name, digest in recorded.items()
                  if lexicon.hashes.get(name, digest) != digest)


def _read_split(build: Build, stage: str, split: str, problem) -> pl.DataFrame | None:
    files = build.data_files(stage, split)
    where = f"{stage}/{split}"
    if not files:
        problem(f"{build.root / DATA_DIR / stage}: no {split} Parquet file")
        return None
    frames = []
    for path in files:
        try:
            schema = pq.read_schema(path)
        except Exception as exc:  # noqa: BLE001 - a foreign or cut file: pyarrow says why
            problem(f"{path}: not a readable Parquet file ({_first_line(exc)})")
            return None
        if not schema.equals(SCHEMA):
            problem(f"{path}: schema differs from the published one "
                    f"(columns {', '.join(schema.names)})")
            return None
        try:
            frames.append(pl.read_parquet(path))
        except Exception as exc:  # noqa: BLE001 - polars raises ComputeError and others
            problem(f"{path}: cannot be read ({_first_line(exc)}) [{where}]")
            return None
    return pl.concat(frames)


def check_build(build: Build, lexicon: Lexicon | None, sample: int = 0, seed: int = 0,
                max_problems: int = 50,
                advance: Callable[[int], None] = lambda n: None) -> CheckReport:
    """The content checks of every stage and split. With `lexicon` None (a build made with
    other lexicons) the name check is skipped. `advance(rows)` reports progress."""
    report = CheckReport(names_checked=lexicon is not None)

    def problem(msg: str) -> None:
        report.problems.append(msg)

    split_of: dict[str, tuple[str, str]] = {}  # hyperword -> (split, where)
    options = build.stats.get("options")
    glosses = options.get("glosses_per_scene", 1) if isinstance(options, dict) else 1
    for stage in build.stage_order:
        for split in build.splits:
            if split not in build.rows.get(stage, {}):
                continue
            df = _read_split(build, stage, split, problem)
            if df is None:
                continue
            report.rows += df.height
            _check_rows(df, stage, split, f"{stage}/{split}", split_of, problem,
                        glosses if stage == "mnemo" else 1)
            if stage in NAMED_COLUMN and df.height and lexicon is not None:
                rows = df if not sample or df.height <= sample else df.sample(sample, seed=seed)
                # the rows whose names are not checked are done; the others count as their
                # batches are, so that the bar moves through a large split too
                advance(df.height - rows.height)
                ok, total = _check_names(rows, stage, lexicon, problem, advance)
                prev = report.named.get(stage, (0, 0))
                report.named[stage] = (prev[0] + ok, prev[1] + total)
            else:
                advance(df.height)
            if len(report.problems) > max_problems:
                return report
    return report


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _check_rows(df: pl.DataFrame, stage, split, where, split_of, problem,
                per_scene: int = 1) -> None:
    """`per_scene`: the rows each hyperword has in this stage (--glosses-per-scene for
    mnemo), each with its own id and its own text."""
    dup_id = df.filter(pl.col("id").is_duplicated() & (pl.col("id") != ""))
    if dup_id.height:
        problem(f"{where}: id {dup_id['id'][0]!r} repeats")
    bad_stage = df.filter(pl.col("stage") != stage)
    if bad_stage.height:
        problem(f"{where} row {bad_stage['id'][0]}: stage is {bad_stage['stage'][0]!r}")
    if stage == "language":
        bad = df.filter((pl.col("hyperword") != "") | (pl.col("constituents").list.len() > 0))
        if bad.height:
            problem(f"{where} row {bad['id'][0]}: a language row has a hyperword")
        return
    times = df.group_by("hyperword").agg(pl.len().alias("n"), pl.col("id").first(),
                                         pl.col("gloss").n_unique().alias("glosses"))
    dup = times.filter(pl.col("n") != per_scene)
    if dup.height:
        r = dup.row(0, named=True)
        problem(f"{where} row {r['id']}: hyperword {r['hyperword']!r} has {r['n']} rows, "
                f"not {per_scene}" if per_scene > 1 else
                f"{where} row {r['id']}: hyperword {r['hyperword']!r} repeats")
    same = times.filter((pl.col("n") == per_scene) & (pl.col("glosses") != per_scene))
    if per_scene > 1 and same.height:
        r = same.row(0, named=True)
        problem(f"{where} row {r['id']}: hyperword {r['hyperword']!r} repeats a gloss")
    # offsets: parts in order, contiguous, covering the hyperword, surfaces matching
    parts = df.select("id", "hyperword", "constituents").explode("constituents").unnest(
        "constituents"
    )
    parts = parts.with_columns(
        pl.col("start").shift(1).over("id").alias("_prev_start"),
        pl.col("end").shift(1).over("id").alias("_prev_end"),
        pl.col("hyperword").str.slice(pl.col("start"), pl.col("end") - pl.col("start"))
        .alias("_cut"),
    )
    wrong = parts.filter(
        (pl.col("_cut") != pl.col("surface"))
        | (pl.col("_prev_end").is_null() & (pl.col("start") != 0))
        | (pl.col("_prev_end").is_not_null() & (pl.col("start") != pl.col("_prev_end")))
    )
    if wrong.height:
        r = wrong.row(0, named=True)
        problem(f"{where} row {r['id']}: constituent {r['surface']!r} at {r['start']}:{r['end']} "
                f"does not match hyperword {r['hyperword']!r}")
    last = parts.group_by("id").agg(pl.col("end").last(), pl.col("hyperword").first())
    short = last.filter(pl.col("end") != pl.col("hyperword").str.len_chars())
    if short.height:
        r = short.row(0, named=True)
        problem(f"{where} row {r['id']}: constituents do not cover hyperword {r['hyperword']!r}")
    for hw in df["hyperword"].unique(maintain_order=True).to_list():
        seen = split_of.get(hw)
        if seen is None:
            split_of[hw] = (split, where)
        elif seen[0] != split:
            problem(f"{where}: hyperword {hw!r} is also in {seen[1]}")
            break


def _check_names(df: pl.DataFrame, stage: str, lexicon: Lexicon, problem,
                 advance: Callable[[int], None] = lambda n: None) -> tuple[int, int]:
    """Rows whose text (gloss for mnemo, sentence for bridge) names every constituent;
    `advance(rows)` after each batch of NAMES_BATCH rows."""
    column = NAMED_COLUMN[stage]
    ok = 0
    for lang in df["lang"].unique().sort().to_list():
        sub = df.filter(pl.col("lang") == lang)
        if lang not in lexicon.words:
            problem(f"{stage} row {sub['id'][0]}: language {lang!r} is not one of the "
                    f"build's ({', '.join(lexicon.words)})")
            advance(sub.height)
            continue
        words = dict(zip(lexicon.words[lang]["concept"], lexicon.words[lang]["word"]))
        # every word the lexicon gives this language, classifiers and prepositions included
        table = lexicon.words[lang]
        vocabulary = {w for col in table.columns[1:] for w in table[col].to_list() if w}
        for batch in sub.iter_slices(NAMES_BATCH):
            wanted = [[words.get(c["concept"], "?") for c in parts]
                      for parts in batch["constituents"].to_list()]
            texts = batch[column].to_list()
            found = get_language(lang).names_words(texts, wanted, vocabulary)
            for row_id, text, want, hits in zip(batch["id"], texts, wanted, found):
                if all(hits):
                    ok += 1
                else:
                    missing = [w for w, h in zip(want, hits) if not h]
                    problem(f"{stage} row {row_id}: {column} {text!r} does not name "
                            f"{', '.join(map(repr, missing))}")
            advance(batch.height)
    return ok, df.height

