"""Fine-tune a causal LM in a plain PyTorch loop, stage by stage.

An ordinary training loop; the lines marked `# mnemo:` are all the plugin adds. Runs in
one process or under torchrun (DDP over gloo on CPU, nccl on GPU).

    DATA=build/mnemo-ru-en-th-20k OUT=build/run   # `make demo` builds DATA
    python examples/plain_loop.py --tiny --data $DATA --out $OUT-loop
    torchrun --nproc_per_node 2 examples/plain_loop.py --tiny --data $DATA --out $OUT-loop
    python examples/plain_loop.py --data $DATA --out $OUT-loop --rows 256   # SmolLM2-135M
    python examples/plain_loop.py --data $DATA --out $OUT-loop --core-dropout 0.25

Writes the stage adapters to OUT/adapters/<stage>/, a checkpoint every --save-steps steps
to OUT/checkpoint/, and resumes from it with --resume.
"""

from __future__ import annotations

import os
import sys

from common import learning_rate, model_and_tokenizer, parse, parser


def parse_args(argv=None):
    p = parser("plain_loop.py", __doc__)
    p.add_argument("--grad-accum", type=int, default=1)
    p.add_argument("--core-dropout", type=float, default=0.0,
                   help="share of later-stage steps trained with the core off, [0, 1]")
    p.add_argument("--save-steps", type=int, default=0, help="checkpoint every N steps")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint")
    args = parse(p, argv, positive=("rows", "batch_size", "grad_accum"))
    if args.resume and not (args.out / "checkpoint").is_dir():
        p.error(f"--resume: no checkpoint in {args.out / 'checkpoint'}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch
    import torch.distributed as dist

    from mnemophrase.train_plugin import StagedLoRA, StagePluginError, generate_gloss  # mnemo:

    distributed = "RANK" in os.environ  # started by torchrun
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank = dist.get_rank() if distributed else 0
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
                          if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)  # the same adapter initialisation on every rank

    try:
        model, tokenizer, lora = model_and_tokenizer(args)
        staged = StagedLoRA.from_dataset(  # mnemo: stages in the card's stage_order
            args.data, tokenizer, regime=args.regime, rows=args.rows, lora=lora,
            format=args.format, protection=args.protection, adapters_dir=args.out / "adapters",
            overwrite_adapters=args.overwrite)
        model = staged.wrap(model).to(device)  # mnemo: one LoRA adapter per stage
        optimizer = torch.optim.AdamW(
            staged.parameters(model),  # mnemo: every stage's adapter, from the start
            lr=learning_rate(args), weight_decay=0.0)
        if distributed:
            # frozen and not-yet-started adapters get no gradient: DDP must allow that
            model = torch.nn.parallel.DistributedDataParallel(
                model, find_unused_parameters=True)
        steps = staged.steps(  # mnemo: stage switches, per-stage lr, this rank's rows
            model, optimizer, batch_size=args.batch_size, grad_accum=args.grad_accum,
            device=device, resume_from=args.out / "checkpoint" if args.resume else None)

        model.train()
        for step in steps:
            for i, batch in enumerate(step.batches):
                # accumulate locally; synchronise gradients on the last micro-batch only
                last = i == len(step.batches) - 1
                sync = model.no_sync() if distributed and not last else _nullcontext()
                with sync:
                    loss = model(**batch).loss / len(step.batches)
                    loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad()
            if rank == 0 and step.index % 10 == 0:
                print(f"step {step.index} stage {step.stage} lr {step.lr:.2e} "
                      f"loss {loss.item() * len(step.batches):.4f}", flush=True)
            if args.save_steps and (step.index + 1) % args.save_steps == 0:
                steps.save_checkpoint(args.out / "checkpoint")  # mnemo: adapters, optimizer, rows
    except StagePluginError as e:
        print(f"plain_loop.py: error: {e}", file=sys.stderr)
        return 2
    finally:
        if distributed and dist.is_initialized():
            dist.destroy_process_group()
    if rank == 0:
        print(f"stages {', '.join(staged.finished)}; adapters in {args.out / 'adapters'}")
        from datasets import load_from_disk

        row = load_from_disk(str(args.data / "arrow" / "mnemo"))["test"][0]
        (gloss,) = generate_gloss(  # mnemo: decoding with exactly the training prompt
            model.module if distributed else model, tokenizer, [row], max_new_tokens=24)
        print(f"{row['hyperword']} -> {gloss!r} (reference {row['gloss']!r})")
    return 0


def _nullcontext():
    import contextlib

    return contextlib.nullcontext()


if __name__ == "__main__":
    sys.exit(main())
