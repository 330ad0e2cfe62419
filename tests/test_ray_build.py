"""The Ray engine on a local 2-CPU Ray instance: the same bytes as the local engine, also
when a task's worker is killed in the middle of writing its shard, and into a URL --out."""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from mnemophrase.corpusgen.build.engine_ray import RayEngine
from mnemophrase.corpusgen.build.run import BuildOptions, build
from mnemophrase.corpusgen.build.vocabulary import choose_concepts
from mnemophrase.corpusgen.lexicon import load_lexicon

LANGS = ("ru", "en", "th")


def tree_digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon(langs=list(LANGS))


def _both(lexicon, tmp_path, n, shard_scenes, during=None, **vocabulary):
    options = BuildOptions(LANGS, n, seed=5, shard_scenes=shard_scenes, workers=1,
                           **vocabulary)
    build(lexicon, options, tmp_path / "local", progress=False)
    watcher = None
    if during is not None:
        watcher = threading.Thread(target=during, daemon=True)
        watcher.start()
    build(lexicon, options, tmp_path / "ray", progress=False, engine=RayEngine())
    if watcher is not None:
        watcher.join(timeout=1)
    return tree_digest(tmp_path / "local"), tree_digest(tmp_path / "ray")


def test_ray_tasks_write_the_bytes_of_the_local_engine(local_ray, lexicon, tmp_path):
    local, on_ray = _both(lexicon, tmp_path, 3000, 1000)
    assert on_ray == local
    assert "data/mnemo/train-00002-of-00003.parquet" in local
    assert sorted(p.name for p in tmp_path.iterdir()) == ["local", "ray"]


def test_a_balanced_build_on_ray_writes_the_bytes_of_the_local_engine(local_ray, lexicon,
                                                                       tmp_path):
    concepts = choose_concepts(lexicon, "30", 5)
    local, on_ray = _both(lexicon, tmp_path, 900, 300, concepts=concepts, min_occurrences=10)
    assert on_ray == local
    assert "data/mnemo/train-00002-of-00003.parquet" in local


def test_ray_tasks_upload_to_a_url_out_the_same_bytes(local_ray, lexicon, tmp_path):
    """Each task writes its shard on its node and uploads it (here through fsspec's `file://`,
    the code path of `s3://` or `gs://`); the driver names the shards and writes the rest."""
    options = BuildOptions(LANGS, 3000, seed=5, shard_scenes=1000, workers=1)
    build(lexicon, options, tmp_path / "local", progress=False)
    build(lexicon, options, f"file://{tmp_path}/url", progress=False, engine=RayEngine())
    assert tree_digest(tmp_path / "url") == tree_digest(tmp_path / "local")


def _writing_workers() -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read()
        except OSError:
            continue
        if command.startswith(b"ray::_write"):
            found.append(int(entry))
    return found


def test_a_task_killed_mid_shard_is_retried_with_the_same_bytes(local_ray, lexicon, tmp_path):
    killed: list[int] = []

    def kill_one_writer():
        deadline = time.time() + 120
        while time.time() < deadline and not killed:
            workers = _writing_workers()
            if workers:
                time.sleep(0.5)  # into the shard: some of its rows are written
                os.kill(workers[0], signal.SIGKILL)
                killed.append(workers[0])
            time.sleep(0.02)

    local, on_ray = _both(lexicon, tmp_path, 40_000, 20_000, during=kill_one_writer)
    assert killed, "no Ray task was caught writing"
    assert on_ray == local


class _Recorder:
    """Stands in for the build's Progress: every advance of every step, in order."""

    def __init__(self, total, enabled=True):
        self.enabled = True  # a shown bar, whatever the terminal
        self.steps: dict[str, list[int]] = {}
        self._step = None

    def step(self, name, total=None):
        self._step = self.steps.setdefault(name, [])

    def advance(self, scenes):
        self._step.append(scenes)

    def close(self):
        pass


def test_writing_progress_moves_chunk_by_chunk(local_ray, lexicon, tmp_path, monkeypatch):
    import mnemophrase.corpusgen.build.run as build_module

    bars: list[_Recorder] = []
    monkeypatch.setattr(build_module, "Progress",
                        lambda *a, **k: bars.append(_Recorder(*a, **k)) or bars[-1])
    n = 120_000  # two shards of two chunks each (chunks are CHUNK_ROWS = 50,000 scenes)
    options = BuildOptions(LANGS, n, seed=5, shard_scenes=60_000, workers=1)
    build(lexicon, options, tmp_path / "ray", progress=False, engine=RayEngine())
    writing = bars[0].steps["writing"]
    # reported after each chunk: more advances than shards, every scene counted once
    assert sum(writing) == n and len(writing) > 2 and all(s > 0 for s in writing)


def test_shard_progress_counts_a_retried_shard_once():
    from mnemophrase.corpusgen.build.engine_ray import ShardProgress

    seen: list[int] = []
    shown = ShardProgress(seen.append)
    for shard, scenes in [(0, 100), (1, 50), (0, 200), (0, 100), (0, 200), (0, 300), (1, 80)]:
        shown.report(shard, scenes)  # shard 0's task died at 200 and started again
    assert seen == [100, 50, 100, 100, 30] and sum(seen) == 300 + 80
