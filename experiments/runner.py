"""Running the units: in this process, or in a pool of worker processes with few threads each.

On a CPU the pool is how the cores are used: one single-threaded process per core trains
faster than one process whose threads wait on each other (measured on this project's
2-core machine), and independent arms keep both busy. A unit starts once the first stage it
branches from is saved. Finished units are stored as OUT/units/<id>.json with the settings
they ran under, so a run that was stopped resumes where it was.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

from .units import Context, Unit, run_unit

_CTX: Context | None = None


class UnitFailed(Exception):
    """A unit raised; the message names it and the error in one line."""


def _stored(out: Path, unit: Unit, key: str) -> dict | None:
    file = out / "units" / f"{unit.id}.json"
    if not file.is_file():
        return None
    try:
        stored = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None
    return stored if stored.get("settings_key") == key else None


def _store(out: Path, unit: Unit, key: str, result: dict) -> None:
    folder = out / "units"
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{unit.id}.json.tmp"
    tmp.write_text(json.dumps({**result, "settings_key": key}, ensure_ascii=False),
                   encoding="utf-8")
    tmp.replace(folder / f"{unit.id}.json")


def _init_worker(make_context, args, threads: int, in_pool: bool = False) -> None:
    import torch

    from corpusgen.build.child_process import die_with_parent

    global _CTX
    if in_pool:  # a runner killed outright must not leave workers training into its folder
        die_with_parent()
    torch.set_num_threads(threads)
    _CTX = make_context(*args)


def _work(unit: Unit) -> tuple[Unit, dict, float]:
    t = time.time()
    try:
        result = run_unit(_CTX, unit)
    except Exception as e:  # noqa: BLE001 - reported to the parent as one line
        raise UnitFailed(f"{unit.id}: {type(e).__name__}: {e}") from None
    return unit, result, time.time() - t


class Schedule:
    """Which unit runs next, once the first stage it branches from is saved, and none that is
    expected (the mean time of finished units of its kind) to end past the deadline.

    With a deadline, units start in the given order: it says what to keep when time runs
    short. Without one, the base model first (it is short and every comparison needs it),
    then the longest chain of work (a unit and those waiting for it): a core before the
    references, so the arm branching from it does not start last and leave the other
    workers idle (86.9 min in the given order, 2026-12-06, the last arm alone for 22 min).
    """

    def __init__(self, units: list[Unit], results: dict, deadline: float | None):
        rank = {u.id: i for i, u in enumerate(units)}
        chain: dict[str, int] = {}
        for u in reversed(units):  # a unit comes before every unit that needs it
            chain[u.id] = u.work() + max(
                (chain[d.id] for d in units if d.needs == u and d.id in chain), default=0)
        if deadline is None:
            self.order = {u.id: (u.kind != "base", -chain[u.id], rank[u.id])
                          for u in units}
        else:
            self.order = {u.id: (rank[u.id],) for u in units}
        self.todo = [u for u in units if u.id not in results]
        self.results, self.deadline = results, deadline
        self.skipped: list[str] = []
        self.took: dict[str, list[float]] = {}

    def _fits(self, unit: Unit) -> bool:
        if self.deadline is None:
            return True
        past = self.took.get(unit.kind) or [s for v in self.took.values() for s in v]
        expected = sum(past) / len(past) if past else 0.0
        return time.time() + expected <= self.deadline

    def ready(self) -> list[Unit]:
        for u in list(self.todo):
            if (u.needs is not None and u.needs.id in self.skipped) or not self._fits(u):
                self.todo.remove(u)
                self.skipped.append(u.id)
        ok = [u for u in self.todo if u.needs is None or u.needs.id in self.results]
        return sorted(ok, key=lambda u: self.order[u.id])

    def take(self, unit: Unit) -> None:
        self.todo.remove(unit)

    def done(self, unit: Unit, seconds: float) -> None:
        self.took.setdefault(unit.kind, []).append(seconds)


def run_units(units: list[Unit], make_context, args: tuple, *, out: Path,
              key: Callable[[Unit], str], workers: int, threads: int, log,
              deadline: float | None = None) -> tuple[dict[str, dict], list[str]]:
    """Every unit's result by id, and the ids skipped for time; `make_context(*args)` builds
    a worker's Context; `deadline` is a time.time() value (see Schedule)."""
    results: dict[str, dict] = {}
    for u in units:
        stored = _stored(out, u, key(u))
        if stored is not None:
            results[u.id] = stored
    if results:
        log(f"reusing {len(results)} finished unit(s) from {out / 'units'}")
    schedule = Schedule(units, results, deadline)

    def finish(unit: Unit, result: dict, seconds: float) -> None:
        schedule.done(unit, seconds)
        result["wall_seconds"] = round(seconds, 1)
        _store(out, unit, key(unit), result)
        results[unit.id] = result
        log(f"done {unit.id} in {seconds / 60:.1f} min ({len(results)}/{len(units)})")

    if schedule.todo and workers <= 1:  # in this process: no start-up cost, easier to debug
        _init_worker(make_context, args, threads)
        while ok := schedule.ready():
            schedule.take(ok[0])
            finish(*_work(ok[0]))
    elif schedule.todo:
        _run_pool(schedule, finish, make_context, args, workers, threads)
    if schedule.skipped:
        log(f"skipped for time: {', '.join(schedule.skipped)}")
    return results, schedule.skipped


def worker_pool(workers: int, make_context, args: tuple, threads: int) -> ProcessPoolExecutor:
    """`workers` spawned processes, each with its Context and `threads` torch threads, each
    ending when this process ends, however it ends."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker,
                               initargs=(make_context, args, threads, True))


def _run_pool(schedule: Schedule, finish, make_context, args, workers: int,
              threads: int) -> None:
    pool = worker_pool(workers, make_context, args, threads)
    running = {}
    try:
        while schedule.todo or running:
            for unit in schedule.ready():
                if len(running) >= workers:
                    break
                schedule.take(unit)
                running[pool.submit(_work, unit)] = unit
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                running.pop(fut)
                finish(*fut.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
