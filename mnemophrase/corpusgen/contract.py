"""The published dataset's contract: what a build folder holds and what every row means.

One light module that the writer (`corpusgen build`) and every reader (`corpusgen check`,
`push`, the tokenizer, the training plugin, the experiment) import, so that the stage list,
the splits, the schema, the task wording and the file layout are said once. It needs only
the standard library and pyarrow. docs/dataset.md describes the same contract for people.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from mnemophrase.corpusgen.errors import CorpusgenError

STAGES = ("mnemo", "bridge", "language")
SPLITS = ("train", "validation", "test")

CARD = "README.md"
STATS = "stats.json"
DATA_DIR = "data"
ARROW_DIR = "arrow"
TOKENIZER_DIR = "tokenizer"

CONSTITUENT = pa.struct(
    [("concept", pa.string()), ("lang", pa.string()), ("surface", pa.string()),
     ("start", pa.int32()), ("end", pa.int32())]
)
MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])
SCHEMA = pa.schema(
    [
        ("id", pa.string()), ("stage", pa.string()), ("lang", pa.string()),
        ("hyperword", pa.string()), ("constituents", pa.list_(CONSTITUENT)),
        ("gloss", pa.string()), ("sentence", pa.string()),
        ("prompt", pa.string()), ("completion", pa.string()),
        ("messages", pa.list_(MESSAGE)), ("text", pa.string()),
    ]
)


@dataclass(frozen=True)
class Task:
    """What a row of a hyperword stage asks, in the two ways a trainer can be told.

    `marker` starts the `prompt` column ("gloss ru: водагрусть\\n"); `instruction` is the user
    turn of the `messages` column. Both name the output language, because a hyperword mixes
    languages and nothing else in the row would say which one the answer is written in.
    """

    marker: str
    instruction: str


TASKS = {
    "mnemo": Task("gloss", "Gloss this hyperword in {language}: {hyperword}"),
    "bridge": Task("sentence",
                   "Say this hyperword's scene as one {language} sentence: {hyperword}"),
}


def task_prompt(stage: str, lang: str, hyperword: str) -> str:
    """The `prompt` of a `stage` row: task marker, output language code, hyperword, newline."""
    return f"{TASKS[stage].marker} {lang}: {hyperword}\n"


def task_instruction(stage: str, language: str, hyperword: str) -> str:
    """The user turn of a `stage` row; `language` is the output language's English name."""
    return TASKS[stage].instruction.format(language=language, hyperword=hyperword)


def shard_name(split: str, index: int, count: int) -> str:
    """`<split>-NNNNN-of-MMMMM.parquet`: the Hub's name of the index-th of `count` shards."""
    return f"{split}-{index:05d}-of-{count:05d}.parquet"


def data_pattern(stage: str, split: str) -> str:
    """The card's `path:` of a split: every shard of it, relative to the build folder."""
    return f"{DATA_DIR}/{stage}/{split}-*.parquet"


class BuildInvalid(CorpusgenError):
    """A folder that is not a readable build; the message says what and where, in one line."""


@dataclass(frozen=True)
class Build:
    """A build folder, opened: its stats record and the files the contract says it has."""

    root: Path
    stats: dict[str, Any]

    @classmethod
    def open(cls, path: str | Path) -> Build:
        """Open `path`, or raise BuildInvalid saying why it is not a build."""
        root = Path(path)
        if not root.exists():
            raise BuildInvalid(f"{root}: no such folder")
        if not root.is_dir():
            raise BuildInvalid(f"{root}: not a folder")
        return cls(root, read_stats(root))

    @property
    def stage_order(self) -> list[str]:
        return list(self.stats["stage_order"])

    @property
    def splits(self) -> list[str]:
        return list(self.stats.get("splits", SPLITS))

    @property
    def languages(self) -> dict[str, str]:
        """Language code -> English name, of the languages the build was made for."""
        names = self.stats.get("languages")
        if isinstance(names, dict):
            return dict(names)
        return {code: code for code in self.stats.get("options", {}).get("langs", [])}

    @property
    def rows(self) -> dict[str, dict[str, int]]:
        return {stage: dict(splits) for stage, splits in self.stats["rows"].items()}

    @property
    def card_path(self) -> Path:
        return self.root / CARD

    @property
    def tokenizer_dir(self) -> Path:
        return self.root / TOKENIZER_DIR

    def arrow_dir(self, stage: str) -> Path:
        return self.root / ARROW_DIR / stage

    def data_files(self, stage: str, split: str | None = None) -> list[Path]:
        """The Parquet shards of a stage (of one split, when given) on disk, in order."""
        return data_files(self.root, stage, split)

    def update(self, **entries: Any) -> Build:
        """Record `entries` as top-level entries of this finished build's stats.json
        (through `write_stats`: a reader never sees half a record); returns the build as
        it now stands. For a part that adds to a build after it was made (the tokenizer)."""
        stats = {**self.stats, **entries}
        write_stats(self.root, stats)
        return Build(self.root, stats)


def data_files(root: Path, stage: str, split: str | None = None) -> list[Path]:
    """The Parquet shards of a stage (of one split, when given) under `root`, in order."""
    pattern = f"{split}-*.parquet" if split else "*.parquet"
    return sorted((root / DATA_DIR / stage).glob(pattern))


def read_stats(root: Path) -> dict[str, Any]:
    """The stats record of a build folder; BuildInvalid when missing or malformed."""
    path = root / STATS
    if not path.is_file():
        raise BuildInvalid(f"{root}: no {STATS}; not a corpusgen build")
    try:
        stats = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BuildInvalid(f"{path}: unreadable ({str(exc).splitlines()[0]})") from None
    if not isinstance(stats, dict):
        raise BuildInvalid(f"{path}: not a JSON object")
    for key in ("stage_order", "rows"):
        if key not in stats:
            raise BuildInvalid(f"{path}: has no {key!r}")
    unknown = [s for s in stats["stage_order"] if s not in STAGES]
    if unknown:
        raise BuildInvalid(f"{path}: unknown stage {', '.join(map(str, unknown))}")
    return stats


def write_stats(root: Path, stats: dict[str, Any]) -> None:
    """The one writer of a build's stats.json: a temporary file beside it, renamed over it,
    so a reader never sees half a record."""
    path = Path(root) / STATS
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(json.dumps(stats, ensure_ascii=False, indent=2) + "\n",
                       encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)  # a full disk leaves no half record beside it
