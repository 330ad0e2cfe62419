"""`corpusgen build`: the options, checked before any work, and the run."""

from __future__ import annotations

from contextlib import contextmanager, nullcontext
from pathlib import Path

import click

from mnemophrase.cli.base import LEXICONS, SEED_MAX, Failure, load_or_fail, parse_langs, warn


@click.command()
@click.option("--langs", callback=parse_langs, default=None,
              help="Comma-separated language codes of the words and glosses (`corpusgen lang "
                   "list`). [default: every language with a plug-in and a lexicon file]")
@click.option("-n", "--n", "n", type=int, default=1000, show_default=True,
              help="Scenes (unique hyperwords), 1 or more; each gives a mnemo, a bridge and a "
                   "language row. At most what the options can make unique (the build says).")
@click.option("--min-parts", type=int, default=3, show_default=True,
              help="Fewest words in a hyperword, 2..6.")
@click.option("--max-parts", type=int, default=4, show_default=True,
              help="Most words in a hyperword, 2..6, at least --min-parts.")
@click.option("--mix", type=float, default=0.5, show_default=True,
              help="Share of cross-lingual hyperwords, 0..1 (needs two or more --langs).")
@click.option("--seed", type=int, default=0, show_default=True,
              help=f"Seed of every random draw, 0..{SEED_MAX}; the same seed and options give "
                   "the same bytes.")
@click.option("--glosses-per-scene", type=click.IntRange(1, 16), default=1, show_default=True,
              help="Mnemo rows per scene, 1..16, each saying the same hyperword with another "
                   "gloss frame (more phrasings of fewer scenes); bridge and language rows stay "
                   "one per scene.")
@click.option("--language-data", default=None, metavar="SOURCE",
              help="Fill the language stage with ordinary text instead of generated "
                   "sentences: a local .txt (a text a line), .jsonl or .parquet (a `text` "
                   "column), or a Hugging Face dataset id (streamed). Texts in the build's "
                   "languages are kept, one per scene. [default: generated sentences]")
@click.option("--language-config", default=None, metavar="NAME",
              help="The configuration of the --language-data Hub dataset. [default: the "
                   "dataset's own default]")
@click.option("--language-split", default="train", show_default=True, metavar="NAME",
              help="The split of the --language-data Hub dataset.")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Processes on this machine, 1..256; the output does not depend on it. "
                   "[default: the machine's cores]")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local",
              show_default=True,
              help="Where the shards are made: local processes, or Ray tasks on a cluster "
                   "(needs `pip install mnemo-corpus[ray]`; --out on a filesystem every node "
                   "mounts).")
@click.option("--address", default=None, metavar="ADDR",
              help="Ray cluster to join with --engine ray (e.g. ray://head:10001 or auto). "
                   "[default: start a local Ray instance]")
@click.option("--shard-scenes", type=click.IntRange(1, 10_000_000), default=None,
              help="Scenes per output shard, 1..10,000,000; the bytes depend on it, not on "
                   "--workers or --engine. [default: 250,000]")
@click.option("--parquet-compression", type=click.Choice(["snappy", "zstd"]), default="snappy",
              show_default=True,
              help="Codec of the Parquet files: snappy (as `datasets` writes them) or zstd "
                   "(about 40% smaller, slower to write).")
@click.option("--concepts", "concepts_spec", default=None, metavar="SPEC",
              help="Draw from some concepts only: a count (40: a seeded choice spread over "
                   "the fields), a file of concept ids one a line, or field:NAME,NAME. "
                   "[default: every concept of the lexicon]")
@click.option("--min-occurrences", type=click.IntRange(1), default=None, metavar="K",
              help="Balanced coverage: every word (a concept in one language) occurs at least "
                   "K times in the mnemo stage; needs --n of at least K x words (the build "
                   "says). [default: words drawn independently]")
@click.option("--out", default=None,
              help="Output folder, or an fsspec URL (s3://bucket/name, file:///shared/name; "
                   "the filesystem's package installed); must not exist, be empty, or (with "
                   "--overwrite) hold a corpusgen build. [default: a folder named from the "
                   "options in the current directory, e.g. mnemo-ru-en-th-100k]")
