"""Drawing chunks of scenes in worker processes, in the planned order.

The drawer reaches the workers once, through the pool's initializer, and waits in a module
global there: pickling it with every task would cost more than drawing a small chunk.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from corpusgen.generate import CHUNK_ROWS, SceneDrawer
from corpusgen.rows import stage_tables


@dataclass
class DrawnRows:
    """A chunk's scenes as the three stages' Arrow tables (ids still blank), plus what the
    writer needs to de-duplicate, split and count them."""

    key: np.ndarray
    parts: np.ndarray
    cross: np.ndarray
    staged: dict[str, pa.Table]


_DRAWER: tuple | None = None


def _init_worker(drawer: SceneDrawer, concept_names: np.ndarray) -> None:
    import signal

    global _DRAWER
    _DRAWER = (drawer, concept_names)
    # an interrupt is the parent's to handle (it removes the temporary folder); a worker
    # that raised too would only print a traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _draw(index: int, rows: int) -> DrawnRows:
    drawer, concept_names = _DRAWER
    chunk = drawer.draw(index, rows)
    every = np.arange(len(chunk.key), dtype=np.int64)
    staged = stage_tables(chunk, every, None, list(drawer.t.langs), concept_names)
    return DrawnRows(chunk.key, chunk.parts, chunk.cross, staged)


def planned_chunks(n: int) -> list[int]:
    """Chunk sizes for `n` scenes plus a small margin for duplicate hyperwords. They depend
    on `n` alone, so any number of workers draws the same chunks."""
    target = n + n // 200 + 16
    full, rest = divmod(target, CHUNK_ROWS)
    return [CHUNK_ROWS] * full + ([rest] if rest else [])


def chunks(drawer: SceneDrawer, concept_names: np.ndarray, workers: int, n: int, missing):
    """The planned chunks in order, drawn by `workers` processes (1 = this one), then small
    top-up chunks while `missing()` says scenes are still short."""
    global _DRAWER
    _DRAWER = (drawer, concept_names)
    sizes = planned_chunks(n)
    if workers <= 1:
        for index, size in enumerate(sizes):
            yield _draw(index, size)
    else:
        import multiprocessing

        # spawn, not fork: forking a process whose polars/arrow thread pools hold locks hangs
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                                   initargs=(drawer, concept_names))
        try:
            window = 2 * workers
            pending = [pool.submit(_draw, i, size) for i, size in enumerate(sizes[:window])]
            for index in range(len(sizes)):
                done = pending.pop(0)
                if index + window < len(sizes):
                    pending.append(pool.submit(_draw, index + window, sizes[index + window]))
                yield done.result()
        finally:
            # let the workers finish and exit quietly, whatever stopped the build
            pool.shutdown(wait=True, cancel_futures=True)
    index = len(sizes)
    while True:
        yield _draw(index, max(1024, 2 * missing()))
        index += 1
