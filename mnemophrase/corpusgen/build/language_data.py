"""`--language-data`: the `language` stage from ordinary text a user names, instead of the
generator's sentences.

A source is a local file — `.txt` (a text a line), `.jsonl` or `.parquet` with a `text`
column — or a Hugging Face dataset id, read with `datasets.load_dataset(..., streaming=True)`,
so a large corpus is read as a stream and never held whole. Each text is kept when it is
written in the script of one of the build's languages (`language_of`), until the build has
one text per scene; the kept texts go, batch by batch, into an Arrow file the shard writers
memory-map and read by scene number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from mnemophrase.corpusgen.errors import CorpusgenError
from mnemophrase.corpusgen.lang import get_language

LOCAL_SUFFIXES = (".txt", ".jsonl", ".parquet")
# a text is in a language when that language's script holds this share of its letters
SCRIPT_SHARE = 0.8
BATCH = 10_000
LETTER = re.compile(r"[^\W\d_]")
TEXTS_SCHEMA = pa.schema([("text", pa.string()), ("lang", pa.string())])


class LanguageDataError(CorpusgenError):
    """A source that cannot fill the language stage; the message is one line."""


@dataclass(frozen=True)
class LanguageSource:
    source: str  # a local file or a Hub dataset id
    config: str | None = None  # the Hub dataset's configuration
    split: str = "train"  # the Hub dataset's split

    @property
    def is_local(self) -> bool:
        return self.source.endswith(LOCAL_SUFFIXES) or Path(self.source).exists()


@dataclass(frozen=True)
class StagedTexts:
    path: str  # the Arrow file of (text, lang), one row per scene
    rows: int
    license: str  # as the source states it


def language_of(text: str, langs: tuple[str, ...]) -> str | None:
    """The build language whose script holds at least SCRIPT_SHARE of the text's letters (the
    first such language, when two share a script), or None. A script check, cheap enough
    for every line of a large corpus; it does not tell apart languages of one script."""
    letters = len(LETTER.findall(text))
    if not letters:
        return None
    for code in langs:
        written = sum(len(run) for run in get_language(code).script_pattern.findall(text))
        if written >= SCRIPT_SHARE * letters:
            return code
    return None


def read_texts(source: LanguageSource) -> tuple[Iterator[str], str]:
    """The source's texts as a stream, and its licence as the source states it."""
    if source.is_local:
        path = Path(source.source)
        if not path.is_file():
            raise LanguageDataError(f"--language-data {source.source}: no such file")
        if path.suffix not in LOCAL_SUFFIXES:
            raise LanguageDataError(f"--language-data {source.source}: a local file must be "
                                    f"{', '.join(LOCAL_SUFFIXES)}")
        reader = {".txt": _txt, ".jsonl": _jsonl, ".parquet": _parquet}[path.suffix]
        return reader(path), "not stated (a local file)"
    return _hub(source)


def _txt(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8", errors="strict") as lines:
        try:
            yield from (line.strip() for line in lines)
        except UnicodeDecodeError as exc:
            raise LanguageDataError(f"--language-data {path}: not UTF-8 text ({exc.reason})") \
                from None


def _jsonl(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LanguageDataError(f"--language-data {path}: line {number} is not JSON "
                                        f"({exc.msg})") from None
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise LanguageDataError(f"--language-data {path}: line {number} has no "
                                        "string field 'text'")
            yield row["text"]


def _parquet(path: Path) -> Iterator[str]:
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow says why in its own exception types
        raise LanguageDataError(f"--language-data {path}: not a readable Parquet file "
                                f"({str(exc).splitlines()[0][:200]})") from None
    if "text" not in file.schema_arrow.names:
        raise LanguageDataError(f"--language-data {path}: no column 'text' (columns "
                                f"{', '.join(file.schema_arrow.names)})")
    for batch in file.iter_batches(columns=["text"], batch_size=BATCH):
        yield from (t for t in batch.column(0).to_pylist() if t is not None)


def _hub(source: LanguageSource) -> tuple[Iterator[str], str]:
    import datasets

    try:
        stream = datasets.load_dataset(source.source, source.config, split=source.split,
                                       streaming=True)
    except Exception as exc:  # noqa: BLE001 - the Hub and datasets raise many kinds
        raise LanguageDataError(f"--language-data {source.source}: cannot stream it "
                                f"({str(exc).splitlines()[0][:200]})") from None
    features = stream.features
    if features is not None and "text" not in features:
        raise LanguageDataError(f"--language-data {source.source}: no column 'text' "
                                f"(columns {', '.join(features)})")
    license_ = getattr(stream.info, "license", None) or "not stated by the dataset"
    return (row["text"] for row in stream if isinstance(row.get("text"), str)), license_


def stage_texts(source: LanguageSource, langs: tuple[str, ...], rows: int,
                path: Path) -> StagedTexts:
    """The first `rows` texts of `source` in one of `langs`, written to the Arrow file
    `path` batch by batch; one line and no file when the source has fewer."""
    texts, license_ = read_texts(source)
    kept = 0
    batch: dict[str, list[str]] = {"text": [], "lang": []}
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, TEXTS_SCHEMA) as writer:
        for text in texts:
            if kept >= rows:
                break
            text = " ".join(text.split())
            code = language_of(text, langs) if text else None
            if code is None:
                continue
            batch["text"].append(text)
            batch["lang"].append(code)
            kept += 1
            if len(batch["text"]) >= BATCH:
                writer.write_batch(pa.record_batch(batch, schema=TEXTS_SCHEMA))
                batch = {"text": [], "lang": []}
        if batch["text"]:
            writer.write_batch(pa.record_batch(batch, schema=TEXTS_SCHEMA))
    if kept < rows:
        path.unlink()
        raise LanguageDataError(
            f"--language-data {source.source}: {kept:,} texts in {','.join(langs)}, fewer than "
            f"the {rows:,} the build needs (one per scene, --n)")
    return StagedTexts(str(path), rows, license_)


_OPENED: dict[str, pa.Table] = {}


def staged_table(path: str) -> pa.Table:
    """The staged texts, memory-mapped once per process (the shard writers read rows of it)."""
    if path not in _OPENED:
        _OPENED[path] = pa.ipc.open_file(pa.memory_map(path)).read_all()
    return _OPENED[path]
