"""The `arrow/<stage>/` folders in the form `datasets.load_from_disk` reads, around the Arrow
stream files (one per shard) the build wrote as it went (saving through datasets would copy
every row again).

What datasets adds — the `huggingface` features metadata of the streams' schema, and the
files `DatasetDict.save_to_disk` writes beside the data — is asked of datasets itself (saving
an empty dataset of our schema), once per datasets version and set of splits, then read from
the cache: importing datasets takes 0.6 s, and a build spent it while drawing its keys, on
the same interpreter as the drawing (0.35 s longer on two workers, measured)."""

from __future__ import annotations

import json
import tempfile
from hashlib import blake2b
from pathlib import Path

import pyarrow as pa

from mnemophrase.corpusgen.cache import cached, key_of
from mnemophrase.corpusgen.contract import ARROW_DIR, SCHEMA, STAGES

# the files save_to_disk writes in each split's folder, the same for every split of an
# empty DatasetDict; dataset_dict.json (the splits) goes in the stage's folder
SPLIT_FILES = ("dataset_info.json", "state.json")
DICT_FILE = "dataset_dict.json"


def _key(*parts: str) -> str:
    return key_of(SCHEMA.serialize().to_pybytes(), *parts, libraries=("datasets",))


def arrow_schema() -> pa.Schema:
    """The published schema with the `huggingface` features metadata datasets writes."""
    return cached("arrow-schema", _key(), _schema_from_datasets,
                  valid=lambda value: isinstance(value, pa.Schema))


def _schema_from_datasets() -> pa.Schema:
    from datasets import Features

    return Features.from_arrow_schema(SCHEMA).arrow_schema


def saved_files(splits: list[str]) -> dict[str, str]:
    """{file name: text} of what save_to_disk writes around an empty DatasetDict of our
    schema with these splits (DICT_FILE, and the SPLIT_FILES of its first split)."""
    return cached("save-to-disk", _key(*splits), lambda: _saved_by_datasets(splits),
                  valid=lambda value: isinstance(value, dict)
                  and set(value) == {DICT_FILE, *SPLIT_FILES})


def _saved_by_datasets(splits: list[str]) -> dict[str, str]:
    import datasets
    from datasets import Dataset, DatasetDict

    datasets.disable_progress_bars()
    empty = Dataset(SCHEMA.empty_table())
    with tempfile.TemporaryDirectory(prefix="corpusgen-arrow-") as scratch:
        DatasetDict({split: empty for split in splits}).save_to_disk(scratch)
        files = {DICT_FILE: (Path(scratch) / DICT_FILE).read_text(encoding="utf-8")}
        for name in SPLIT_FILES:
            files[name] = (Path(scratch) / splits[0] / name).read_text(encoding="utf-8")
    return files


def write_arrow_metadata(tmp: Path, stats: dict, files: dict[tuple[str, str], list[str]]) -> None:
    """Make `arrow/<stage>/` what `DatasetDict.save_to_disk` writes; `files` lists each
    stage and split's Arrow files, in order."""
    splits = list(stats["splits"])
    saved = saved_files(splits)
    saved_state = json.loads(saved["state.json"])
    digest = json.dumps(stats, sort_keys=True).encode()
    for stage in STAGES:
        (tmp / ARROW_DIR / stage / DICT_FILE).write_text(saved[DICT_FILE], encoding="utf-8")
        for split in splits:
            dest = tmp / ARROW_DIR / stage / split
            (dest / "dataset_info.json").write_text(saved["dataset_info.json"],
                                                    encoding="utf-8")
            # a fingerprint of the content, so datasets' caches never mix two builds
            state = {**saved_state,
                     "_data_files": [{"filename": name} for name in files[stage, split]],
                     "_fingerprint": blake2b(digest + f"{stage}/{split}".encode(),
                                             digest_size=8).hexdigest()}
            (dest / "state.json").write_text(json.dumps(state, indent=2, sort_keys=True))
