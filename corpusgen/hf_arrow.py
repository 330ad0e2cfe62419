"""The `arrow/<stage>/` folders in the form `datasets.load_from_disk` reads, around the Arrow
stream files (one per shard) the build wrote as it went (saving through datasets would copy
every row again). The metadata files come from datasets itself, saving an empty dataset of
our schema."""

from __future__ import annotations

import json
import shutil
from hashlib import blake2b
from pathlib import Path

import pyarrow as pa

from corpusgen.contract import SCHEMA, STAGES


def arrow_schema() -> pa.Schema:
    """The published schema with the `huggingface` features metadata datasets writes."""
    from datasets import Features

    return Features.from_arrow_schema(SCHEMA).arrow_schema


def write_arrow_metadata(tmp: Path, stats: dict, files: dict[tuple[str, str], list[str]]) -> None:
    """Make `arrow/<stage>/` what `DatasetDict.save_to_disk` writes; `files` lists each
    stage and split's Arrow files, in order."""
    import datasets
    from datasets import Dataset, DatasetDict

    datasets.disable_progress_bars()
    scratch = tmp / ".arrow-scratch"
    empty = Dataset(SCHEMA.empty_table())
    splits = stats["splits"]
    DatasetDict({split: empty for split in splits}).save_to_disk(str(scratch))
    digest = json.dumps(stats, sort_keys=True).encode()
    for stage in STAGES:
        shutil.copy(scratch / "dataset_dict.json", tmp / "arrow" / stage / "dataset_dict.json")
        for split in splits:
            dest = tmp / "arrow" / stage / split
            shutil.copy(scratch / split / "dataset_info.json", dest / "dataset_info.json")
            state = json.loads((scratch / split / "state.json").read_text())
            state["_data_files"] = [{"filename": name} for name in files[stage, split]]
            # a fingerprint of the content, so datasets' caches never mix two builds
            state["_fingerprint"] = blake2b(digest + f"{stage}/{split}".encode(),
                                            digest_size=8).hexdigest()
            (dest / "state.json").write_text(json.dumps(state, indent=2, sort_keys=True))
    shutil.rmtree(scratch)
