"""Generator benchmarks: rate against Faker, whole builds, memory, workers.

Run: `make bench` (or `python bench/bench_corpusgen.py`). Prints a markdown table; every
figure is measured in this run on this machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CORPUSGEN = [sys.executable, "-m", "corpusgen.cli"]


def generation_rate(seconds: float = 5.0) -> float:
    """Rows (hyperword + gloss + sentence, in Arrow) per second, drawing chunk after chunk."""
    from corpusgen.generate import DrawOptions, SceneDrawer
    from corpusgen.lexicon import load_lexicon
    from corpusgen.rows import stage_tables
    from corpusgen.scenes import SceneTables

    langs = ("ru", "en", "th")
    tables = SceneTables(load_lexicon(langs=list(langs)), list(langs))
    drawer = SceneDrawer(tables, DrawOptions(langs))
    names = np.array(tables.concepts, dtype=object)
    rows, index, start = 0, 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        chunk = drawer.draw(index)
        stage_tables(chunk, np.arange(len(chunk.key)), None, list(langs), names)
        rows += len(chunk.key)
        index += 1
    return rows / (time.perf_counter() - start)


def faker_rate(locale: str, seconds: float = 3.0) -> float:
    from faker import Faker

    fake = Faker(locale)
    fake.seed_instance(0)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(1000):
            fake.sentence()
        n += 1000
    return n / (time.perf_counter() - start)


def timed_build(n: int, workers: int = 1, cache: str | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of `corpusgen build` in its own process."""
    with tempfile.TemporaryDirectory(dir=ROOT / "build" if (ROOT / "build").exists() else None) as tmp:
        env = dict(os.environ)
        if cache is not None:
            env["CORPUSGEN_CACHE"] = cache
        start = time.perf_counter()
        proc = subprocess.Popen(
            [*CORPUSGEN, "build", "--n", str(n), "--out", f"{tmp}/out", "--quiet",
             "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if status != 0:
            raise SystemExit(f"build --n {n} failed")
        return wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big", type=int, default=1_000_000, help="n for the memory check")
    args = parser.parse_args()
    (ROOT / "build").mkdir(exist_ok=True)

    ours = generation_rate()
    fakers = {loc: faker_rate(loc) for loc in ("ru_RU", "en_US", "th_TH")}
    timed_build(2000)  # warm the inflection cache and the page cache
    with tempfile.TemporaryDirectory() as empty_cache:
        cold, _ = timed_build(100_000, cache=empty_cache)
    warm, mem_small = timed_build(100_000)
    big_wall, mem_big = timed_build(args.big)
    w1, _ = timed_build(300_000, workers=1)
    w2, _ = timed_build(300_000, workers=2)

    print("| generator figure | value |")
    print("| --- | ---: |")
    print(f"| corpusgen rows/s (hyperword + gloss + sentence, Arrow rows) | {ours:,.0f} |")
    for loc, rate in fakers.items():
        print(f"| Faker `sentence()` {loc} per s | {rate:,.0f} (we are {ours / rate:.1f}x) |")
    print(f"| `build --n 100000` wall, warm inflection cache | {warm:.1f} s |")
    print(f"| `build --n 100000` wall, cold cache (first run) | {cold:.1f} s |")
    print(f"| peak RSS n=100,000 | {mem_small:,.0f} MB |")
    print(f"| peak RSS n={args.big:,} ({big_wall:.1f} s) | {mem_big:,.0f} MB "
          f"({mem_big / mem_small:.2f}x) |")
    print(f"| `build --n 300000` --workers 1 / 2 | {w1:.1f} s / {w2:.1f} s "
          f"(speed-up {w1 / w2:.2f}x) |")


if __name__ == "__main__":
    main()
