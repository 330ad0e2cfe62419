"""Supervised fine-tuning with TRL's SFTTrainer, stage by stage.

An ordinary SFTTrainer script; the lines marked `# mnemo:` are all the plugin adds.
Rows keep their curriculum order, so leave TRL's packing off (its best-fit packing sorts
rows); the plugin's batches are padding-free already.

    python examples/trl_sft.py --tiny --data build/demo --out build/run-trl
    python examples/trl_sft.py --data build/demo --out build/run-trl --rows 256   # SmolLM2-135M

Writes the stage adapters to OUT/adapters/<stage>/.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):  # bad input: one line, no usage dump, no traceback
        self.exit(2, f"{self.prog}: error: {message}\n")


def parse_args(argv=None):
    p = OneLineParser(prog="trl_sft.py", description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True, help="published dataset folder")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--tiny", action="store_true", help="tiny random Llama (CPU, < 1 min)")
    p.add_argument("--regime", choices=["sequential", "mixed", "reverse"], default="sequential")
    p.add_argument("--rows", type=int, default=None, help="rows per stage (default: all)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=None, help="default 5e-3 tiny, 2e-4 otherwise")
    p.add_argument("--bf16", action="store_true", help="bfloat16 mixed precision (GPU)")
    args = p.parse_args(argv)
    for name in ("rows", "batch_size"):
        value = getattr(args, name)
        if value is not None and value < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if not args.data.is_dir():
        p.error(f"--data {args.data}: no such folder")
    from train_plugin import StagePluginError, read_stage_order  # light: no torch yet

    try:  # a wrong folder fails here, before a model is loaded
        read_stage_order(args.data)
    except StagePluginError as e:
        p.error(str(e))
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch
    from trl import SFTConfig, SFTTrainer

    from train_plugin import StagedLoRA, StagePluginError  # mnemo:
    from train_plugin.models import load_smollm2, tiny_model_and_tokenizer

    try:
        if args.tiny:
            model, tokenizer = tiny_model_and_tokenizer(args.data)
            lora = {"r": 4, "lora_alpha": 8}
        else:
            model, tokenizer = load_smollm2()
            lora = None
        staged = StagedLoRA.from_dataset(  # mnemo: stages in the card's stage_order
            args.data, tokenizer, regime=args.regime, rows=args.rows, lora=lora,
            adapters_dir=args.out / "adapters")
        model = staged.wrap(model)  # mnemo: one LoRA adapter per stage

        config = SFTConfig(
            output_dir=str(args.out),
            per_device_train_batch_size=args.batch_size,
            learning_rate=args.lr or (5e-3 if args.tiny else 2e-4),
            logging_steps=10,
            save_strategy="no",
            report_to=[],
            use_cpu=not torch.cuda.is_available(),
            bf16=args.bf16,
            disable_tqdm=True,
            packing=False,  # best-fit packing reorders rows; stage order must hold
            max_length=None,  # rows are already truncated by the plugin
        )
        trainer = SFTTrainer(
            model=model,
            args=config,
            train_dataset=staged.train_dataset,  # mnemo: tokenised, completion-only labels
            data_collator=staged.collator,  # mnemo: padding-free batches
            processing_class=tokenizer,
        )
        staged.attach(trainer)  # mnemo: stage switches, optimizer over all stages, data order
        trainer.train()
    except (StagePluginError, FileNotFoundError) as e:
        print(f"trl_sft.py: error: {e}", file=sys.stderr)
        return 2
    if trainer.args.should_save:
        print(f"stages {', '.join(staged.finished)}; adapters in {args.out / 'adapters'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
