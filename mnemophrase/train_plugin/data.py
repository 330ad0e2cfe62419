"""Rows in: load a stage the way any outside user would, tokenise it, choose its rows.

The plugin reads the published dataset (DIR/arrow/<stage> or the card's Parquet configs) and
never regenerates it. Nothing here is written next to the dataset: `map` caches would land
in DIR/arrow/..., so tokenised rows stay in memory and `load_dataset` gets a private cache.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mnemophrase.corpusgen.contract import ARROW_DIR, CARD, DATA_DIR, STATS

from .errors import StagePluginError
from .formats import IGNORE_INDEX
from .schedule import Stage
from .source import dataset_folder


def load_stage_rows(stage: Stage, source: str | Path | None):
    """The `datasets.Dataset` of one stage's split, from wherever the stage says."""
    import datasets

    data = stage.data
    if data is None:
        if source is None:
            raise StagePluginError(
                f"stage {stage.name!r} names no data and no published dataset was given"
            )
        return _from_published(dataset_folder(source), stage.config or stage.name, stage.split)
    if isinstance(data, datasets.DatasetDict):
        return _pick_split(data, stage.split, stage.name)
    if isinstance(data, datasets.Dataset):
        return data
    path = Path(data)
    if path.is_dir():
        if (path / CARD).is_file() or (path / ARROW_DIR).is_dir():
            return _from_published(path, stage.config or stage.name, stage.split)
        try:
            loaded = datasets.load_from_disk(str(path))
        except FileNotFoundError:
            raise StagePluginError(
                f"stage {stage.name!r}: {path} is not a dataset folder") from None
        return _pick_split(loaded, stage.split, stage.name) if isinstance(
            loaded, datasets.DatasetDict) else loaded
    if path.is_file():
        kind = {".parquet": "parquet", ".jsonl": "json", ".json": "json", ".csv": "csv"}.get(
            path.suffix.lower())
        if kind is None:
            raise StagePluginError(
                f"stage {stage.name!r}: {path} is not parquet, json, jsonl or csv")
        if kind == "parquet" and _parquet_rows(path) == 0:
            raise StagePluginError(f"stage {stage.name!r}: {path} has no rows")
        try:
            return datasets.load_dataset(kind, data_files=str(path), split="train",
                                         cache_dir=_private_cache())
        except Exception as exc:  # noqa: BLE001 - datasets raises many types for a bad file
            raise StagePluginError(f"stage {stage.name!r}: {path} cannot be read as {kind} "
                                   f"({_root_cause(exc)})") from None
    raise StagePluginError(f"stage {stage.name!r}: {path} does not exist")


def _from_published(root: Path, config: str, split: str):
    import datasets

    refuse_damaged(root)
    arrow = root / ARROW_DIR / config
    if arrow.is_dir():
        try:
            saved = datasets.load_from_disk(str(arrow))
        except (OSError, ValueError) as exc:  # a split without state.json, a bad Arrow file
            raise StagePluginError(f"{arrow}: not a readable saved dataset "
                                   f"({_root_cause(exc)})") from None
        return _pick_split(saved, split, config)
    if (root / CARD).is_file():
        if not (root / DATA_DIR / config).is_dir() and config in _stage_order(root):
            raise StagePluginError(f"{root}: stage {config!r} has no files (neither "
                                   f"arrow/{config}/ nor data/{config}/); build it again")
        try:
            return datasets.load_dataset(str(root), config, split=split, cache_dir=_private_cache())
        except ValueError as e:  # unknown config or split: datasets says which in one sentence
            raise StagePluginError(f"{root}: {str(e).splitlines()[0]}") from None
        except Exception as exc:  # noqa: BLE001 - e.g. an empty or damaged Parquet file
            raise StagePluginError(f"{root}: stage {config!r} does not load "
                                   f"({_root_cause(exc)})") from None
    raise StagePluginError(f"{root}: no arrow/{config}/ and no README.md card")


def _stage_order(root: Path) -> list[str]:
    from .schedule import read_stage_order

    try:
        return read_stage_order(root)
    except StagePluginError:
        return []


def _parquet_rows(path: Path) -> int | None:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).metadata.num_rows
    except Exception:  # noqa: BLE001 - not Parquet after all: datasets says what is wrong
        return None


