"""The commands that read a build: `check`, `stats` and `sample`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from mnemophrase.cli.base import BUILD_DIR, LEXICONS, SEED_MAX, Failure, load_or_fail, warn
from mnemophrase.corpusgen.build.progress import Progress, byte_bar

SHOWN = 50  # problems printed before the count


def _open(path: Path):
    from mnemophrase.corpusgen.contract import Build

    return Build.open(path)  # BuildInvalid: one line, via the command group


def _show(problems: list[str]) -> None:
    for line in problems[:SHOWN]:
        click.echo(line, err=True)


def _fail(problems: list[str], what: str) -> Failure:
    more = len(problems) - SHOWN
    return Failure(f"{len(problems)} {what}" + (f" ({more} not shown)" if more > 0 else ""))


@click.command()
@BUILD_DIR
@click.option("--quick", is_flag=True,
              help="Verify only the files' sizes, checksums and row counts against stats.json "
                   "(seconds), not their content.")
@click.option("--sample", type=click.IntRange(min=0), default=0, show_default=True,
              help="Check names on N random rows per stage and split, 0 or more (0 = every "
                   "row).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@LEXICONS
def check(build_dir: Path, quick: bool, sample: int, quiet: bool,
          lexicons: Path | None) -> None:
    """Verify a build: first its integrity (every file's size and sha256 and every split's
    rows as stats.json records them), then its content (schema, offsets, disjoint splits, no
    repeats, and that every gloss and sentence names its constituent concepts by lemma)."""
    from mnemophrase.corpusgen.check.integrity import (
        file_problems,
        recorded_files,
        row_problems,
        total_bytes,
    )
    from mnemophrase.corpusgen.contract import STATS

    build = _open(build_dir)
    seen = _identity(build.root)
    unrecorded = recorded_files(build) is None
    if unrecorded:
        warn(f"{build.root / STATS} records no file sizes and checksums (an older "
             "corpusgen made it): only row counts and content are checked")
    bar = byte_bar(total_bytes(build), "verifying", not quiet)
    try:
        problems = file_problems(build, advance=bar.update if bar else (lambda n: None))
    finally:
        if bar is not None:
            bar.close()
    if not problems:
        problems = row_problems(build)
    _same_folder(build.root, seen)
    if problems:
        _show(problems)
        raise _fail(problems, "damaged or unknown files; content not checked")
    if quick:
        click.echo(f"ok: the row counts of {build.root} match stats.json" if unrecorded else
                   f"ok: the files of {build.root} are as the build wrote them")
        return
    _check_content(build, sample, quiet, lexicons, seen)


def _identity(root: Path) -> tuple:
    """The folder and its stats.json as the file system knows them: a build --overwrite
    swaps in another folder (another inode) with another stats.json."""
    from mnemophrase.corpusgen.contract import STATS

    try:
        folder, stats = os.stat(root), os.stat(root / STATS)
    except OSError:
        return ()
    return folder.st_dev, folder.st_ino, stats.st_ino, stats.st_mtime_ns


def _same_folder(root: Path, seen: tuple) -> None:
    """A check that read one build's files and another's says nothing true of either."""
    if _identity(root) != seen:
        raise Failure(f"{root} was replaced while it was checked (a build --overwrite?); "
                      "check it again")


def _check_content(build, sample: int, quiet: bool, lexicons: Path | None,
                   seen: tuple) -> None:
    from mnemophrase.corpusgen.check.content import check_build, lexicon_mismatch

    lex = load_or_fail(lexicons, list(build.languages) or None)
    other = lexicon_mismatch(build, lex)
    if other:
        warn(f"{build.root} was built with other lexicons ({', '.join(other)} differ from "
             f"{lex.root}); names are not checked: pass --lexicons with the ones it was "
             "built with")
    rows = sum(sum(splits.values()) for splits in build.rows.values())
    bar = Progress(rows, not quiet and rows > 0, unit="rows")
    bar.step("checking")
    try:
        report = check_build(build, None if other else lex, sample=sample, advance=bar.advance)
    finally:
        bar.close()
    _same_folder(build.root, seen)
    _show(report.problems)
    for stage, (ok, total) in report.named.items():
        click.echo(f"{stage}: {ok:,}/{total:,} rows name every constituent "
                   f"({ok / max(total, 1):.2%})")
    if not report.ok:
        raise _fail(report.problems, "problems")
    if other:
        raise Failure(f"{report.rows:,} rows checked in {build.root}, but not their names: "
                      "built with other lexicons")
    click.echo(f"ok: {report.rows:,} rows checked in {build.root}")


@click.command()
@BUILD_DIR
@click.option("--json", "as_json", is_flag=True, help="Print stats.json as it is.")
def stats(build_dir: Path, as_json: bool) -> None:
    """Print a build's statistics table."""
    from mnemophrase.corpusgen.contract import STATS
    from mnemophrase.corpusgen.output.card import stats_table

    build = _open(build_dir)
    if as_json:
        click.echo(json.dumps(build.stats, ensure_ascii=False, indent=2))
        return
    try:
        click.echo(stats_table(build.stats))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Failure(f"{build.root / STATS}: malformed ({type(exc).__name__}: "
                      f"{exc})") from None