@click.option("--overwrite", is_flag=True,
              help="Replace --out when it holds a corpusgen build or is empty; anything else "
                   "is refused.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--tokenizer", "train_tok", is_flag=True,
              help="Also train the tokenizer into --out/tokenizer/ (`corpusgen tokenizer "
                   "train` with its defaults).")
@click.option("--push-to", default=None, metavar="OWNER/NAME",
              help="Push the finished build to this Hub dataset repo (checked before building). "
                   "[default: no push]")
@LEXICONS
def build(langs, n, min_parts, max_parts, mix, seed, glosses_per_scene, language_data,
          language_config, language_split, workers, engine, address, shard_scenes,
          parquet_compression, concepts_spec, min_occurrences, out, overwrite, quiet, train_tok,
          push_to, lexicons) -> None:
    """Build the curriculum dataset (mnemo, bridge, language) into --out."""
    from mnemophrase.corpusgen.output.folder import OutputError
    from mnemophrase.corpusgen.output.url import is_url

    _check_ranges(n, min_parts, max_parts, mix, seed)
    if out is not None and is_url(out) and (train_tok or push_to):
        raise click.UsageError(f"{'--tokenizer' if train_tok else '--push-to'} needs a folder "
                               "on this machine as --out, not a URL")
    if push_to:
        from mnemophrase.corpusgen.push import PushError, preflight

        try:
            preflight(push_to)
        except PushError as exc:
            raise Failure(f"--push-to: {exc}") from None
    finishers = []
    if train_tok:
        from mnemophrase.cli.tokenizer import train_into_build

        finishers.append(lambda folder: train_into_build(folder, quiet=quiet))
    _check_engine(engine, address, language_data)
    claim = _claim(out, overwrite)
    runner = None
    try:
        with _stop_on_signals(), claim if claim is not None else nullcontext():
            runner = _engine(engine, address, workers, n, shard_scenes)
            lex = load_or_fail(lexicons, langs)
            mix_given = (click.get_current_context().get_parameter_source("mix")
                         is not click.core.ParameterSource.DEFAULT)
            if len(lex.langs) == 1 and mix > 0 and mix_given:
                warn(f"--mix {mix:g} asks for cross-lingual hyperwords, but the build has one "
                     f"language ({lex.langs[0]}): every hyperword will be in it alone")
            stats, out = _run(lex, n, min_parts, max_parts, mix, seed, workers, runner,
                              shard_scenes, parquet_compression, claim, overwrite, quiet,
                              tuple(finishers), concepts_spec, min_occurrences,
                              glosses_per_scene, (language_data, language_config,
                                                  language_split))
    except OutputError as exc:
        raise Failure(str(exc)) from None
    except OSError as exc:
        raise Failure(f"cannot write {out}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        raise Failure("interrupted; nothing was written") from None
    finally:
        if runner is not None:
            runner.close()
    total = sum(sum(v.values()) for v in stats["rows"].values())
    click.echo(f"built {out}: {stats['scenes']:,} scenes, {total:,} rows "
               f"({stats['cross_lingual_share']:.0%} cross-lingual)")
    if push_to:
        from mnemophrase.cli.push import push_after_build

        push_after_build(out, repo=push_to)


def _check_engine(engine: str, address: str | None, language_data: str | None) -> None:
    if language_data and engine == "ray":
        raise click.UsageError("--language-data needs --engine local: its texts are staged on "
                               "this machine")
    if address and engine != "ray":
        raise click.UsageError("--address is for --engine ray")


def _claim(out: str | None, overwrite: bool):
    """The claimed --out (a folder, or a URL), before any slow step, so that a second build
    of it is refused at once; None without --out (the folder is named from the options)."""
    from mnemophrase.corpusgen.output.folder import Output, OutputError
    from mnemophrase.corpusgen.output.url import UrlOutput, is_url

    if out is None:
        return None
    try:
        return UrlOutput(out, overwrite) if is_url(out) else Output(Path(out), overwrite)
    except OutputError as exc:
        raise Failure(str(exc)) from None


def _engine(name: str, address: str | None, workers: int | None, n: int,
            shard_scenes: int | None):
    """The engine, its workers started at once (or the Ray cluster joined), so that they
    import their libraries while this process loads the lexicon and makes the tables."""
    from mnemophrase.corpusgen.build.options import BuildError, default_workers
    from mnemophrase.corpusgen.build.shards import SHARD_SCENES, shard_count

    try:
        if name == "ray":
            from mnemophrase.corpusgen.build.engine_ray import RayEngine

            runner = RayEngine(address)
        else:
            from mnemophrase.corpusgen.build.engine_local import LocalEngine

            runner = LocalEngine(workers or default_workers())
        runner.prepare(shard_count(n, shard_scenes or SHARD_SCENES))
    except BuildError as exc:
        raise Failure(str(exc)) from None
    return runner


def _run(lex, n, min_parts, max_parts, mix, seed, workers, runner, shard_scenes,
         parquet_compression, claim, overwrite, quiet, finishers, concepts_spec=None,
         min_occurrences=None, glosses_per_scene=1, language=(None, None, "train")):
    """The build itself, into the claimed output (or, without --out, a folder named from
    the options in the current directory, claimed here)."""
    from mnemophrase.corpusgen.build.options import default_out_name, default_workers
    from mnemophrase.corpusgen.build.run import BuildError, BuildOptions
    from mnemophrase.corpusgen.build.run import build as run_build
    from mnemophrase.corpusgen.build.shards import SHARD_SCENES
    from mnemophrase.corpusgen.build.vocabulary import choose_concepts
    from mnemophrase.corpusgen.output.folder import Output

    try:
        concepts = (choose_concepts(lex, concepts_spec, seed) if concepts_spec is not None
                    else None)
    except BuildError as exc:
        raise Failure(str(exc)) from None
    options = BuildOptions(tuple(lex.langs), n, min_parts, max_parts, mix, seed,
                           workers=workers or default_workers(),
                           shard_scenes=shard_scenes or SHARD_SCENES,
                           parquet_compression=parquet_compression, concepts=concepts,
                           min_occurrences=min_occurrences,
                           glosses_per_scene=glosses_per_scene, language_data=language[0],
                           language_config=language[1], language_split=language[2])
    try:
        if claim is None:
            claim = Output(Path(default_out_name(options)), overwrite)
            click.echo(f"writing {claim.shown}/ (no --out given)", err=True)
            with claim:
                stats = run_build(lex, options, claim, progress=not quiet, finishers=finishers,
                                  engine=runner)
        else:
            stats = run_build(lex, options, claim, progress=not quiet, finishers=finishers,
                              engine=runner)
    except BuildError as exc:
        raise Failure(str(exc)) from None
    return stats, claim.shown


def _check_ranges(n: int, min_parts: int, max_parts: int, mix: float, seed: int) -> None:
    if n < 1:
        raise click.BadParameter("must be at least 1", param_hint="--n")
    for name, value in (("--min-parts", min_parts), ("--max-parts", max_parts)):
        if not 2 <= value <= 6:
            raise click.BadParameter(f"{value} is outside 2..6", param_hint=name)
    if min_parts > max_parts:
        raise click.UsageError(f"--min-parts {min_parts} is above --max-parts {max_parts}")
    if not 0.0 <= mix <= 1.0:
        raise click.BadParameter(f"{mix} is outside 0..1", param_hint="--mix")
    if not 0 <= seed <= SEED_MAX:
        raise click.BadParameter(f"{seed} is outside 0..{SEED_MAX}", param_hint="--seed")


@contextmanager
def _stop_on_signals():
    """Ctrl-C or `kill` asks the build to stop at its next chunk, where it can clean up;
    a second signal stops it at once. The previous handlers come back afterwards."""
    import signal

    from mnemophrase.corpusgen.build.interrupt import STOP

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
