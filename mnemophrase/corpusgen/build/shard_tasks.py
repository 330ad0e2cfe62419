"""The three kinds of task a build is made of, each a pure function of the seed, the options
and its arguments, so that any engine (this process, a process pool, a Ray cluster) may
run them in any order, or run one twice, and write the same bytes:

- `shard_keys(s)`: the keys of shard s's planned draws, cut into buckets;
- `bucket_repeats` (in mnemophrase.corpusgen.build.uniqueness): one bucket's repeats, over
  every shard;
- `write_shard(work)`: realise the shard's kept scenes and write its files.

What every task needs (the drawer with its grammar tables, the options, the shard plan)
is a `BuildContext`, installed once per process in a module global by `install`: sending it
with every task would cost more than a task's work.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from mnemophrase.corpusgen.build.language_data import staged_table
from mnemophrase.corpusgen.build.options import BuildOptions
from mnemophrase.corpusgen.build.shards import ShardPlan
from mnemophrase.corpusgen.build.stats import Stats
from mnemophrase.corpusgen.build.uniqueness import Slice, by_bucket, split_of
from mnemophrase.corpusgen.contract import SPLITS
from mnemophrase.corpusgen.grammar.draw import SceneDrawer
from mnemophrase.corpusgen.grammar.rows import language_table, row_numbers, stage_tables
from mnemophrase.corpusgen.output.writers import ShardWriters, make_folders, part_paths


class Interrupted(Exception):
    """The build was asked to stop; raised between chunks."""


@dataclass
class BuildContext:
    drawer: SceneDrawer
    concept_names: pa.Array
    options: BuildOptions
    plan: ShardPlan
    # --language-data: the staged texts' Arrow file, one text per scene number
    language_texts: str | None = None


@dataclass
class ShardWork:
    """What shard `shard` keeps: its planned draws but the `repeats` (sorted positions),
    then the `accepted` positions of its top-up chunk of each round, as (round, rows,
    positions, anchors) — anchors: the candidates' anchor words in a balanced build (each
    lost scene's anchor is drawn again), else None."""

    shard: int
    repeats: np.ndarray
    topups: list[tuple[int, int, np.ndarray, np.ndarray | None]] = field(default_factory=list)


@dataclass
class ShardResult:
    shard: int
    stats: Stats
    rows: dict[str, int]  # split -> rows of each stage
    files: dict[tuple[str, str, str], tuple[int, str]]  # (kind, stage, split) -> (bytes, sha256)


_CONTEXT: BuildContext | None = None


def install(context: BuildContext) -> None:
    global _CONTEXT
    _CONTEXT = context


def context() -> BuildContext:
    if _CONTEXT is None:
        raise RuntimeError("no build context installed in this process")
    return _CONTEXT


def planned_anchors(shard: int, first: int, rows: int) -> np.ndarray | None:
    """The anchor words of the shard's scenes numbered from its `first` position on (a
    balanced build), else None."""
    c = context()
    schedule = c.drawer.schedule
    if schedule is None:
        return None
    return schedule.anchors(c.plan.first(shard) + first + np.arange(rows))


def shard_keys(shard: int) -> list[Slice]:
    c = context()
    keys, start = [], 0
    for j, size in enumerate(c.plan.chunk_sizes(shard)):
        keys.append(c.drawer.draw_scenes((shard, j), size,
                                         planned_anchors(shard, start, size)).key)
        start += size
    return by_bucket(np.concatenate(keys), c.plan.buckets)


def topup_keys(shard: int, round_: int, rows: int,
               anchors: np.ndarray | None = None) -> np.ndarray:
    return context().drawer.draw_scenes(context().plan.topup_chunk(shard, round_), rows,
                                        anchors).key


def _kept_chunks(work: ShardWork):
    """(chunk name, rows, kept positions, anchors) of the shard, in the order its rows are
    written."""
    plan = context().plan
    start = 0
    for j, size in enumerate(plan.chunk_sizes(work.shard)):
        lo, hi = np.searchsorted(work.repeats, [start, start + size])
        keep = np.setdiff1d(np.arange(size, dtype=np.int64), work.repeats[lo:hi] - start,
                            assume_unique=True)
        yield (work.shard, j), size, keep, planned_anchors(work.shard, start, size)
        start += size
    for round_, size, accepted, anchors in work.topups:
        yield plan.topup_chunk(work.shard, round_), size, accepted, anchors


def write_shard(work: ShardWork, root: Path | str, streamed: pa.Schema, progress=None,
                stop=None) -> ShardResult:
    """Realise and write the shard's kept scenes into `root`'s provisional part files;
    `streamed` is the Arrow streams' schema (made by the driver, `hf_arrow.arrow_schema`:
    it may take datasets, a slow import). `progress(scenes)` is told after each chunk;
    `stop()` true makes it stop there.

    A URL `root` (a str) is a build on an fsspec filesystem: the shard is written on this
    machine by the same writers, then its files are uploaded."""
    if isinstance(root, str):
        from mnemophrase.corpusgen.output.url import upload_files

        with tempfile.TemporaryDirectory(prefix="corpusgen-shard-") as local:
            make_folders(Path(local))
            result = write_shard(work, Path(local), streamed, progress, stop)
            parts = part_paths(Path(), work.shard).values()
            upload_files(Path(local), root, [p.as_posix() for p in parts])
        return result
    c = context()
    langs = list(c.options.langs)
    writers = ShardWriters(root, work.shard, streamed, c.options.parquet_compression)
    stats = Stats()
    number = c.plan.first(work.shard)
    try:
        for name, size, keep, anchors in _kept_chunks(work):
            if stop is not None and stop():
                raise Interrupted
            scenes = c.drawer.draw_scenes(name, size, anchors)
            m = len(keep)
            # the kept scenes realised split by split (each split's rows still in scene
            # order, with their own numbers), so that each split is a slice of the tables:
            # copying the train rows out of a table of all splits cost 15% of the build
            split = split_of(scenes.key[keep], c.options.split)
            order = np.argsort(split, kind="stable")
            split = split[order]
            chunk = c.drawer.realise(scenes, keep[order])
            ids = row_numbers(number, m).take(pa.array(order))
            staged = stage_tables(chunk, ids, langs, c.concept_names)
            if c.language_texts is not None:
                texts = staged_table(c.language_texts).take(pa.array(number + order))
                staged["language"] = language_table(ids, texts.column("lang").combine_chunks(),
                                                    texts.column("text").combine_chunks())
            bounds = np.searchsorted(split, np.arange(len(SPLITS) + 1))
            for stage, table in staged.items():
                per = table.num_rows // max(m, 1)  # rows a scene has in this stage
                for s, split_name in enumerate(SPLITS):
                    rows = table.slice(bounds[s] * per, (bounds[s + 1] - bounds[s]) * per)
                    # train rows are written at once; a small split waits for more, as a
                    # copy of its own (a slice would keep the whole table alive meanwhile)
                    writers.write(stage, split_name, rows if split_name == "train" else
                                  rows.take(pa.array(np.arange(rows.num_rows))))
            stats.count(chunk, split, langs, staged)
            number += m
            if progress is not None:
                progress(m)
            # hand freed Arrow buffers back, so memory stays flat however large --n is
            pa.default_memory_pool().release_unused()
        files = writers.close()
    except BaseException:
        writers.abort()
        raise
    rows = {split: writers.rows["mnemo", split] for split in SPLITS}
    return ShardResult(work.shard, stats, rows, files)
