"""A new output format is one row of `mnemophrase.corpusgen.output.kinds.KINDS`: with a third kind
added there and nowhere else, a build writes it for every stage and split, names its shards and
records them in stats.json, and leaves the other files as they were."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq

from mnemophrase.corpusgen.build.engine_local import LocalEngine
from mnemophrase.corpusgen.build.run import BuildOptions, build
from mnemophrase.corpusgen.contract import SPLITS, STAGES
from mnemophrase.corpusgen.lexicon import load_lexicon
from mnemophrase.corpusgen.output import kinds


def _stream_folder(stage: str, split: str) -> str:
    return f"streams/{stage}/{split}"


def _stream_final(stage: str, split: str, index: int, count: int) -> str:
    return f"{_stream_folder(stage, split)}/{index:05d}-of-{count:05d}.arrows"


def _stream_writer(file: pa.NativeFile, streamed: pa.Schema, compression: str):
    return pa.ipc.new_stream(file, streamed.remove_metadata())


def _build(out, langs=("ru", "en")):
    options = BuildOptions(langs, 400, seed=5, workers=1)
    return build(load_lexicon(langs=list(langs)), options, out, progress=False,
                 engine=LocalEngine(1))


def test_a_kind_added_to_the_table_is_written_named_and_recorded(tmp_path, monkeypatch):
    plain = _build(tmp_path / "plain")
    monkeypatch.setattr(kinds, "KINDS", (*kinds.KINDS, kinds.Kind(
        "stream", ".arrows", _stream_folder, _stream_final, _stream_writer)))
    stats = _build(tmp_path / "more")
    root = tmp_path / "more"
    for stage in STAGES:
        for split in SPLITS:
            streams = sorted((root / _stream_folder(stage, split)).glob("*.arrows"))
            assert [p.name for p in streams] == ["00000-of-00001.arrows"], (stage, split)
            rows = pa.ipc.open_stream(streams[0].read_bytes()).read_all()
            parquet = pq.read_table(next((root / "data" / stage).glob(f"{split}-*.parquet")))
            assert rows.equals(parquet.replace_schema_metadata(None)), (stage, split)
            assert streams[0].relative_to(root).as_posix() in stats["files"]
    # the formats of the table as it ships are written byte for byte as before
    kept = {rel: entry for rel, entry in stats["files"].items()
            if not rel.startswith("streams/")}
    assert kept == plain["files"]
    assert json.loads((root / "stats.json").read_text(encoding="utf-8"))["files"] == stats["files"]
