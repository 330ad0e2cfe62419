"""Fine-tune a causal LM with the Hugging Face Trainer, stage by stage.

An ordinary Trainer script; the lines marked `# mnemo:` are all the plugin adds.

    DATA=build/mnemo-ru-en-th-20k OUT=build/run   # `make demo` builds DATA
    python examples/hf_trainer.py --tiny --data $DATA --out $OUT-hf
    python examples/hf_trainer.py --data $DATA --out $OUT-hf --rows 256   # SmolLM2-135M
    python examples/hf_trainer.py --data $DATA --out $OUT-hf --replay 0.25 --keep-core 1
    torchrun --nproc_per_node 2 examples/hf_trainer.py --tiny --data $DATA --out $OUT-hf

Writes the stage adapters to OUT/adapters/<stage>/.
"""

from __future__ import annotations

import sys
from pathlib import Path

from common import learning_rate, model_and_tokenizer, parse, parser


def parse_args(argv=None):
    p = parser("hf_trainer.py", __doc__)
    p.add_argument("--grad-accum", type=int, default=1)
    p.add_argument("--save-steps", type=int, default=0, help="checkpoint every N steps")
    p.add_argument("--resume", default=None, help="checkpoint folder, or 'last'")
    p.add_argument("--bf16", action="store_true", help="bfloat16 mixed precision (GPU)")
    args = parse(p, argv, positive=("rows", "batch_size", "grad_accum"))
    if args.resume == "last":
        from transformers.trainer_utils import get_last_checkpoint

        last = get_last_checkpoint(str(args.out)) if args.out.is_dir() else None
        if last is None:
            p.error(f"--resume last: no checkpoint-* folder in {args.out}")
        args.resume = last
    elif args.resume is not None and not Path(args.resume).is_dir():
        p.error(f"--resume {args.resume}: no such checkpoint folder")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch
    from transformers import Trainer, TrainingArguments

    from mnemophrase.train_plugin import StagedLoRA, StagePluginError  # mnemo:

    try:
        model, tokenizer, lora = model_and_tokenizer(args)
        staged = StagedLoRA.from_dataset(  # mnemo: stages in the card's stage_order
            args.data, tokenizer, regime=args.regime, rows=args.rows, lora=lora,
            format=args.format, protection=args.protection,
            adapters_dir=args.out / "adapters",
            overwrite_adapters=args.overwrite)
        model = staged.wrap(model)  # mnemo: one LoRA adapter per stage

        training_args = TrainingArguments(
            output_dir=str(args.out),
            per_device_train_batch_size=args.batch_size,
            gradient_accumulation_steps=args.grad_accum,
            learning_rate=learning_rate(args),
            logging_steps=10,
            save_strategy="steps" if args.save_steps else "no",
            save_steps=args.save_steps or 500,
            report_to=[],
            use_cpu=not torch.cuda.is_available(),
            bf16=args.bf16,
            disable_tqdm=True,
        )
        trainer = Trainer(
            model=model,
            args=training_args,
            train_dataset=staged.train_dataset,  # mnemo: tokenised rows of every stage
            data_collator=staged.collator,  # mnemo: padding-free, completion-only loss
        )
        staged.attach(trainer)  # mnemo: stage switches, optimizer over all stages, data order
        trainer.train(resume_from_checkpoint=args.resume)
    except (StagePluginError, FileNotFoundError) as e:
        print(f"hf_trainer.py: error: {e}", file=sys.stderr)
        return 2
    if trainer.args.should_save:
        print(f"stages {', '.join(staged.finished)}; adapters in {args.out / 'adapters'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
