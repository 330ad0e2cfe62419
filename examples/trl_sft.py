"""Supervised fine-tuning with TRL's SFTTrainer, stage by stage.

An ordinary SFTTrainer script; the lines marked `# mnemo:` are all the plugin adds.
Rows keep their curriculum order, so leave TRL's packing off (its best-fit packing sorts
rows); the plugin's batches are padding-free already.

    DATA=build/mnemo-ru-en-th-20k OUT=build/run   # `make demo` builds DATA
    python examples/trl_sft.py --tiny --data $DATA --out $OUT-trl
    python examples/trl_sft.py --data $DATA --out $OUT-trl --rows 256   # SmolLM2-135M
    python examples/trl_sft.py --data $DATA --out $OUT-trl --format prompt --replay 0.25

Writes the stage adapters to OUT/adapters/<stage>/.
"""

from __future__ import annotations

import sys

from common import learning_rate, model_and_tokenizer, parse, parser


def parse_args(argv=None):
    p = parser("trl_sft.py", __doc__)
    p.add_argument("--bf16", action="store_true", help="bfloat16 mixed precision (GPU)")
    return parse(p, argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch
    from trl import SFTConfig, SFTTrainer

    from mnemophrase.train_plugin import StagedLoRA, StagePluginError  # mnemo:

    try:
        model, tokenizer, lora = model_and_tokenizer(args)
        staged = StagedLoRA.from_dataset(  # mnemo: stages in the card's stage_order
            args.data, tokenizer, regime=args.regime, rows=args.rows, lora=lora,
            format=args.format, protection=args.protection,
            adapters_dir=args.out / "adapters",
            overwrite_adapters=args.overwrite)
        model = staged.wrap(model)  # mnemo: one LoRA adapter per stage

        config = SFTConfig(
            output_dir=str(args.out),
            per_device_train_batch_size=args.batch_size,
            learning_rate=learning_rate(args),
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
