"""Generator benchmarks: rate against Faker, whole builds by workers and engine, memory.

Run: `make bench` (or `python bench/bench_corpusgen.py [--big N] [--huge N]`). Prints a
markdown table; every figure is measured in this run on this machine, with the load average
(1 min) read just before it, since other work on the machine moves the figures.

- a build's wall time is the `corpusgen build` command's, start-up included; the big builds
  run `--repeats` times (one worker, two workers, two workers with zstd Parquet, in turn)
  and print the median and the range;
- peak memory is the largest sum of resident memory over the build's process tree (the
  command and its workers), sampled every 50 ms;
- the Ray figure runs the same build as Ray tasks on a local 2-CPU Ray instance that is
  already up (as a cluster would be), and checks that every file has the same bytes as the
  local engine's.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
CORPUSGEN = [sys.executable, "-m", "mnemophrase.cli"]
LANGS = ("ru", "en", "th")


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def generation_rate(seconds: float = 5.0) -> float:
    """Rows (hyperword, gloss, sentence and the stages' columns, in Arrow) per second, one
    process, drawing and realising chunk after chunk."""
    from mnemophrase.corpusgen.build.shards import CHUNK_ROWS
    from mnemophrase.corpusgen.grammar.draw import DrawOptions, SceneDrawer
    from mnemophrase.corpusgen.grammar.rows import row_numbers, stage_tables
    from mnemophrase.corpusgen.grammar.scenes import SceneTables
    from mnemophrase.corpusgen.lexicon import load_lexicon

    tables = SceneTables(load_lexicon(langs=list(LANGS)), list(LANGS))
    drawer = SceneDrawer(tables, DrawOptions(LANGS))
    names = pa.array(tables.concepts, pa.string())
    rows, index, start = 0, 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        chunk = drawer.draw(index, CHUNK_ROWS)
        m = len(chunk.key)
        stage_tables(chunk, row_numbers(rows, m), list(LANGS), names)
        rows += m
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


def _tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and every process below it."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    parents[int(entry)] = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    total = 0
    for p in tree:
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):
            continue
    return total


_WRITE_GIB = """
import os, sys, time
block = os.urandom(16 << 20)
start = time.perf_counter()
with open(sys.argv[1], "wb") as f:
    for _ in range(64):
        f.write(block)
print(time.perf_counter() - start)
"""


def page_cache_rate(folder: Path, writers: int) -> float:
    """GB/s that each of `writers` processes writes into the page cache, all at once (one
    GiB each, untimed start-up): a build writes 2.8 GB per million scenes, and on a virtual
    machine this rate moves with the host, and falls when two processes write at once."""
    os.sync()
    procs = [subprocess.Popen([sys.executable, "-c", _WRITE_GIB, str(folder / f"gib-{i}")],
                              stdout=subprocess.PIPE, text=True) for i in range(writers)]
    seconds = [float(p.communicate()[0]) for p in procs]
    for i in range(writers):
        (folder / f"gib-{i}").unlink()
    return 2**30 / 1e9 / statistics.median(seconds)


def timed(command: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall seconds and peak resident MB of the command's whole process tree. The page
    cache is written out first (not timed): a build leaves its 2.8 GB per million scenes
    to be written to disk, and the kernel writing one build's files while the next runs
    would charge that build for the previous one's bytes."""
    os.sync()
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.05)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return wall, peak / 2**20


def build(out: Path, n: int, workers: int, *extra: str, env=None) -> tuple[float, float]:
    return timed([*CORPUSGEN, "build", "--langs", ",".join(LANGS), "--n", str(n), "--out",
                  str(out), "--quiet", "--workers", str(workers), *extra], env=env)


def digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def parquet_mb(root: Path) -> float:
    return sum(p.stat().st_size for p in (root / "data").rglob("*.parquet")) / 1e6


def ray_build(out: str, n: int, repeats: int) -> None:
    """(in its own process) time builds on a local 2-CPU Ray instance that is already up
    and warm; prints the wall seconds of each build alone, one a line."""
    import ray

    from mnemophrase.corpusgen.build.engine_ray import RayEngine
    from mnemophrase.corpusgen.build.run import BuildOptions, build
    from mnemophrase.corpusgen.lexicon import load_lexicon

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    lexicon = load_lexicon(langs=list(LANGS))
    build(lexicon, BuildOptions(LANGS, 2000), Path(out + "-warm"), progress=False,
          engine=RayEngine())  # starts the two workers
    for i in range(repeats):
        target = Path(out if i == repeats - 1 else f"{out}-{i}")
        os.sync()  # as `timed`
        start = time.perf_counter()
        build(lexicon, BuildOptions(LANGS, n), target, progress=False, engine=RayEngine())
        print(f"{time.perf_counter() - start:.3f}", flush=True)
        if target != Path(out):
            subprocess.run(["rm", "-rf", str(target)], check=True)
    ray.shutdown()


def spread(seconds: list[float]) -> str:
    """The median of repeated timings and their range."""
    if len(seconds) == 1:
        return f"{seconds[0]:.1f} s"
    return f"{statistics.median(seconds):.1f} s [{min(seconds):.1f}, {max(seconds):.1f}]"


