"""What the three examples share: their command line and the model they train.

Not an example itself; each example imports it (it sits beside them on sys.path).
"""

from __future__ import annotations

import argparse
from pathlib import Path


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):  # bad input: one line, no usage dump, no traceback
        self.exit(2, f"{self.prog}: error: {message}\n")


def parser(prog: str, doc: str) -> OneLineParser:
    """The options every example takes; an example adds its own to the result."""
    p = OneLineParser(prog=prog, description=doc.splitlines()[0])
    p.add_argument("--data", type=Path, required=True, help="published dataset folder")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the adapters an earlier run left in OUT/adapters")
    p.add_argument("--tiny", action="store_true",
                   help="tiny random Llama and a character tokenizer (CPU); add --rows for a "
                        "short run (a 20k build's train rows are 7,355 steps of 8)")
    p.add_argument("--regime", choices=["sequential", "mixed", "reverse"], default="sequential")
    p.add_argument("--format", choices=["chat", "prompt", "text"], default=None,
                   help="row format (default: chat when the tokenizer has a chat template)")
    p.add_argument("--rows", type=int, default=None, help="rows per stage (default: all)")
    p.add_argument("--batch-size", type=int, default=8, help="rows per step (default 8)")
    p.add_argument("--lr", type=float, default=None, help="default 5e-3 tiny, 2e-4 otherwise")
    p.add_argument("--replay", type=float, default=0.0,
                   help="share of each later-stage step replayed from earlier stages, [0, 1)")
    p.add_argument("--keep-core", type=float, default=0.0,
                   help="weight of the KL term keeping the core's outputs (default 0: off)")
    return p


def parse(p: OneLineParser, argv=None, positive=("rows", "batch_size")):
    """Parse, then check what argparse cannot: ranges, and that --data is a dataset."""
    args = p.parse_args(argv)
    for name in positive:
        value = getattr(args, name)
        if value is not None and value < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.lr is not None and not args.lr > 0:
        p.error("--lr must be positive")
    if not args.data.is_dir():
        p.error(f"--data {args.data}: no such folder")
    from mnemophrase.train_plugin import (  # no torch yet
        Protection,
        StagePluginError,
        read_stage_order,
    )

    try:  # a wrong folder fails here, before a model is loaded
        read_stage_order(args.data)
    except StagePluginError as e:
        p.error(str(e))
    try:  # and a protection out of range; its message starts with the option's name
        args.protection = Protection(replay=args.replay, keep_core=args.keep_core,
                                     core_dropout=getattr(args, "core_dropout", 0.0))
    except StagePluginError as e:
        option, rest = str(e).split(" ", 1)
        p.error(f"--{option.replace('_', '-')} {rest}")
    return args


def model_and_tokenizer(args):
    """(model, tokenizer, LoRA settings): a tiny random Llama with --tiny, else SmolLM2."""
    if args.tiny:
        from mnemophrase.train_plugin.models import tiny_model_and_tokenizer

        model, tokenizer = tiny_model_and_tokenizer(args.data)
        return model, tokenizer, {"r": 4, "lora_alpha": 8}
    from mnemophrase.basemodel import load_smollm2

    model, tokenizer = load_smollm2()
    return model, tokenizer, None


def learning_rate(args) -> float:
    return args.lr or (5e-3 if args.tiny else 2e-4)
