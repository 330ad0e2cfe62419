"""The corpus commands: `build`, `check`, `stats` and `sample`."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import click

from corpusgen.cli.base import BUILD_DIR, LEXICONS, Failure, load_or_fail, parse_langs


@click.command()
@click.option("--langs", callback=parse_langs, default=None,
              help="Comma-separated language codes of the words and glosses (`corpusgen lang "
                   "list`). [default: every language with a plug-in and a lexicon file]")
@click.option("--n", "n", type=int, default=1000, show_default=True,
              help="Scenes (unique hyperwords); each gives a mnemo, a bridge and a language row.")
@click.option("--min-parts", type=int, default=3, show_default=True)
@click.option("--max-parts", type=int, default=4, show_default=True)
@click.option("--mix", type=float, default=0.5, show_default=True,
              help="Share of cross-lingual hyperwords (0..1).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--tokenizer", "train_tok", is_flag=True, help="Also train the tokenizer.")
@click.option("--push-to", default=None, metavar="OWNER/NAME", help="Push the build to the Hub.")
@LEXICONS
def build(langs, n, min_parts, max_parts, mix, seed, workers, out, overwrite, quiet,
          train_tok, push_to, lexicons) -> None:
    """Build the curriculum dataset (mnemo, bridge, language) into --out."""
    from corpusgen.build import BuildError, BuildOptions
    from corpusgen.build import build as run_build

    _check_ranges(n, min_parts, max_parts, mix)
    if push_to:
        from corpusgen.push import PushError, preflight

        try:
            preflight(push_to)
        except PushError as exc:
            raise Failure(f"--push-to: {exc}") from None
    finishers = []
    if train_tok:
        from tokenizer.train import train_into_build

        finishers.append(lambda folder: train_into_build(folder, quiet=quiet))
    try:
        from corpusgen.build import check_output

        check_output(out, overwrite)
        lex = load_or_fail(lexicons, langs)
        options = BuildOptions(tuple(lex.langs), n, min_parts, max_parts, mix, seed,
                               workers=workers)
        with _stop_on_signals():
            stats = run_build(lex, options, out, overwrite=overwrite, progress=not quiet,
                              finishers=tuple(finishers))
    except BuildError as exc:
        raise Failure(str(exc)) from None
    except OSError as exc:
        raise Failure(f"cannot write {out}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        raise Failure("interrupted; nothing was written") from None
    total = sum(sum(v.values()) for v in stats["rows"].values())
    click.echo(f"built {out}: {stats['scenes']:,} scenes, {total:,} rows "
               f"({stats['cross_lingual_share']:.0%} cross-lingual)")
    if push_to:
        from corpusgen.cli.push import push_after_build

        push_after_build(out, repo=push_to)


def _check_ranges(n: int, min_parts: int, max_parts: int, mix: float) -> None:
    if n < 1:
        raise click.BadParameter("must be at least 1", param_hint="--n")
    for name, value in (("--min-parts", min_parts), ("--max-parts", max_parts)):
        if not 2 <= value <= 6:
            raise click.BadParameter(f"{value} is outside 2..6", param_hint=name)
    if min_parts > max_parts:
        raise click.UsageError(f"--min-parts {min_parts} is above --max-parts {max_parts}")
    if not 0.0 <= mix <= 1.0:
        raise click.BadParameter(f"{mix} is outside 0..1", param_hint="--mix")


@contextmanager
def _stop_on_signals():
    """Ctrl-C or `kill` asks the build to stop at its next chunk, where it can clean up;
    a second signal stops it at once. The previous handlers come back afterwards."""
    import signal

    from corpusgen.build import STOP

    def interrupt(signum, frame):
        if STOP.is_set():
            raise KeyboardInterrupt
        STOP.set()

    STOP.clear()
    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        STOP.clear()


def _existing_build(path: Path) -> Path:
    if not path.exists():
        raise Failure(f"{path}: no such folder")
    if not (path / "README.md").is_file() or not (path / "data").is_dir():
        raise Failure(f"{path}: not a corpusgen build (no README.md card or data/ folder)")
    return path


@click.command()
@BUILD_DIR
@click.option("--sample", type=click.IntRange(min=0), default=0, show_default=True,
              help="Check names on N random rows per stage and split (0 = every row).")
@LEXICONS
def check(build_dir: Path, sample: int, lexicons: Path | None) -> None:
    """Verify a build independently: schema, offsets, splits, duplicates, and that every
    gloss and sentence names its constituent concepts (by lemma, through spaCy)."""
    from corpusgen.check import check_build

    root = _existing_build(build_dir)
    stats = _read_stats(root)
    lex = load_or_fail(lexicons, stats.get("options", {}).get("langs"))
    report = check_build(root, lex, sample=sample)
    for line in report.problems[:50]:
        click.echo(line, err=True)
    for stage, (ok, total) in report.named.items():
        click.echo(f"{stage}: {ok:,}/{total:,} rows name every constituent "
                   f"({ok / max(total, 1):.2%})")
    if not report.ok:
        more = len(report.problems) - 50
        raise Failure(f"{len(report.problems)} problems"
                      + (f" ({more} not shown)" if more > 0 else ""))
    click.echo(f"ok: {report.rows:,} rows checked in {root}")


def _read_stats(root: Path) -> dict:
    path = root / "stats.json"
    if not path.is_file():
        raise Failure(f"{path}: missing")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise Failure(f"{path}: not valid JSON ({exc})") from None


@click.command()
@BUILD_DIR
@click.option("--json", "as_json", is_flag=True, help="Print stats.json as it is.")
def stats(build_dir: Path, as_json: bool) -> None:
    """Print a build's statistics table."""
    from corpusgen.card import stats_table

    data = _read_stats(_existing_build(build_dir))
    click.echo(json.dumps(data, ensure_ascii=False, indent=2) if as_json else stats_table(data))


@click.command()
@BUILD_DIR
@click.option("--stage", default="mnemo", show_default=True)
@click.option("--split", default="train", show_default=True)
@click.option("--lang", default=None, help="Only rows whose gloss/sentence is in LANG.")
@click.option("-n", "count", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--seed", type=int, default=None, help="Random rows (default: the first ones).")
def sample(build_dir: Path, stage: str, split: str, lang: str | None, count: int,
           seed: int | None) -> None:
    """Print rows readably, the hyperword cut into its parts (вода|грусть|свет)."""
    import polars as pl

    root = _existing_build(build_dir)
    files = sorted((root / "data" / stage).glob(f"{split}-*.parquet"))
    if not files:
        stages = sorted(p.name for p in (root / "data").iterdir() if p.is_dir())
        raise Failure(f"no {stage}/{split} data in {root}; stages: {', '.join(stages)}")
    df = pl.concat([pl.read_parquet(f) for f in files])
    if lang:
        df = df.filter(pl.col("lang") == lang)
    if seed is not None and df.height > count:
        df = df.sample(count, seed=seed)
    for row in df.head(count).iter_rows(named=True):
        parts = "|".join(c["surface"] for c in row["constituents"])
        head = f"[{row['lang']}] {parts}" if parts else f"[{row['lang']}]"
        click.echo(head)
        if row["gloss"]:
            click.echo(f"    gloss:    {row['gloss']}")
        click.echo(f"    sentence: {row['sentence']}")
