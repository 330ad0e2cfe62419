"""`corpusgen check DIR`: verify a build without the code that made it.

It reads the published Parquet files named by the card, and checks the schema, the gold
offsets, that splits are disjoint by hyperword (across stages too), that no hyperword repeats,
and — through each language's spaCy pipeline — that every gloss and sentence names each of
its constituent concepts by lemma.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from corpusgen.contract import SCHEMA
from corpusgen.lang import get_language
from corpusgen.lexicon import Lexicon


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    named: dict[str, tuple[int, int]] = field(default_factory=dict)  # stage -> (ok, checked)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def read_card_configs(root: Path) -> list[dict]:
    """The `configs:` of the card; every stage and its split files."""
    from huggingface_hub import DatasetCard

    card = DatasetCard.load(root / "README.md")
    return card.data.to_dict().get("configs") or []


def _stage_frames(root: Path, config: dict) -> dict[str, pl.DataFrame]:
    out = {}
    for entry in config["data_files"]:
        files = sorted(root.glob(entry["path"]))
        out[entry["split"]] = pl.concat([pl.read_parquet(f) for f in files]) if files else None
    return out


def check_build(root: Path, lexicon: Lexicon, sample: int = 0, seed: int = 0,
                max_problems: int = 50) -> CheckReport:
    report = CheckReport()

    def problem(msg: str) -> None:
        report.problems.append(msg)

    configs = read_card_configs(root)
    if not configs:
        problem(f"{root / 'README.md'}: the card has no configs")
        return report
    split_of: dict[str, tuple[str, str]] = {}  # hyperword -> (split, where)
    for config in configs:
        stage = config["config_name"]
        frames = _stage_frames(root, config)
        for split, df in frames.items():
            where = f"{stage}/{split}"
            if df is None:
                problem(f"{where}: no Parquet file matches the card")
                continue
            files = sorted(root.glob(next(e["path"] for e in config["data_files"]
                                          if e["split"] == split)))
            schema = pq.read_schema(files[0])
            if not schema.equals(SCHEMA):
                problem(f"{where}: schema differs from the published one: {schema}")
                continue
            report.rows += df.height
            _check_rows(df, stage, split, where, split_of, problem)
            if stage in ("mnemo", "bridge") and df.height:
                rows = df if not sample or df.height <= sample else df.sample(sample, seed=seed)
                ok, total = _check_names(rows, stage, lexicon, problem)
                prev = report.named.get(stage, (0, 0))
                report.named[stage] = (prev[0] + ok, prev[1] + total)
        if len(report.problems) > max_problems:
            break
    return report


def _check_rows(df: pl.DataFrame, stage, split, where, split_of, problem) -> None:
    bad_stage = df.filter(pl.col("stage") != stage)
    if bad_stage.height:
        problem(f"{where} row {bad_stage['id'][0]}: stage is {bad_stage['stage'][0]!r}")
    if stage == "language":
        bad = df.filter((pl.col("hyperword") != "") | (pl.col("constituents").list.len() > 0))
        if bad.height:
            problem(f"{where} row {bad['id'][0]}: a language row has a hyperword")
        return
    dup = df.filter(pl.col("hyperword").is_duplicated())
    if dup.height:
        problem(f"{where} row {dup['id'][0]}: hyperword {dup['hyperword'][0]!r} repeats")
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
    for hw in df["hyperword"].to_list():
        seen = split_of.get(hw)
        if seen is None:
            split_of[hw] = (split, where)
        elif seen[0] != split:
            problem(f"{where}: hyperword {hw!r} is also in {seen[1]}")
            break


def _check_names(df: pl.DataFrame, stage: str, lexicon: Lexicon, problem) -> tuple[int, int]:
    """Rows whose text (gloss for mnemo, sentence for bridge) names every constituent."""
    column = "gloss" if stage == "mnemo" else "sentence"
    ok = 0
    for lang in df["lang"].unique().sort().to_list():
        sub = df.filter(pl.col("lang") == lang)
        words = dict(zip(lexicon.words[lang]["concept"], lexicon.words[lang]["word"]))
        wanted = [[words.get(c["concept"], "?") for c in parts]
                  for parts in sub["constituents"].to_list()]
        # every word the lexicon gives this language, classifiers and prepositions included
        table = lexicon.words[lang]
        vocabulary = {w for col in table.columns[1:] for w in table[col].to_list() if w}
        found = get_language(lang).names_words(sub[column].to_list(), wanted, vocabulary)
        for row_id, text, want, hits in zip(sub["id"], sub[column], wanted, found):
            if all(hits):
                ok += 1
            else:
                missing = [w for w, h in zip(want, hits) if not h]
                problem(f"{stage} row {row_id}: {column} {text!r} does not name "
                        f"{', '.join(map(repr, missing))}")
    return ok, df.height

