"""The record of a build's files in stats.json: each file's size and sha256, written when the
build is sealed and brought up to date by a step that changes the folder afterwards."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from corpusgen.contract import STATS, Build, write_stats

_BLOCK = 1 << 20


def file_sha256(path: Path, advance: Callable[[int], None]) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
            advance(len(block))
    return h.hexdigest()


def file_record(root: Path, known: dict[str, tuple[int, str]] | None = None) -> dict:
    """{relative path: {"bytes", "sha256"}} of every file of the build folder but stats.json,
    hidden files included; `known` gives sizes and checksums already computed (a writer
    that hashed as it wrote) so those files are not read again."""
    known = known or {}
    files = {}
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel == STATS:
            continue
        if rel in known:
            size, digest = known[rel]
        else:
            size, digest = path.stat().st_size, file_sha256(path, lambda n: None)
        files[rel] = {"bytes": size, "sha256": digest}
    return files


def record_files(root: Path) -> None:
    """Bring stats.json's file record up to date after a step that changed the folder (a
    tokenizer trained into a finished build rewrites the card and adds tokenizer/)."""
    build = Build.open(root)
    write_stats(build.root, dict(build.stats, files=file_record(build.root)))
