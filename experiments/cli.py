"""The command line: `python -m experiments [--quick] [--out DIR] ...`.

Bad input ends in one line on stderr and exit status 2; a folder this tool did not make is
never written into.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

from .config import ARMS, full_sizes, quick_sizes

MARKER = ".mnemo-experiment"
DEFAULT_LANGUAGE_DATA = Path(__file__).with_name("ordinary_text.txt")


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):  # bad input: one line, no usage dump, no traceback
        self.exit(2, f"{self.prog}: error: {message}\n")


def parse_args(argv):
    p = OneLineParser(prog="python -m experiments",
                      description="The mnemo experiment: arms, seeds, intervals.")
    p.add_argument("--quick", action="store_true",
                   help="a tiny random Llama and a small build (tests; under a minute)")
    p.add_argument("--out", type=Path, default=Path("build/experiment"))
    p.add_argument("--arms", default=",".join(ARMS), help="comma-separated arms to run")
    p.add_argument("--seeds", default=None, help="comma-separated training seeds (0,1,2)")
    p.add_argument("--langs", default="ru,en,th", help="languages of the build")
    p.add_argument("--language-data", type=Path, default=DEFAULT_LANGUAGE_DATA,
                   help="ordinary text the generator did not write: .txt (a text a line), "
                        ".jsonl or .parquet with a `text` field")
    for name, kind in (("scenes", int), ("rows", int), ("language-rows", int),
                       ("batch-size", int), ("lr", float),
                       ("rank", int), ("lora-layers", int), ("eval-rows", int),
                       ("recall-rows", int), ("concepts", int), ("distractors", int),
                       ("choice-rows", int), ("min-occurrences", int),
                       ("max-new-tokens", int), ("max-length", int),
                       ("bootstrap", int)):
        p.add_argument(f"--{name}", type=kind, default=None)
    p.add_argument("--curve", default=None,
                   help="comma-separated row counts below --rows after which the core is "
                        "also measured (a learning curve over exposures, one run)")
    p.add_argument("--core-only", action="store_true",
                   help="train and measure the base model and the mnemo core alone (a "
                        "learning curve's points); no arm runs")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 ...")
    p.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32",
                   help="base weights (adapters train in float32)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: 2 on a CPU, 1 on a GPU and with --quick)")
    p.add_argument("--threads", type=int, default=None, help="torch threads per worker")
    p.add_argument("--budget-minutes", type=float, default=None,
                   help="start no unit that would end past this many minutes (arms are "
                        "dropped from the end of --arms; the report says which)")
    p.add_argument("--report-only", action="store_true",
                   help="rewrite the report from the units already in --out")
    args = p.parse_args(argv)
    sizes = _sizes(p, args)
    args.arms = [a.strip() for a in args.arms.split(",") if a.strip()]
    unknown = [a for a in args.arms if a not in ARMS]
    if unknown or not (args.arms or args.core_only):
        p.error(f"--arms: {', '.join(unknown) or 'none given'}; choose from {', '.join(ARMS)}")
    if args.core_only:
        args.arms = []
    args.langs = [x.strip() for x in args.langs.split(",") if x.strip()]
    if args.language_data is not None and not args.language_data.is_file():
        p.error(f"--language-data {args.language_data}: no such file")
    if args.budget_minutes is not None and args.budget_minutes <= 0:
        p.error("--budget-minutes must be positive")
    if args.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            p.error("--device cuda: torch sees no CUDA device")
    if args.workers is None:
        args.workers = 1 if (args.quick or args.device != "cpu") else 2
    if args.workers < 1:
        p.error("--workers must be at least 1")
    if args.threads is None:  # the tiny model is fastest on one thread
        args.threads = 1 if args.quick else max(1, (os.cpu_count() or 1) // args.workers)
    return args, sizes


def _sizes(p, args):
    """The run's Sizes: --quick's or the full run's, with the options given on top."""
    sizes = quick_sizes() if args.quick else full_sizes()
    for name in ("scenes", "rows", "language_rows", "batch_size", "lr", "rank", "lora_layers",
                 "eval_rows", "recall_rows", "concepts", "distractors", "choice_rows",
                 "min_occurrences", "max_new_tokens", "max_length", "bootstrap"):
        value = getattr(args, name)
        if value is None:
            continue
        if value <= 0 if name == "lr" else value < (0 if name == "lora_layers" else 1):
            p.error(f"--{name.replace('_', '-')} must be positive")
        setattr(sizes, name, value)
    if sizes.batch_size % sizes.grad_accum:
        sizes.grad_accum = 1  # a batch that does not split evenly trains in one micro-batch
    for wrong, message in _size_rules(sizes):
        if wrong:
            p.error(message)
    if args.curve is not None:
        sizes.curve = _curve(p, args.curve, sizes)
    if args.seeds is not None:
        try:
            sizes.seeds = tuple(int(s) for s in args.seeds.split(",") if s.strip())
        except ValueError:
            p.error(f"--seeds {args.seeds!r}: comma-separated integers")
        if not sizes.seeds:
            p.error("--seeds: at least one seed")
    return sizes


def _size_rules(sizes) -> list[tuple[bool, str]]:
    """(broken?, message) for each rule that ties one size to another."""
    return [
        (sizes.rows % sizes.batch_size != 0,
         "--rows must be a multiple of --batch-size (equal steps in every arm)"),
        ((sizes.language_rows or 0) % sizes.batch_size != 0,
         "--language-rows must be a multiple of --batch-size"),
        (sizes.choice_rows > sizes.recall_rows,
         "--choice-rows cannot exceed --recall-rows (the choice reads recall's rows)"),
        (sizes.concepts is not None and sizes.concepts < 10,
         "--concepts must be at least 10 (a tenth of them is held out)"),
        (sizes.recall_rows > sizes.eval_rows,
         "--recall-rows cannot exceed --eval-rows (recall decodes rows of gloss_seen)"),
    ]


def _curve(p, text: str, sizes) -> tuple[int, ...]:
    """--curve's row counts: multiples of the batch size below --rows."""
    try:
        counts = tuple(sorted({int(x) for x in text.split(",") if x.strip()}))
    except ValueError:
        p.error(f"--curve {text!r}: comma-separated row counts")
    bad = [n for n in counts if n <= 0 or n >= sizes.rows or n % sizes.batch_size]
    if bad:
        p.error(f"--curve: {', '.join(map(str, bad))} must be multiples of --batch-size "
                f"below --rows ({sizes.rows})")
    return counts


def claim_output(out: Path) -> str | None:
    """None if `out` is ours to write (new, empty, or made by this tool); else why not."""
    if out.exists() and not out.is_dir():
        return f"--out {out}: exists and is not a folder"
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        return f"--out {out}: a folder this tool did not make; choose another --out"
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("made by python -m experiments\n", encoding="utf-8")
    return None


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args, sizes = parse_args(argv)
    problem = claim_output(args.out)
    if problem:
        print(f"python -m experiments: error: {problem}", file=sys.stderr)
        return 2
    from .data import DataProblem
    from .pipeline import run_experiment
    from .runner import UnitFailed

    command = "python -m experiments " + shlex.join(argv) if argv else "python -m experiments"
    started = time.time()
    try:
        run_experiment(args, sizes, command, started)
    except (DataProblem, UnitFailed) as e:
        print(f"python -m experiments: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("python -m experiments: interrupted; finished units are kept in "
              f"{args.out / 'units'} and reused by the same command", file=sys.stderr)
        return 130
    print(json.dumps({"results": str(args.out / "results.md"),
                      "minutes": round((time.time() - started) / 60, 1)}))
    return 0
