"""The build's tasks on a Ray cluster (or a local Ray instance): the same tasks the local
engine runs, as Ray tasks. Needs the optional `ray` extra (`pip install mnemo-corpus[ray]`).

Progress comes from inside the tasks: each writing task reports its shard's scenes after
every chunk through a Ray queue, so the bar moves as on the local engine, not once a shard.
The queue is an actor, which took 10 s to start on a loaded 2-CPU machine: it is made only
when a bar is shown, as the keys are drawn.

The build context goes to the object store once; each worker process fetches it the first
time one of its tasks needs it. Key buckets pass between tasks through the object store,
never through the driver. The shards' files are written by the workers straight into the
build's temporary folder, which must therefore be on a filesystem every node mounts at the
same path, or uploaded by them to a URL `--out` (`mnemophrase.corpusgen.output.url`). A task whose
worker dies is run again by Ray (`max_retries`): the tasks are pure functions of the seed,
the options and their arguments, and a retry rewrites its files from the start, so the
output is byte-identical.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mnemophrase.corpusgen.build import shard_tasks
from mnemophrase.corpusgen.build.options import BuildError
from mnemophrase.corpusgen.build.shard_tasks import (
    BuildContext,
    Interrupted,
    ShardResult,
    ShardWork,
)
from mnemophrase.corpusgen.build.uniqueness import bucket_repeats

RETRIES = 3
_INSTALLED: str | None = None  # the context (object id) this worker process holds


def _ensure(box: list) -> None:
    """Install the build context in this worker unless it is already the one in `box` (a
    list, so that Ray passes the reference instead of the object)."""
    global _INSTALLED
    import ray

    ref = box[0]
    if _INSTALLED != ref.hex():
        shard_tasks.install(ray.get(ref))
        _INSTALLED = ref.hex()


def _started() -> None:
    """A task that does nothing: its worker imports this module to run it."""


def _keys(box: list, shard: int):
    _ensure(box)
    slices = shard_tasks.shard_keys(shard)
    return slices[0] if len(slices) == 1 else tuple(slices)


def _bucket(*slices):
    repeats, distinct = bucket_repeats(list(slices))
    return repeats, distinct


def _write(box: list, work: ShardWork, root: Path | str, streamed, queue) -> ShardResult:
    _ensure(box)
    done = 0

    def report(scenes: int) -> None:  # the shard's scenes so far, after each chunk
        nonlocal done
        done += scenes
        queue.put_nowait((work.shard, done))

    # a Path, or a URL (str); no queue when no bar is shown
    return shard_tasks.write_shard(work, root, streamed, report if queue is not None else None)


class ShardProgress:
    """Scenes written per shard as the tasks report them, turned into the bar's advances.

    A retried task starts its shard again from zero, so each shard counts the most it has
    ever reported: the bar never goes back and never counts a scene twice."""

    def __init__(self, advance):
        self.advance = advance
        self.done: dict[int, int] = {}

    def report(self, shard: int, scenes: int) -> None:
        gain = scenes - self.done.get(shard, 0)
        if gain > 0:
            self.done[shard] = scenes
            self.advance(gain)


class RayEngine:
    """The `Engine` of a Ray cluster: shards and buckets as Ray tasks."""

    def __init__(self, address: str | None = None):
        try:
            import ray
        except ImportError:
            raise BuildError("--engine ray needs Ray: pip install 'mnemo-corpus[ray]'") from None
        self.ray = ray
        self.address = address
        self.started = False
        self.box: list | None = None
        self.bucket_refs: list = []
        self.queue = None  # the writing tasks' progress reports, when a bar is shown
        self.warming: list = []  # the first tasks of prepare()

    def prepare(self, shards: int) -> None:
        """Join the cluster and give as many workers as will run tasks a first task, so that
        they import this package while the driver makes the grammar tables."""
        ray = self.ray
        if self.warming:  # prepared already
            return
        if not ray.is_initialized():
            try:
                ray.init(address=self.address, include_dashboard=False, log_to_driver=False,
                         logging_level="ERROR")
            except (ConnectionError, ValueError, RuntimeError) as exc:
                where = self.address or "a local Ray instance"
                detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise BuildError(f"--engine ray: cannot start or reach {where}: {detail}") from None
            self.started = True
        cpus = int(ray.cluster_resources().get("CPU", 1))
        started = ray.remote(_started)
        self.warming = [started.remote() for _ in range(max(1, min(shards, cpus)))]

    def start(self, context: BuildContext, scratch: Path) -> None:
        ray = self.ray  # joined by prepare(), which a build calls first
        shard_tasks.install(context)
        self.box = [ray.put(context)]
        self.buckets = context.plan.buckets
        remote = ray.remote(max_retries=RETRIES)
        self._keys = remote(_keys).options(num_returns=self.buckets)
        self._bucket = remote(_bucket).options(num_returns=2)
        self._write = remote(_write)
        self.key_refs: list = []

    def close(self) -> None:
        if self.queue is not None:
            self.queue.shutdown()
            self.queue = None
        self.key_refs, self.bucket_refs, self.box, self.warming = [], [], None, []
        if self.started:
            self.ray.shutdown()
            self.started = False

    def _wait(self, refs: list, should_stop, on_done=None, every=None) -> list:
        ray = self.ray
        index = {ref.hex(): i for i, ref in enumerate(refs)}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=len(pending), timeout=0.2)
            if every is not None:
                every()
            if should_stop():
                for ref in pending:
                    ray.cancel(ref, force=True)
                raise Interrupted
            for ref in done:
                if on_done is not None:
                    on_done(index[ref.hex()])
        return ray.get(refs)

    def keys(self, shards: int, should_stop, advance=None) -> None:
        if advance is not None:
            from ray.util.queue import Queue

            # made now, so that its actor starts while the keys are drawn; it takes no CPU:
            # every CPU stays with the tasks
            self.queue = Queue(actor_options={"num_cpus": 0})
        refs = [self._keys.remote(self.box, s) for s in range(shards)]
        self.key_refs = [[r] if self.buckets == 1 else list(r) for r in refs]
        plan = shard_tasks.context().plan
        flat = [r for shard in self.key_refs for r in shard]
        self._wait(flat, should_stop)
        if advance is not None:
            advance(sum(plan.scenes[:shards]))

    def repeats(self, shards: int, buckets: int, should_stop) -> list[list[np.ndarray]]:
        pairs = [self._bucket.remote(*[self.key_refs[s][b] for s in range(shards)])
                 for b in range(buckets)]
        self.bucket_refs = [distinct for _, distinct in pairs]
        return self._wait([repeats for repeats, _ in pairs], should_stop)

    def bucket_keys(self, bucket: int) -> np.ndarray:
        return self.ray.get(self.bucket_refs[bucket])

    def write(self, works: list[ShardWork], root: Path | str, streamed, should_stop,
              advance=None) -> list[ShardResult]:
        queue = self.queue
        if advance is None or queue is None:
            refs = [self._write.remote(self.box, w, root, streamed, None) for w in works]
            return self._wait(refs, should_stop)
        plan = shard_tasks.context().plan
        shown = ShardProgress(advance)

        def drain() -> None:
            for shard, scenes in queue.get_nowait_batch(queue.qsize()):
                shown.report(shard, scenes)

        def finished(i: int) -> None:
            drain()
            shown.report(works[i].shard, plan.scenes[works[i].shard])

        refs = [self._write.remote(self.box, w, root, streamed, queue) for w in works]
        return self._wait(refs, should_stop, finished, every=drain)