def _read_split(build, stage: str, split: str):
    import polars as pl
    import pyarrow.parquet as pq

    from mnemophrase.corpusgen.contract import DATA_DIR, SCHEMA

    files = build.data_files(stage, split)
    if not files:
        raise Failure(f"{build.root / DATA_DIR / stage}: no {split} Parquet file")
    hint = f"`corpusgen check {build.root} --quick` names the damaged files"
    frames = []
    for path in files:
        try:
            if not pq.read_schema(path).equals(SCHEMA):
                raise Failure(f"{path}: not a corpusgen data file (another schema); {hint}")
            frames.append(pl.read_parquet(path))
        except Failure:
            raise
        except Exception as exc:  # noqa: BLE001 - polars and pyarrow raise many types
            detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise Failure(f"{path}: cannot be read ({detail}); {hint}") from None
    return pl.concat(frames)


def _one_of(what: str, value: str, valid: list[str]) -> None:
    if value not in valid:
        raise click.BadParameter(f"{value!r} is not one of this build's {what}: "
                                 f"{', '.join(valid) or 'none'}", param_hint=f"--{what[:-1]}")


@click.command()
@BUILD_DIR
@click.option("--stage", default="mnemo", show_default=True,
              help="Stage to show rows of: one of the build's stages (mnemo, bridge, language).")
@click.option("--split", default="train", show_default=True,
              help="Split to show rows of: one of the build's splits (train, validation, test).")
@click.option("--lang", default=None,
              help="Only rows whose gloss or sentence is in this language (a code the build "
                   "has). [default: every language]")
@click.option("-n", "--n", "count", type=click.IntRange(min=1), default=5, show_default=True,
              help="Rows to show, 1 or more.")
@click.option("--seed", type=click.IntRange(0, SEED_MAX), default=None,
              help=f"Show random rows drawn with this seed, 0..{SEED_MAX}. "
                   "[default: the first rows]")
def sample(build_dir: Path, stage: str, split: str, lang: str | None, count: int,
           seed: int | None) -> None:
    """Print rows readably, the hyperword cut into its parts (вода|грусть|свет)."""
    import polars as pl

    build = _open(build_dir)
    _one_of("stages", stage, build.stage_order)
    _one_of("splits", split, [s for s in build.splits if s in build.rows.get(stage, {})])
    if lang is not None:
        _one_of("langs", lang, list(build.languages))
    df = _read_split(build, stage, split)
    if lang:
        df = df.filter(pl.col("lang") == lang)
    if seed is not None and df.height > count:
        df = df.sample(count, seed=seed)
    for row in df.head(count).iter_rows(named=True):
        parts = "|".join(c["surface"] for c in row["constituents"])
        click.echo(f"[{row['lang']}] {parts}" if parts else f"[{row['lang']}]")
        if row["gloss"]:
            click.echo(f"    gloss:    {row['gloss']}")
        click.echo(f"    sentence: {row['sentence']}")
