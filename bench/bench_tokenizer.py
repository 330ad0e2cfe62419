"""Tokenizer training time on a 100k build (goal: <= 30 s on a 2-core machine).

    python bench/bench_tokenizer.py                 # builds 100k scenes into a temp folder
    python bench/bench_tokenizer.py --build DIR     # times training on an existing build
    python bench/bench_tokenizer.py --json          # one JSON line for bench/run.py

Each repeat trains from scratch into the build (`corpusgen tokenizer train DIR`'s code
path). Wall time is what the goal is stated in; CPU time is printed beside it because on a
shared machine the wall time also measures the neighbours (SentencePiece uses two threads,
so an idle 2-core machine shows wall ~ CPU / 1.6).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_SECONDS = 30.0
ROOT = Path(__file__).resolve().parent.parent


def make_build(n: int, where: Path) -> Path:
    out = where / f"build-{n}"
    corpusgen = Path(sys.executable).with_name("corpusgen")
    command = [str(corpusgen)] if corpusgen.exists() else [sys.executable, "-m", "corpusgen.cli"]
    subprocess.run(command + ["build", "--n", str(n), "--out", str(out), "--quiet"],
                   check=True, cwd=ROOT)
    return out


def time_training(build: Path, repeats: int, vocab_size: int) -> list[dict]:
    from tokenizer.train import train_tokenizer

    runs = []
    for _ in range(repeats):
        cpu0 = os.times()
        wall0 = time.perf_counter()
        settings = train_tokenizer(build, vocab_size=vocab_size)
        wall = time.perf_counter() - wall0
        cpu1 = os.times()
        cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
        runs.append({"wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
                     "vocab_size": settings["vocab_size"]})
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, help="an existing build (default: make one)")
    parser.add_argument("--n", type=int, default=100_000, help="scenes when making a build")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--vocab-size", type=int, default=16000)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    tmp = Path(tempfile.mkdtemp(prefix="bench-tokenizer-"))
    try:
        build = args.build
        if build is None:
            build = make_build(args.n, tmp)
        else:
            # train into a copy: the bench must not replace a user's tokenizer
            copy = tmp / "build"
            shutil.copytree(build, copy, ignore=shutil.ignore_patterns("tokenizer"))
            build = copy
        runs = time_training(build, args.repeats, args.vocab_size)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    best = min(runs, key=lambda r: r["wall_seconds"])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    result = {"bench": "tokenizer_train", "scenes": args.n if args.build is None else None,
              "cores": os.cpu_count(), "load_average_1m": load, "runs": runs,
              "best_wall_seconds": best["wall_seconds"], "goal_seconds": GOAL_SECONDS,
              "ok": best["wall_seconds"] <= GOAL_SECONDS}
    if args.json:
        print(json.dumps(result))
    else:
        for i, r in enumerate(runs, 1):
            print(f"run {i}: {r['wall_seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s CPU, "
                  f"{r['vocab_size']:,} pieces")
        verdict = "within" if result["ok"] else "OVER"
        print(f"best {best['wall_seconds']:.1f} s — {verdict} the {GOAL_SECONDS:.0f} s goal "
              f"({os.cpu_count()} cores, load average {load:.1f})")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