def _root_cause(exc: BaseException) -> str:
    """The innermost error's first line: datasets wraps the reader's error in a
    DatasetGenerationError that says only that something went wrong."""
    seen = {id(exc)}
    while (inner := exc.__cause__ or exc.__context__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        exc = inner
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return f"{type(exc).__name__}: {text[:200]}"


def refuse_damaged(root: Path) -> None:
    """A corpusgen build whose files are not as it wrote them (corpusgen's quick integrity
    check against stats.json) is refused: a bit-flipped shard may still load, and a model
    would be trained on it without a word. Folders without a build record pass, and so does
    a pushed copy's missing arrow/ (the Parquet files it is then read from are checked)."""
    from mnemophrase.corpusgen.check.integrity import damage
    from mnemophrase.corpusgen.contract import Build, BuildInvalid

    if not (root / STATS).is_file():
        return
    try:
        problem = damage(Build.open(root), absent_ok=(ARROW_DIR,))
    except BuildInvalid as exc:
        raise StagePluginError(str(exc)) from None
    if problem:
        raise StagePluginError(problem)


def _pick_split(dd, split: str, name: str):
    if split not in dd:
        raise StagePluginError(f"stage {name!r}: no split {split!r} (has {', '.join(dd)})")
    return dd[split]


_CACHE: tempfile.TemporaryDirectory | None = None


def _private_cache() -> str:
    """One cache folder per process, removed when it exits.

    Private because two ranks sharing a `datasets` cache race on its lock files; temporary
    because the Parquet is the dataset and the cache only a faster copy of it.
    """
    global _CACHE
    if _CACHE is None:
        _CACHE = tempfile.TemporaryDirectory(prefix="mnemo-datasets-")
    return _CACHE.name


@dataclass
class TokenizedStage:
    """One stage's rows as token ids; labels are -100 where no loss is taken."""

    input_ids: list[list[int]]
    labels: list[list[int]]

    @property
    def lengths(self) -> np.ndarray:
        return np.fromiter((len(r) for r in self.input_ids), dtype=np.int64,
                           count=len(self.input_ids))


def tokenize_rows(ds, encoder, stage_name: str) -> TokenizedStage:
    """One stage's rows through its format's encoder (see mnemophrase.train_plugin.formats)."""
    wanted = [c for c in ("messages", "prompt", "completion", "text") if c in ds.column_names]
    columns = {c: list(ds[c]) for c in wanted}
    if not columns:
        raise StagePluginError(
            f"stage {stage_name!r}: needs `messages`, `prompt`+`completion` or `text` columns "
            f"(has {', '.join(sorted(ds.column_names))})"
        )
    input_ids, labels = encoder.encode(columns, stage_name)
    # a row whose prompt fills max_length has nothing left to learn; a micro-batch of such
    # rows would average a loss over no tokens (NaN) and poison the adapter
    keep = [i for i, lab in enumerate(labels) if any(t != IGNORE_INDEX for t in lab)]
    if len(keep) < len(labels):
        if not keep:
            raise StagePluginError(
                f"stage {stage_name!r}: no row has a token to learn within max_length="
                f"{encoder.max_length}; raise max_length")
        warnings.warn(f"stage {stage_name!r}: {len(labels) - len(keep)} of {len(labels)} rows "
                      f"have no token to learn within max_length={encoder.max_length} and "
                      "are left out", stacklevel=2)
        input_ids, labels = [input_ids[i] for i in keep], [labels[i] for i in keep]
    return TokenizedStage(input_ids, labels)


def select_rows(stage: Stage, lengths: np.ndarray) -> np.ndarray:
    """Row indices a stage consumes, in dataset order; budgets wrap around for more passes."""
    n = len(lengths)
    if n == 0:
        raise StagePluginError(f"stage {stage.name!r} has no rows in split {stage.split!r}")
    if stage.rows is not None:
        count = int(stage.rows)
    elif stage.epochs is not None:
        count = max(1, round(stage.epochs * n))
    elif stage.tokens is not None:
        passes = -(-int(stage.tokens) // max(1, int(lengths.sum())))
        _check_fits(stage, passes * n)
        cum = np.cumsum(np.tile(lengths, passes))
        count = int(np.searchsorted(cum, stage.tokens) + 1)
    else:
        count = n
    _check_fits(stage, count)
    return np.arange(count, dtype=np.int64) % n


# What the plan holds per planned row, at least: its index in this array, in the stage's
# concatenated order and in its micro-batch list (three int64s).
PLANNED_ROW_BYTES = 24


def _check_fits(stage: Stage, count: int) -> None:
    """Refuse a budget whose row plan alone would not fit in this machine's memory, before
    numpy allocates it (an allocation that large ends with the kernel killing the process)."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    need = count * PLANNED_ROW_BYTES
    if need > memory:
        budget = next((f"{b}={getattr(stage, b)}" for b in ("rows", "epochs", "tokens")
                       if getattr(stage, b) is not None), "its budget")
        raise StagePluginError(
            f"stage {stage.name!r}: {budget} plans {count:,} rows, whose plan alone needs "
            f"{need / 2**30:,.0f} GiB, more than this machine's memory "
            f"({memory / 2**30:,.0f} GiB); give a smaller budget")


def mixed_order(parts: list[np.ndarray], seed: int) -> np.ndarray:
    """Every part's rows once, interleaved by a seeded shuffle (same seed, same order)."""
    rows = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return rows[np.random.default_rng(seed).permutation(len(rows))]


class PlanDataset:
    """Map-style dataset over the tokenised rows of every stage, indexed by global row id.

    Items carry `row` (the global id) beside `input_ids`/`labels`: collators ignore it, and it
    lets a test or a log say exactly which rows a rank consumed.
    """

    def __init__(self, stages: list[TokenizedStage]):
        self.input_ids: list[list[int]] = []
        self.labels: list[list[int]] = []
        self.offsets: list[int] = []
        for st in stages:
            self.offsets.append(len(self.input_ids))
            self.input_ids.extend(st.input_ids)
            self.labels.extend(st.labels)

    def __len__(self) -> int:
        return len(self.input_ids)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"input_ids": self.input_ids[i], "labels": self.labels[i], "row": int(i)}

    def __getitems__(self, idx: list[int]) -> list[dict[str, Any]]:
        """The rows of a micro-batch; a MicroBatch's earlier-stage rows are marked for the
        KL term (`keep_core_labels`) and, unless replayed, kept out of the loss."""
        items = [self[i] for i in idx]
        earlier = getattr(idx, "earlier", 0)
        if earlier:
            for item in items[len(items) - earlier:]:
                if idx.keep_core:
                    item["keep_core_labels"] = item["labels"]
                if not idx.learn_earlier:
                    item["labels"] = [IGNORE_INDEX] * len(item["labels"])
        return items

    def to_hf(self):
        """The same rows as a `datasets.Dataset` (what a Trainer's `train_dataset` expects)."""
        import datasets

        return datasets.Dataset.from_dict(
            {"input_ids": self.input_ids, "labels": self.labels,
             "row": list(range(len(self.input_ids)))}
        )
