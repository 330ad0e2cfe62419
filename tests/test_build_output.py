"""Where a build writes: what --overwrite may replace, links, crashes (SIGKILL included),
racing builds, failures that must leave nothing behind, and bad values in one line."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import run

CORPUSGEN = [sys.executable, "-m", "mnemophrase.cli"]


def tree_digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def build(out, *args, n=40):
    return run("build", "--langs", "ru,en,th", "--n", n, "--out", out, "--quiet", "--workers", 1,
               *args)


def user_folder(path: Path) -> Path:
    (path / "photos").mkdir(parents=True)
    (path / "thesis.txt").write_text("three years of work")
    (path / "photos" / "cat.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    return path


def test_overwrite_refuses_a_folder_the_tool_did_not_make(tmp_path):
    mine = user_folder(tmp_path / "userdata")
    before = tree_digest(mine)
    result = build(mine, "--overwrite")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "holds files corpusgen did not make (photos, thesis.txt)" \
        in lines[0] and "choose another --out" in lines[0]
    assert tree_digest(mine) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["userdata"]


def test_overwrite_refuses_a_build_with_a_file_added(tmp_path):
    out = tmp_path / "out"
    assert build(out).exit_code == 0
    (out / "data" / "mnemo" / "notes.txt").write_text("mine")
    result = build(out, "--overwrite")
    assert result.exit_code == 1 and "holds files this build did not make " \
        "(data/mnemo/notes.txt)" in result.stderr
    assert (out / "data" / "mnemo" / "notes.txt").read_text() == "mine"


def test_overwrite_replaces_a_build_or_an_empty_folder(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert build(empty, "--overwrite").exit_code == 0
    assert build(empty, "--overwrite", n=50).exit_code == 0
    assert json.loads((empty / "stats.json").read_text())["scenes"] == 50
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]


def test_a_symlinked_out_is_followed_and_nothing_is_left_beside_it(tmp_path):
    real = tmp_path / "real"
    link = tmp_path / "link"
    assert build(real).exit_code == 0
    link.symlink_to(real)
    assert build(link, "--overwrite", n=60).exit_code == 0
    assert link.is_symlink() and link.resolve() == real
    assert json.loads((real / "stats.json").read_text())["scenes"] == 60
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


def test_a_failed_build_removes_the_parent_folders_it_made(tmp_path, mini_lexicon):
    out = tmp_path / "a" / "b" / "out"
    result = run("build", "--lexicons", mini_lexicon, "--langs", "ru", "--min-parts", 2,
                 "--max-parts", 2, "--mix", 0, "--n", 10**6, "--out", out, "--quiet")
    assert result.exit_code == 1 and "at most" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lex"]


def _start(out: Path, n: int, *args: str) -> subprocess.Popen:
    # three workers: the build's own process and two in its pool
    return subprocess.Popen([*CORPUSGEN, "build", "--n", str(n), "--out", str(out),
                             "--workers", "3", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(predicate, seconds: float = 90) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_after_sigkill_the_next_build_cleans_up(tmp_path):
    out = tmp_path / "big"
    proc = _start(out, 600_000)
    _wait_for(lambda: any(p.name.startswith(".big.tmp-") for p in tmp_path.iterdir()))
    time.sleep(1.5)  # let it write
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert any(name.startswith(".big.tmp-") for name in left), left
    # its workers died with it: nothing writes into the leftovers any more
    time.sleep(0.5)
    ps = subprocess.run(["ps", "-eo", "ppid,args"], check=True, text=True,
                        capture_output=True).stdout.splitlines()
    assert not [line for line in ps if line.split()[0] == str(proc.pid)]
    assert build(out).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big"]


def _children(pid: int) -> list[int]:
    ps = subprocess.run(["ps", "-eo", "pid,ppid"], check=True, text=True,
                        capture_output=True).stdout.split()[2:]
    return [int(p) for p, parent in zip(ps[::2], ps[1::2]) if int(parent) == pid]


def test_a_worker_killed_mid_build_ends_the_build_in_one_line(tmp_path):
    out = tmp_path / "big"
    proc = _start(out, 600_000)
    # the pool's two workers, not the resource tracker: they start in sessions of their own
    _wait_for(lambda: len([c for c in _children(proc.pid) if os.getsid(c) == c]) == 2)
    _wait_for(lambda: (tmp_path / f".big.tmp-{proc.pid}" / ".scratch").exists())
    worker = next(c for c in _children(proc.pid) if os.getsid(c) == c)
    os.kill(worker, signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    one_line = ("corpusgen: a worker process of the build ended before its task did (killed, "
                "out of memory, or it could not start: a build run from a script needs "
                "`if __name__ == \"__main__\":` around it, or workers=1)")
    assert err.strip().splitlines() == [one_line], err
    assert list(tmp_path.iterdir()) == []


_LATE_WORKER = """
import multiprocessing, os, sys, time
from mnemophrase.corpusgen.build.child_process import die_with_parent