def ratios(one: list[float], other: list[float]) -> str:
    """The median of `one` over the median of `other`, and the range of the ratios run by
    run (the i-th of one over the i-th of the other)."""
    paired = [a / b for a, b in zip(one, other)]
    text = f"{statistics.median(one) / statistics.median(other):.2f}x"
    return text if len(paired) == 1 else f"{text} [{min(paired):.2f}, {max(paired):.2f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", type=int, default=1_000_000, help="n of the timed builds")
    parser.add_argument("--huge", type=int, default=0,
                        help="also build this n for the memory figure (10000000 takes minutes)")
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray figure")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each timed --big build, one and two workers in turn")
    parser.add_argument("--ray-build", nargs=3, metavar=("OUT", "N", "REPEATS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ray_build:
        ray_build(args.ray_build[0], int(args.ray_build[1]), int(args.ray_build[2]))
        return
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        at = load()
        ours = generation_rate()
        rows.append(("corpusgen rows/s, one process (Arrow rows of all columns)",
                     f"{ours:,.0f}", at))
        for loc in ("ru_RU", "en_US", "th_TH"):
            at = load()
            rate = faker_rate(loc)
            rows.append((f"Faker `sentence()` {loc} per s", (f"{rate:,.0f} (corpusgen "
                         f"{ours / rate:.1f}x)"), at))
        build(tmp / "warm", 2000, 1)  # the inflection cache and the page cache
        with tempfile.TemporaryDirectory() as empty_cache:
            at = load()
            fresh = {**os.environ, "MNEMO_CACHE": empty_cache}
            cold, _ = build(tmp / "cold", 100_000, 2, env=fresh)
        rows.append(("`build --n 100000` --workers 2, cold inflection cache", f"{cold:.1f} s", at))
        at = load()
        small, mem_small = build(tmp / "small", 100_000, 2)
        rows.append(("`build --n 100000` --workers 2, warm", (f"{small:.1f} s, peak "
                     f"{mem_small:,.0f} MB"), at))
        at = load()
        one, two, zstd, mem_one, mem_two = [], [], [], 0.0, 0.0
        for i in range(args.repeats):  # in turn, so a change of load moves all alike
            keep = i == args.repeats - 1
            wall, mem = build(tmp / ("w1" if keep else f"w1-{i}"), args.big, 1)
            one.append(wall)
            mem_one = max(mem_one, mem)
            wall, mem = build(tmp / ("w2" if keep else f"w2-{i}"), args.big, 2)
            two.append(wall)
            mem_two = max(mem_two, mem)
            wall, _ = build(tmp / ("zstd" if keep else f"zstd-{i}"), args.big, 2,
                            "--parquet-compression", "zstd")
            zstd.append(wall)
            if not keep:
                subprocess.run(["rm", "-rf", *(str(tmp / f"{name}-{i}")
                                               for name in ("w1", "w2", "zstd"))], check=False)
        runs = f"median of {args.repeats} [range]" if args.repeats > 1 else "one run"
        rows.append((f"`build --n {args.big}` --workers 1, {runs}",
                     f"{spread(one)}, peak {mem_one:,.0f} MB", at))
        rows.append((f"`build --n {args.big}` --workers 2, {runs}",
                     f"{spread(two)} ({ratios(one, two)} one worker), peak {mem_two:,.0f} MB",
                     load()))
        rows.append((f"`build --n {args.big}` --workers 2 --parquet-compression zstd, {runs}",
                     (f"{spread(zstd)} ({ratios(zstd, two)} the snappy build's time), Parquet "
                      f"{parquet_mb(tmp / 'zstd'):,.0f} MB against {parquet_mb(tmp / 'w2'):,.0f}"),
                     load()))
        same = digest(tmp / "w1") == digest(tmp / "w2")
        rows.append(("same bytes, workers 1 and 2", "yes" if same else "NO", ""))
        at = load()
        alone, together = page_cache_rate(tmp, 1), page_cache_rate(tmp, 2)
        rows.append(("writing 1 GiB into the page cache: one process / each of two at once",
                     f"{alone:.2f} / {together:.2f} GB/s", at))
        if not args.no_ray:
            at = load()
            proc = subprocess.run([sys.executable, __file__, "--ray-build", str(tmp / "ray"),
                                   str(args.big), str(args.repeats)], check=True,
                                  capture_output=True, text=True)
            on_ray = [float(line) for line in proc.stdout.split()]
            name = f"`build --n {args.big}` as Ray tasks, local 2-CPU instance (up), {runs}"
            rows.append((name, f"{spread(on_ray)} ({ratios(one, on_ray)} one local worker)", at))
            rows.append(("same bytes, Ray and local",
                         "yes" if digest(tmp / "ray") == digest(tmp / "w1") else "NO", ""))
        for name in ("w1", "w2", "zstd", "ray", "ray-warm"):
            subprocess.run(["rm", "-rf", str(tmp / name)], check=False)
        if args.huge:
            at = load()
            huge, mem_huge = build(tmp / "huge", args.huge, 2)
            rows.append((f"`build --n {args.huge}` --workers 2", (f"{huge:.1f} s, peak "
                         f"{mem_huge:,.0f} MB ({mem_huge / mem_two:.2f}x n={args.big:,})"), at))
    print("| generator figure | value | load (1 min) |")
    print("| --- | ---: | ---: |")
    for name, value, at in rows:
        print(f"| {name} | {value} | {at} |")


if __name__ == "__main__":
    main()
