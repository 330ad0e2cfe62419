"""The file formats a build writes, as one table: where each kind's files go and the writer
that makes them. A new format is one writer function and one row of `KINDS`; the shard
writers, the folders and the final names all follow the table (publishing it on the Hub is
the card's and the push's business)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from mnemophrase.corpusgen.contract import ARROW_DIR, DATA_DIR, SCHEMA, shard_name

# Parquet's dictionary encoding pays only for the few columns with few distinct values; for
# the texts (every row new) building a dictionary is work thrown away, and their min/max
# statistics help no reader. Both measured: about 15% of the Parquet writing time.
DICTIONARY_COLUMNS = ["stage", "lang", "constituents.list.element.concept",
                      "constituents.list.element.lang", "messages.list.element.role"]
STATISTICS_COLUMNS = ["id", "stage", "lang"]


class TableWriter(Protocol):
    def write_table(self, table: pa.Table) -> None:
        """Append the rows of `table`, whose schema is the published one."""

    def close(self) -> None:
        """Finish the file (the file object itself is closed by its owner)."""


@dataclass(frozen=True)
class Kind:
    name: str
    suffix: str
    folder: Callable[[str, str], str]  # (stage, split) -> the folder of its files
    final: Callable[[str, str, int, int], str]  # (stage, split, index, count) -> final path
    writer: Callable[[pa.NativeFile, pa.Schema, str], TableWriter]  # (file, streamed, codec)


def _parquet_folder(stage: str, split: str) -> str:
    return f"{DATA_DIR}/{stage}"


def _parquet_final(stage: str, split: str, index: int, count: int) -> str:
    return f"{_parquet_folder(stage, split)}/{shard_name(split, index, count)}"


def _parquet_writer(file: pa.NativeFile, streamed: pa.Schema, compression: str) -> TableWriter:
    return pq.ParquetWriter(file, SCHEMA, compression=compression,
                            use_dictionary=DICTIONARY_COLUMNS,
                            write_statistics=STATISTICS_COLUMNS, data_page_size=1 << 20)


def _arrow_folder(stage: str, split: str) -> str:
    return f"{ARROW_DIR}/{stage}/{split}"


def _arrow_final(stage: str, split: str, index: int, count: int) -> str:
    return f"{_arrow_folder(stage, split)}/data-{index:05d}-of-{count:05d}.arrow"


def _arrow_writer(file: pa.NativeFile, streamed: pa.Schema, compression: str) -> TableWriter:
    return pa.ipc.new_stream(file, streamed)  # the streams carry datasets' schema metadata


KINDS = (
    # the Hub's layout, what load_dataset reads
    Kind("parquet", ".parquet", _parquet_folder, _parquet_final, _parquet_writer),
    # the save_to_disk layout, what load_from_disk reads (its metadata: hf_arrow.py)
    Kind("arrow", ".arrow", _arrow_folder, _arrow_final, _arrow_writer),
)
KIND = {kind.name: kind for kind in KINDS}