def work(marker):
    time.sleep(2)  # still starting when its parent is killed
    die_with_parent()
    open(marker, "w").close()

if __name__ == "__main__":
    multiprocessing.get_context("spawn").Process(target=work, args=(sys.argv[1],)).start()
    time.sleep(0.5)
    os._exit(0)  # as if killed: no clean-up, the worker is left alone
"""


def test_a_worker_whose_parent_died_before_it_started_ends_too(tmp_path):
    script, marker = tmp_path / "late.py", tmp_path / "written"
    script.write_text(_LATE_WORKER)
    subprocess.run([sys.executable, str(script), str(marker)], check=True, timeout=60)
    time.sleep(4)
    assert not marker.exists()


def test_a_second_build_of_the_same_out_is_refused_at_once(tmp_path):
    out = tmp_path / "race"
    first = _start(out, 600_000)
    try:
        _wait_for(lambda: (tmp_path / ".race.lock").exists())
        second = subprocess.run([*CORPUSGEN, "build", "--n", "10", "--out", str(out)],
                                check=False, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert f"another build (pid {first.pid}) is writing {out}" in second.stderr
        assert len(second.stderr.strip().splitlines()) == 1
        # refused without waiting for the first build (minutes of work) to end
        assert first.poll() is None
    finally:
        first.send_signal(signal.SIGTERM)
        _, err = first.communicate(timeout=60)
    assert "interrupted; nothing was written" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args,message", [
    (["--seed", "-1"], "--seed: -1 is outside 0.."),
    (["--seed", str(2**64)], "is outside 0..18446744073709551615"),
    (["--workers", "0"], "--workers"),
    (["--shard-scenes", "0"], "--shard-scenes"),
    (["--address", "ray://x:1"], "--address is for --engine ray"),
    (["--engine", "spark"], "--engine"),
])
def test_bad_build_values_get_one_line(tmp_path, args, message):
    result = build(tmp_path / "out", *args)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert list(tmp_path.iterdir()) == []


def test_more_scenes_than_can_be_unique_in_tiny_shards_get_one_line(tmp_path):
    """10**12 scenes in shards of 7: refused by the capacity check, before anything is made
    per shard (a plan of 1.4e11 shards once took the whole memory of the machine)."""
    result = build(tmp_path / "out", "--shard-scenes", "7", n=10**12)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "is more than these options can make unique" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_the_command_as_typed_names_its_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("build", "--langs", "ru,en,th", "--n", 3000, "--quiet", "--workers", 1)
    assert result.exit_code == 0, result.stderr
    assert "mnemo-ru-en-th-3k" in result.stderr and "built mnemo-ru-en-th-3k" in result.stdout
    assert (tmp_path / "mnemo-ru-en-th-3k" / "stats.json").is_file()
    again = run("build", "--langs", "ru,en,th", "--n", 3000, "--quiet", "--seed", 2,
                "--workers", 1)
    assert again.exit_code == 0 and (tmp_path / "mnemo-ru-en-th-3k-seed2").is_dir()


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path):
    proc = subprocess.run([*CORPUSGEN, "build", "--n", "2000", "--out", str(tmp_path / "o"),
                           "--workers", "1"], check=False, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0 and proc.stderr == ""


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(
    n=st.one_of(st.integers(-5, 60), st.sampled_from([10**12, 2**70])),
    seed=st.one_of(st.integers(-3, 10**6), st.just(2**64)),
    parts=st.tuples(st.integers(0, 8), st.integers(0, 8)),
    mix=st.sampled_from(["0", "0.5", "1", "-0.1", "2", "nan", "x"]),
    langs=st.sampled_from(["ru", "en,th", "ru,xx", "", "ru,ru"]),
    shard=st.sampled_from(["7", "0", "-1", "1000"]),
)
def test_random_build_options_get_a_build_or_one_line(tmp_path_factory, n, seed, parts, mix,
                                                      langs, shard):
    root = tmp_path_factory.mktemp("fuzz")
    keep = user_folder(root / "userdata")
    before = tree_digest(keep)
    out = root / "out"
    result = run("build", "--n", n, "--seed", seed, "--min-parts", parts[0], "--max-parts",
                 parts[1], "--mix", mix, "--langs", langs, "--shard-scenes", shard, "--out",
                 out, "--quiet", "--workers", 1)
    again = run("build", "--n", 5, "--out", keep, "--overwrite", "--quiet", "--workers", 1)
    assert again.exit_code == 1 and tree_digest(keep) == before
    assert "Traceback" not in result.stderr
    if result.exit_code == 0:
        assert json.loads((out / "stats.json").read_text())["scenes"] == n
    else:
        errors = [line for line in result.stderr.strip().splitlines()
                  if "warning:" not in line]
        assert len(errors) == 1, result.stderr
        assert not out.exists()
    assert sorted(p.name for p in root.iterdir()) in (["userdata"], ["out", "userdata"])
    os.sync()
