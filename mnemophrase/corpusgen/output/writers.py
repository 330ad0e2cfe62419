"""The files of one shard, written as its rows arrive: a Parquet file (the Hub's layout) and
an Arrow stream (the `load_from_disk` layout) per stage and split, then each hashed for the
build's record. The writers write to native Arrow files: hashing on the way out through a
Python file object made a bytes object of every buffer, and the process's memory grew with
them (glibc keeps such freed blocks), by about 450 MB per worker at 1M scenes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa

from mnemophrase.corpusgen.contract import SPLITS, STAGES
from mnemophrase.corpusgen.output import kinds
from mnemophrase.corpusgen.output.kinds import TableWriter


def part_name(split: str, shard: int) -> str:
    """The provisional name of a shard's file while the build runs; the final names
    (`shard_name`) are given once it is known which shards have rows of each split."""
    return f"{split}-part{shard:05d}"


def file_digest(path: Path) -> tuple[int, str]:
    """Size and sha256 of a file, read in blocks."""
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, "sha256")
    return path.stat().st_size, digest.hexdigest()


def part_paths(root: Path, shard: int) -> dict[tuple[str, str, str], Path]:
    """(kind, stage, split) -> where the shard's file is written while the build runs."""
    return {(kind.name, stage, split):
            root / kind.folder(stage, split) / f"{part_name(split, shard)}{kind.suffix}"
            for stage in STAGES for split in SPLITS for kind in kinds.KINDS}


def make_folders(root: Path) -> None:
    """The build's folders, made once before any shard is written (a shard's writer never
    makes folders, so a worker outliving its build cannot bring a removed folder back)."""
    folders = {kind.folder(stage, split) for kind in kinds.KINDS for stage in STAGES
               for split in SPLITS}
    for folder in sorted(folders):
        (root / folder).mkdir(parents=True)
# validation and test get about 1% of a chunk's rows each: they wait until this many rows can
# go into one row group (or the shard ends), instead of one tiny row group per chunk; a
# train part is written at once (holding it back would hold its memory)
SMALL_GROUP_ROWS = 10_000


class ShardWriters:
    """`streamed` is the schema of the Arrow streams (the published one with the metadata
    datasets adds, `hf_arrow.arrow_schema()`); `compression` the Parquet codec."""

    def __init__(self, root: Path, shard: int, streamed: pa.Schema, compression: str):
        self.paths = part_paths(root, shard)
        self.files: dict[tuple[str, str, str], pa.NativeFile] = {}
        self.writers: dict[tuple[str, str, str], TableWriter] = {}
        self.rows = {(stage, split): 0 for stage in STAGES for split in SPLITS}
        self.waiting: dict[tuple[str, str], list[pa.Table]] = {}
        for stage in STAGES:
            for split in SPLITS:
                for kind in kinds.KINDS:
                    key = kind.name, stage, split
                    self.files[key] = pa.OSFile(str(self.paths[key]), "wb")
                    self.writers[key] = kind.writer(self.files[key], streamed, compression)

    def write(self, stage: str, split: str, table: pa.Table) -> None:
        if not table.num_rows:
            return
        self.rows[stage, split] += table.num_rows
        waiting = self.waiting.setdefault((stage, split), [])
        waiting.append(table)
        if sum(t.num_rows for t in waiting) >= SMALL_GROUP_ROWS:
            self._flush(stage, split)

    def _flush(self, stage: str, split: str) -> None:
        waiting = self.waiting.pop((stage, split), [])
        if waiting:
            table = pa.concat_tables(waiting)
            for kind in kinds.KINDS:
                self.writers[kind.name, stage, split].write_table(table)

    def close(self) -> dict[tuple[str, str, str], tuple[int, str]]:
        """Finish every file; returns (kind, stage, split) -> (bytes, sha256)."""
        for stage, split in list(self.waiting):
            self._flush(stage, split)
        for writer in self.writers.values():
            writer.close()
        for f in self.files.values():
            f.close()
        return {key: file_digest(self.paths[key]) for key in self.files}

    def abort(self) -> None:
        """Close everything after a failure, quietly: the files are about to be removed, and
        a writer left open would try to finish its file when it is collected."""
        for writer in self.writers.values():
            try:
                writer.close()
            except (OSError, ValueError, pa.ArrowException):
                pass
        for f in self.files.values():
            if not f.closed:
                f.close()
