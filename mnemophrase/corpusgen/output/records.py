"""The record of a build's files in stats.json: each file's size and sha256, written when the
build is sealed and brought up to date by a step that changes the folder afterwards."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from mnemophrase.corpusgen.contract import STATS, Build

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


def record_made_files(root: Path, made: list[str], replaced: str | None = None) -> None:
    """Bring stats.json's file record up to date after a command changed a finished build:
    `made` (relative paths) are the files it wrote, `replaced` a folder it swapped whole (its
    old entries go). Every other entry stays as the build recorded it: a file the command did
    not make (a user's note, a damaged shard) is never adopted. The caller checks the build
    (mnemophrase.corpusgen.check.integrity.damage) before it starts. A build whose stats.json has no
    record (made before it was kept) is left so."""
    build = Build.open(root)
    recorded = build.stats.get("files")
    if not isinstance(recorded, dict):
        return
    files = {rel: entry for rel, entry in recorded.items()
             if replaced is None or not rel.startswith(f"{replaced}/")}
    for rel in made:
        path = build.root / rel
        files[rel] = {"bytes": path.stat().st_size, "sha256": file_sha256(path, lambda n: None)}
    build.update(files=dict(sorted(files.items())))
