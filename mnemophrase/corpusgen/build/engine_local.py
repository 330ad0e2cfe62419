"""The build's tasks on this machine: in this process (one worker), or in this process and
a pool of `workers - 1` processes beside it.

This process works too: it has imported the libraries, loaded the lexicon and made the
grammar tables already, so a worker here starts at once, and on a machine with as many cores
as workers no core waits while a third process starts (two workers on two cores: one
process started, not two). Its tasks run in a thread, so that this process's main thread
keeps the pool fed, the progress bar moving and an interrupt heard.

The pool is started with `spawn` (forking a process whose polars/arrow thread pools hold
locks can hang), and as early as a command can (`prepare`): the workers import their
libraries while this process imports its own, loads the lexicon and makes the grammar
tables, instead of after. This module therefore imports nothing heavy; the tasks import
what they run. The build context reaches each worker once, as a file in the build's
scratch folder that its first task reads. The key buckets travel between the tasks as
files there too, never through this process, so its memory does not grow with the build.
Workers die with the process that started them (PR_SET_PDEATHSIG), so a build killed with
SIGKILL leaves no worker writing behind it; each runs in a session of its own (see
`_init_worker`).
"""
from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING

from mnemophrase.corpusgen.build.child_process import die_with_parent, parent_signals_only
from mnemophrase.corpusgen.build.options import BuildError

if TYPE_CHECKING:
    import numpy as np

    from mnemophrase.corpusgen.build.shard_tasks import BuildContext, ShardResult, ShardWork

WORKER_DIED = ("a worker process of the build ended before its task did (killed, out of "
               "memory, or it could not start: a build run from a script needs "
               "`if __name__ == \"__main__\":` around it, or workers=1)")

_COUNTER = None  # scenes written, shared with the parent
_STOP = None  # set by the parent to stop the workers at their next chunk
_INSTALLED: Path | None = None  # the scratch folder whose context this worker holds


