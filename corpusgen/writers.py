"""The files of a build, written as rows arrive: one Parquet file (the Hub's layout) and one
Arrow stream (the `load_from_disk` layout) per stage and split."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from corpusgen.contract import SCHEMA, SPLITS, STAGES
from corpusgen.hf_arrow import ARROW_FILE, arrow_schema


class SplitWriters:
    def __init__(self, root: Path):
        self.root = root
        self.parquet: dict[tuple[str, str], pq.ParquetWriter] = {}
        self.streams: dict[tuple[str, str], pa.ipc.RecordBatchStreamWriter] = {}
        for stage in STAGES:
            (root / "data" / stage).mkdir(parents=True)
            for split in SPLITS:
                (root / "arrow" / stage / split).mkdir(parents=True)
                self.parquet[stage, split] = pq.ParquetWriter(
                    self.parquet_path(stage, split), SCHEMA, compression="zstd",
                )
                self.streams[stage, split] = pa.ipc.new_stream(
                    str(root / "arrow" / stage / split / ARROW_FILE), arrow_schema()
                )

    def parquet_path(self, stage: str, split: str) -> Path:
        return self.root / "data" / stage / f"{split}-00000-of-00001.parquet"

    def write(self, stage: str, split: str, table: pa.Table) -> None:
        self.parquet[stage, split].write_table(table)
        self.streams[stage, split].write_table(table)

    def close(self) -> None:
        for w in self.parquet.values():
            w.close()
        for s in self.streams.values():
            s.close()

    def drop_missing(self, splits: list[str]) -> None:
        """Remove the files of splits not in `splits`: a split too small to get a row is
        left out, since datasets cannot load an empty Parquet file."""
        for stage in STAGES:
            for split in SPLITS:
                if split not in splits:
                    self.parquet_path(stage, split).unlink()
                    shutil.rmtree(self.root / "arrow" / stage / split)
