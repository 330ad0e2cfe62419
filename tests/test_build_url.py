"""A build whose --out is an fsspec URL: the bytes of a folder build, refusals that keep
what the tool did not make, --overwrite of an earlier build, and nothing left by a failure.

`memory://` stands in for an object store (no folders, no rename of a folder); it lives in
this process, so those builds run with one worker. `file://` goes through the same code
with worker processes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import fsspec
import pytest

import mnemophrase.corpusgen.build.run
from tests.conftest import run

MEMORY = fsspec.filesystem("memory")


def tree_digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def memory_digest(root: str) -> dict[str, str]:
    return {p[len(root) + 1:]: hashlib.sha256(MEMORY.cat_file(p)).hexdigest()
            for p in sorted(MEMORY.find(root))}


def build(out, *args, n=60, workers=1):
    return run("build", "--langs", "ru,en,th", "--n", n, "--seed", 4, "--shard-scenes", 25,
               "--out", out, "--quiet", "--workers", workers, *args)


@pytest.fixture
def store(tmp_path):
    """A fresh place in the in-memory filesystem; removed afterwards."""
    root = f"/{tmp_path.name}"
    yield root
    if MEMORY.exists(root):
        MEMORY.rm(root, recursive=True)


def test_a_url_build_has_the_bytes_of_a_folder_build(tmp_path, store):
    assert build(tmp_path / "folder").exit_code == 0
    result = build(f"memory://{store}/out")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"built memory://{store}/out:")
    folder = tree_digest(tmp_path / "folder")
    assert "data/mnemo/train-00002-of-00003.parquet" in folder
    assert memory_digest(f"{store}/out") == folder
    result = build(f"file://{tmp_path}/viaurl", workers=2)
    assert result.exit_code == 0, result.stderr
    assert tree_digest(tmp_path / "viaurl") == folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "viaurl"]


def test_a_url_holding_files_of_its_own_is_refused_and_kept(store):
    MEMORY.pipe(f"{store}/out/thesis.txt", b"three years of work")
    for args in ((), ("--overwrite",)):
        result = build(f"memory://{store}/out", *args)
        assert result.exit_code == 1
        assert len(result.stderr.strip().splitlines()) == 1
    assert "did not make (thesis.txt)" in result.stderr
    assert MEMORY.find(store) == [f"{store}/out/thesis.txt"]
    assert MEMORY.cat_file(f"{store}/out/thesis.txt") == b"three years of work"


def test_overwrite_replaces_a_url_build_and_only_what_it_made(store):
    url = f"memory://{store}/out"
    assert build(url).exit_code == 0
    assert "exists; pass --overwrite" in build(url).stderr
    MEMORY.pipe(f"{store}/out/data/mnemo/notes.txt", b"mine")
    result = build(url, "--overwrite")
    assert result.exit_code == 1 and "this build did not make (data/mnemo/notes.txt)" in (
        result.stderr)
    MEMORY.rm(f"{store}/out/data/mnemo/notes.txt")
    assert build(url, "--overwrite", n=20).exit_code == 0
    stats = json.loads(MEMORY.cat_file(f"{store}/out/stats.json"))
    assert stats["scenes"] == 20
    assert sorted(memory_digest(f"{store}/out")) == sorted([*stats["files"], "stats.json"])


def test_a_failed_url_build_leaves_nothing_it_wrote(tmp_path, store, monkeypatch):
    def fail(*args):
        raise OSError(28, "No space left on device")

    # after every shard is uploaded
    monkeypatch.setattr(mnemophrase.corpusgen.build.run, "_seal", fail)
    result = build(f"memory://{store}/out")
    assert result.exit_code == 1 and "No space left" in result.stderr
    assert not MEMORY.exists(f"{store}/out")
    assert build(f"file://{tmp_path}/new/parents/out").exit_code == 1
    assert not (tmp_path / "new").exists()  # the folders it made above the target go too
    mine = tmp_path / "empty-folder-of-mine"
    mine.mkdir()
    assert build(f"file://{mine}").exit_code == 1
    assert mine.is_dir() and not any(mine.iterdir())


def test_an_unfinished_url_build_is_replaced_only_with_overwrite(store):
    url = f"memory://{store}/out"
    assert build(url).exit_code == 0
    MEMORY.rm(f"{store}/out/stats.json")  # as if the build had died before its last file
    assert "exists; pass --overwrite" in build(url).stderr
    assert build(url, "--overwrite").exit_code == 0
    assert MEMORY.exists(f"{store}/out/stats.json")


@pytest.mark.parametrize("args, message", [
    (("--out", "zzz://bucket/out"), "Protocol not known: zzz"),
    (("--out", "file:///"), "not its root"),
    (("--out", "memory:///x", "--tokenizer"), "--tokenizer needs a folder"),
    (("--out", "memory:///x", "--push-to", "me/mnemo"), "--push-to needs a folder"),
])
def test_bad_url_outputs_get_one_line(args, message):
    result = run("build", "--langs", "ru", "--n", 10, "--quiet", *args)
    assert result.exit_code in (1, 2)
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not MEMORY.exists("/x")
