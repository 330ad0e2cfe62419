"""The experiment's worker processes end with the runner, however the runner ends."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RUNNER = """
import os, time
from experiments.runner import worker_pool
pool = worker_pool(2, dict, (), 1)
print(*sorted({pool.submit(os.getpid).result() for _ in range(8)}), flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status is left to collect


def test_workers_end_when_the_runner_is_killed():
    proc = subprocess.Popen([sys.executable, "-c", RUNNER], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    try:
        workers = [int(p) for p in proc.stdout.readline().split()]
        assert workers and all(_alive(p) for p in workers)
        proc.send_signal(signal.SIGKILL)  # no clean-up code of the runner runs
        proc.wait(timeout=30)
        deadline = time.time() + 30
        while any(_alive(p) for p in workers) and time.time() < deadline:
            time.sleep(0.2)
        assert not any(_alive(p) for p in workers)
    finally:
        proc.kill()


def _ids(units):
    return [u.id for u in units]


def test_cores_and_the_arms_branching_from_them_start_before_the_references():
    from experiments.runner import Schedule
    from experiments.units import plan_units

    units = plan_units(["combined"], (0, 1))
    schedule = Schedule(units, {}, None)
    assert _ids(schedule.ready()) == ["base-chat", "root-core-chat-s0", "root-core-chat-s1",
                                      "root-language-chat-s0", "root-language-chat-s1"]
    for u in schedule.ready()[:2]:
        schedule.take(u)
    schedule.results["root-core-chat-s0"] = {}
    assert _ids(schedule.ready()) == ["root-core-chat-s1", "arm-combined-chat-s0",
                                      "root-language-chat-s0", "root-language-chat-s1"]


def test_with_a_deadline_units_start_in_the_order_given():
    from experiments.runner import Schedule
    from experiments.units import plan_units

    units = plan_units(["combined"], (0, 1))
    schedule = Schedule(units, {"root-core-chat-s0": {}}, time.time() + 3600)
    assert _ids(schedule.ready()) == ["base-chat", "root-core-chat-s1",
                                      "root-language-chat-s0", "root-language-chat-s1",
                                      "arm-combined-chat-s0"]
