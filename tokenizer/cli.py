"""`corpusgen tokenizer ...`: train, evaluate and extend the hyperword tokenizer.

Module-level imports stay light (click only): `corpusgen --help` must not load
sentencepiece, transformers or torch.
"""

from __future__ import annotations

from pathlib import Path

import click

BUILD_DIR = click.argument("build_dir", metavar="DIR", type=click.Path(path_type=Path))


@click.group("tokenizer")
def tokenizer_group() -> None:
    """Train, evaluate and extend the hyperword tokenizer."""


@tokenizer_group.command("train")
@BUILD_DIR
@click.option("--vocab-size", type=click.IntRange(min=1), default=16000, show_default=True,
              help="Pieces in the vocabulary (a small build may fill fewer; the real size "
                   "is recorded). Must exceed the lexicon's word count.")
@click.option("--model", "model_type", type=click.Choice(["unigram", "bpe"]),
              default="unigram", show_default=True, help="SentencePiece model type.")
@click.option("--splitter", type=click.Choice(["bpe", "morfessor", "none"]), default="bpe",
              show_default=True,
              help="Unsupervised splitter for the segmented copy of the text (helps unseen "
                   "words; morfessor is slower).")
@click.option("--quiet", is_flag=True, help="No progress lines.")
def train_command(build_dir: Path, vocab_size: int, model_type: str, splitter: str,
                  quiet: bool) -> None:
    """Train the tokenizer on DIR's train split into DIR/tokenizer/ (tokenizer.model,
    tokenizer.json, tokenizer_config.json) and record its settings in stats and card."""
    from .train import record_in_card, record_in_stats, train_tokenizer

    settings = train_tokenizer(build_dir, vocab_size=vocab_size, model_type=model_type,
                               splitter=splitter, quiet=quiet)
    record_in_stats(build_dir, settings)
    record_in_card(build_dir, settings)
    click.echo(f"trained {build_dir / 'tokenizer'}: {settings['model_type']}, "
               f"{settings['vocab_size']:,} pieces in {settings['train_seconds']:.1f} s")