class _NoPandas:
    """An import finder that says pandas is not installed. pyarrow imports pandas (0.3 s, half
    of a worker's start) on its first conversion only to ask whether the input is a pandas
    object; a worker's tasks never pass one, and pyarrow takes the ImportError as "no
    pandas" and goes on (sys.modules["pandas"] = None would not do: pyarrow's compiled
    import reads sys.modules directly and gets None)."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        """Refuses pandas; any other module is left to the next finder (None)."""
        if name.partition(".")[0] == "pandas":
            raise ModuleNotFoundError("a build worker runs without pandas", name=name)


def _init_worker(counter, stop) -> None:
    global _COUNTER, _STOP
    die_with_parent()
    sys.meta_path.insert(0, _NoPandas)
    # a session of its own, as Ray's workers have: where the kernel shares the CPU between
    # sessions (autogroup scheduling, the default on desktop Linux), every worker of the
    # build then gets a share, instead of all of them splitting the share of one terminal
    os.setsid()
    # an interrupt is the parent's to handle (it removes the temporary folder); a worker
    # that raised too would only print a traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _COUNTER, _STOP = counter, stop


def _started() -> None:
    """Submitted once per worker, to make the pool start them: imports what the tasks run."""
    from mnemophrase.corpusgen.build import shard_tasks  # noqa: F401


def _context_file(scratch: Path) -> Path:
    return scratch / "context.pickle"


def _install(context: BuildContext, scratch: Path) -> None:
    from mnemophrase.corpusgen.build import shard_tasks

    global _INSTALLED
    shard_tasks.install(context)
    _INSTALLED = scratch


def _use_context(scratch: Path) -> None:
    """Install the build context of `scratch` in this process, unless it holds it."""
    if _INSTALLED != scratch:
        with open(_context_file(scratch), "rb") as f:
            _install(pickle.load(f), scratch)


def _keys_file(scratch: Path, shard: int) -> Path:
    return scratch / f"keys-{shard:05d}.npz"


def _keys_task(shard: int, scratch: Path) -> None:
    import numpy as np

    from mnemophrase.corpusgen.build import shard_tasks

    _use_context(scratch)
    slices = shard_tasks.shard_keys(shard)
    arrays = {}
    for b, (keys, positions) in enumerate(slices):
        arrays[f"k{b}"], arrays[f"p{b}"] = keys, positions
    np.savez(_keys_file(scratch, shard), **arrays)


def _bucket_task(bucket: int, shards: int, scratch: Path) -> list[np.ndarray]:
    import numpy as np

    from mnemophrase.corpusgen.build.uniqueness import bucket_repeats

    slices = []
    for s in range(shards):
        with np.load(_keys_file(scratch, s)) as saved:
            slices.append((saved[f"k{bucket}"], saved[f"p{bucket}"]))
    repeats, distinct = bucket_repeats(slices)
    np.save(scratch / f"bucket-{bucket:05d}.npy", distinct)
    return repeats


def _write_task(work: ShardWork, root: Path | str, streamed, scratch: Path) -> ShardResult:
    from mnemophrase.corpusgen.build import shard_tasks

    _use_context(scratch)

    def progress(scenes: int) -> None:
        with _COUNTER.get_lock():
            _COUNTER.value += scenes

    return shard_tasks.write_shard(work, root, streamed, progress,
                                   stop=lambda: bool(_STOP.value))


def _unstoppable(task):
    """`task` as this process runs it: a short task, run to its end whatever `stop` says."""
    return lambda *args: task(*args[:-1])


def _ignore(scenes: int) -> None:
    """The progress callback of a build nobody watches."""


class LocalEngine:
    """The `Engine` of one machine: this process and `workers - 1` spawned processes."""

    def __init__(self, workers: int = 1):
        self.workers = max(1, workers)
        self.pool: ProcessPoolExecutor | None = None
        self.helpers = 0  # processes of the pool: the workers beside this one
        self.scratch: Path | None = None

    def prepare(self, shards: int) -> None:
        """Start the worker processes of a build of `shards` shards: one fewer than the
        workers, since this process works too (and no more than the shards, or some would
        only start and wait)."""
        processes = min(self.workers, shards) - 1
        if processes > 0 and self.pool is None:
            self.helpers = processes
            mp = multiprocessing.get_context("spawn")
            self._counter, self._stop = mp.Value("q", 0), mp.Value("b", 0)
            self.pool = ProcessPoolExecutor(processes, mp_context=mp, initializer=_init_worker,
                                            initargs=(self._counter, self._stop))
            # the pool starts a process per task submitted while none is idle; a Ctrl-C
            # while one is still importing is this process's alone (one line, not a
            # worker's traceback)
            with parent_signals_only():
                for _ in range(processes):
                    self.pool.submit(_started)

    def start(self, context: BuildContext, scratch: Path) -> None:
        _install(context, scratch)
        self.scratch = scratch
        scratch.mkdir()
        if self.pool is not None:  # started by prepare(), which a build calls first
            with open(_context_file(scratch), "wb") as f:
                pickle.dump(context, f, protocol=pickle.HIGHEST_PROTOCOL)

    def close(self) -> None:
        if self.pool is not None:
            self._stop.value = 1
            # let the workers finish their chunk and exit quietly, whatever stopped the build
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool, self.helpers = None, 0

    # --- the steps ------------------------------------------------------------------------
    def keys(self, shards: int, should_stop, advance=None) -> None:
        """Draw every shard's keys into the scratch folder; `advance(scenes)`, if given,
        is told each shard's scenes as it finishes."""
        from mnemophrase.corpusgen.build import shard_tasks

        plan = shard_tasks.context().plan
        advance = advance or _ignore
        if self.pool is None:
            for s in range(shards):
                self._check(should_stop)
                _keys_task(s, self.scratch)
                advance(plan.scenes[s])
            return
        jobs = [(s, (s, self.scratch)) for s in range(shards)]
        for _, s in self._shared(_keys_task, _unstoppable(_keys_task), jobs, should_stop):
            advance(plan.scenes[s])

    def repeats(self, shards: int, buckets: int, should_stop) -> list[list[np.ndarray]]:
        """Per bucket, per shard: the positions of the shard's repeats in that bucket."""
        if self.pool is None:
            return [_bucket_task(b, shards, self.scratch) for b in range(buckets)]
        jobs = [(b, (b, shards, self.scratch)) for b in range(buckets)]
        out: dict[int, list[np.ndarray]] = {}
        for result, b in self._shared(_bucket_task, _unstoppable(_bucket_task), jobs,
                                      should_stop):
            out[b] = result
        return [out[b] for b in range(buckets)]

    def bucket_keys(self, bucket: int) -> np.ndarray:
        """The distinct keys of a bucket's planned draws, sorted."""
        import numpy as np

        return np.load(self.scratch / f"bucket-{bucket:05d}.npy")

    def write(self, works: list[ShardWork], root: Path | str, streamed, should_stop,
              advance=None) -> list[ShardResult]:
        from mnemophrase.corpusgen.build import shard_tasks

        advance = advance or _ignore
        if self.pool is None:
            return [shard_tasks.write_shard(w, root, streamed, advance, stop=should_stop)
                    for w in works]
        self._counter.value = 0
        shown = 0

        def tick() -> None:
            nonlocal shown
            now = self._counter.value
            advance(now - shown)
            shown = now

        def count(scenes: int) -> None:
            with self._counter.get_lock():
                self._counter.value += scenes

        def here(work: ShardWork, root, streamed, _scratch, stop) -> ShardResult:
            return shard_tasks.write_shard(work, root, streamed, count, stop=stop)

        jobs = [(w.shard, (w, root, streamed, self.scratch)) for w in works]
        results: dict[int, ShardResult] = {}
        for result, s in self._shared(_write_task, here, jobs, should_stop, tick):
            results[s] = result
        tick()
        return [results[w.shard] for w in works]

    def _submit(self, task, *args):
        try:
            return self.pool.submit(task, *args)
        except BrokenProcessPool:
            raise BuildError(WORKER_DIED) from None

    def _shared(self, pooled, local, jobs, should_stop, tick=None):
        """Run every (key, args) of `jobs` once, as `pooled(*args)` in a process of the pool
        or as `local(*args, stop)` in a thread of this process, whichever is free first;
        yields (result, key) as each finishes. `stop()` is true once the build stops or
        this generator ends, so that a task of this process ends at its next chunk."""
        from mnemophrase.corpusgen.build.shard_tasks import Interrupted

        pending = list(reversed(jobs))
        in_pool: dict = {}  # future -> key
        in_here: dict = {}
        ended = threading.Event()
        here = ThreadPoolExecutor(1, thread_name_prefix="corpusgen-worker")

        def stop() -> bool:
            return ended.is_set() or should_stop()

        def feed() -> None:
            while pending and len(in_pool) < self.helpers:
                key, args = pending.pop()
                in_pool[self._submit(pooled, *args)] = key
            if pending and not in_here:
                key, args = pending.pop()
                in_here[here.submit(local, *args, stop)] = key

        try:
            feed()
            while in_pool or in_here:
                done, _ = wait([*in_pool, *in_here], timeout=0.2,
                               return_when=FIRST_COMPLETED)
                if should_stop():
                    self._stop.value = 1
                    raise Interrupted
                if tick is not None:
                    tick()
                for future in done:
                    key = in_pool.pop(future) if future in in_pool else in_here.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        raise BuildError(WORKER_DIED) from None
                    yield result, key
                feed()
        finally:
            ended.set()
            # this process's task stops at its next chunk; its files go with the folder
            here.shutdown(wait=True, cancel_futures=True)

    @staticmethod
    def _check(should_stop) -> None:
        from mnemophrase.corpusgen.build.shard_tasks import Interrupted

        if should_stop():
            raise Interrupted
