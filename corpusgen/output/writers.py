"""The files of one shard, written as its rows arrive: a Parquet file (the Hub's layout) and
an Arrow stream (the `load_from_disk` layout) per stage and split, then each hashed for the
build's record. The writers write to native Arrow files: hashing on the way out through a
Python file object made a bytes object of every buffer, and the process's memory grew with
them (glibc keeps such freed blocks), by about 450 MB per worker at 1M scenes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from corpusgen.contract import ARROW_DIR, DATA_DIR, SCHEMA, SPLITS, STAGES


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
    out = {}
    for stage in STAGES:
        for split in SPLITS:
            name = part_name(split, shard)
            out["parquet", stage, split] = root / DATA_DIR / stage / f"{name}.parquet"
            out["arrow", stage, split] = root / ARROW_DIR / stage / split / f"{name}.arrow"
    return out


def make_folders(root: Path) -> None:
    """The build's folders, made once before any shard is written (a shard's writer never
    makes folders, so a worker outliving its build cannot bring a removed folder back)."""
    for stage in STAGES:
        (root / DATA_DIR / stage).mkdir(parents=True)
        for split in SPLITS:
            (root / ARROW_DIR / stage / split).mkdir(parents=True)


# Parquet's dictionary encoding pays only for the few columns with few distinct values; for
# the texts (every row new) building a dictionary is work thrown away, and their min/max
# statistics help no reader. Both measured: about 15% of the Parquet writing time.
DICTIONARY_COLUMNS = ["stage", "lang", "constituents.list.element.concept",
                      "constituents.list.element.lang", "messages.list.element.role"]
STATISTICS_COLUMNS = ["id", "stage", "lang"]
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
        self.parquet: dict[tuple[str, str], pq.ParquetWriter] = {}
        self.streams: dict[tuple[str, str], pa.ipc.RecordBatchStreamWriter] = {}
        self.rows = {(stage, split): 0 for stage in STAGES for split in SPLITS}
        self.waiting: dict[tuple[str, str], list[pa.Table]] = {}
        for stage in STAGES:
            for split in SPLITS:
                for kind in ("parquet", "arrow"):
                    self.files[kind, stage, split] = pa.OSFile(
                        str(self.paths[kind, stage, split]), "wb")
                self.parquet[stage, split] = pq.ParquetWriter(
                    self.files["parquet", stage, split], SCHEMA, compression=compression,
                    use_dictionary=DICTIONARY_COLUMNS, write_statistics=STATISTICS_COLUMNS,
                    data_page_size=1 << 20)
                self.streams[stage, split] = pa.ipc.new_stream(
                    self.files["arrow", stage, split], streamed)

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
            self.parquet[stage, split].write_table(table)
            self.streams[stage, split].write_table(table)

    def close(self) -> dict[tuple[str, str, str], tuple[int, str]]:
        """Finish every file; returns (kind, stage, split) -> (bytes, sha256)."""
        for stage, split in list(self.waiting):
            self._flush(stage, split)
        for w in self.parquet.values():
            w.close()
        for s in self.streams.values():
            s.close()
        for f in self.files.values():
            f.close()
        return {key: file_digest(self.paths[key]) for key in self.files}

    def abort(self) -> None:
        """Close everything after a failure, quietly: the files are about to be removed, and
        a writer left open would try to finish its file when it is collected."""
        for writer in [*self.parquet.values(), *self.streams.values()]:
            try:
                writer.close()
            except (OSError, ValueError, pa.ArrowException):
                pass
        for f in self.files.values():
            if not f.closed:
                f.close()
