"""`corpusgen build`: draw scenes chunk by chunk, keep unique hyperwords, write the dataset.

The build streams: each chunk's rows go straight to Parquet (and an Arrow stream) for their
stage and split, so memory does not grow with `--n`. Everything is written into a temporary
folder beside the output and renamed at the end; any failure removes it.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pyarrow as pa

from corpusgen.build_options import BuildError, BuildOptions
from corpusgen.build_stats import Stats, stats_record, tally
from corpusgen.card import write_card
from corpusgen.contract import SPLITS
from corpusgen.draw_pool import chunks as drawn_chunks
from corpusgen.generate import SceneDrawer
from corpusgen.hf_arrow import write_arrow_metadata
from corpusgen.lexicon import Lexicon
from corpusgen.progress import progress_bar
from corpusgen.rows import with_ids
from corpusgen.scenes import SceneTables
from corpusgen.uniqueness import new_keys, split_of
from corpusgen.writers import SplitWriters

__all__ = ["STOP", "BuildError", "BuildOptions", "build", "check_output"]

# Set by the command's signal handler: the build stops at the next chunk boundary, where no
# lock of a worker pool or writer is held, and removes its temporary folder.
STOP = threading.Event()


def build(lexicon: Lexicon, options: BuildOptions, out: Path, overwrite: bool = False,
          progress: bool = True, tables: SceneTables | None = None,
          finishers: tuple = ()) -> dict:
    """Build the dataset into `out`; returns the stats written to stats.json.

    Each of `finishers` is called with the finished (still temporary) folder before the card
    is written and the folder is renamed into place — e.g. tokenizer training, which adds
    `tokenizer/` and its settings to stats.json — so a failure there leaves nothing behind.
    """
    out = Path(out)
    check_output(out, overwrite)
    tables = tables or SceneTables(lexicon, list(options.langs))
    drawer = SceneDrawer(tables, options.draw())
    if not drawer.by_size:
        raise BuildError(
            f"no scene plan has {options.min_parts}..{options.max_parts} parts in all of "
            f"{','.join(options.langs)}"
        )
    capacity = tables.capacity(options.min_parts, options.max_parts, options.mix)
    if options.n > capacity:
        raise BuildError(
            f"--n {options.n:,} is more than these options can make unique: at most "
            f"{capacity:,} hyperwords"
        )

    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    try:
        stats = _write(tables, drawer, options, tmp, progress)
        for finish in finishers:
            finish(tmp)
        if STOP.is_set():
            raise KeyboardInterrupt
        stats = json.loads((tmp / "stats.json").read_text(encoding="utf-8"))
        write_card(tmp, stats)
        _publish(tmp, out, overwrite)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return stats


def check_output(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise BuildError(f"output {out} is a file, not a folder")
    if out.exists() and not overwrite:
        raise BuildError(f"output {out} exists; pass --overwrite to replace it")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.exists():
        try:
            parent.mkdir(parents=True)
        except OSError as exc:
            raise BuildError(f"cannot create {parent}: {exc.strerror}") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise BuildError(f"cannot write into {parent}: permission denied")


def _publish(tmp: Path, out: Path, overwrite: bool) -> None:
    if out.exists():
        if not overwrite:
            raise BuildError(f"output {out} exists; pass --overwrite to replace it")
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)


def _write(tables: SceneTables, drawer: SceneDrawer, options: BuildOptions, tmp: Path,
           progress: bool) -> dict:
    tmp.mkdir(parents=True)
    concept_names = np.array(tables.concepts, dtype=object)
    writers = SplitWriters(tmp)
    stats = Stats()
    seen = np.zeros(0, dtype=np.uint64)  # sorted keys of the hyperwords kept so far
    bar = progress_bar(options.n, progress)
    stale = 0
    try:
        chunks = drawn_chunks(drawer, concept_names, options.workers, options.n,
                              lambda: options.n - stats.scenes)
        for chunk in chunks:
            if STOP.is_set():
                raise KeyboardInterrupt
            keep, seen = new_keys(chunk.key, seen, options.n - stats.scenes)
            keys = chunk.key
            if len(keep) < max(len(keys) // 1000, 1):
                stale += 1
                if stale >= 20:
                    raise BuildError(
                        f"could make only {stats.scenes + len(keep):,} unique hyperwords with "
                        f"these options, fewer than --n {options.n:,}"
                    )
            else:
                stale = 0
            keep_arr = keep
            ids = np.char.zfill(np.arange(stats.scenes, stats.scenes + len(keep)).astype(str), 8)
            staged = {stage: with_ids(table.take(keep_arr), stage, ids)
                      for stage, table in chunk.staged.items()}
            split = split_of(chunk.key[keep_arr], options.split)
            for stage, table in staged.items():
                for s, name in enumerate(SPLITS):
                    part = table.filter(pa.array(split == s))
                    writers.write(stage, name, part)
                    stats.add(stage, name, part.column("lang").to_numpy(zero_copy_only=False))
            tally(stats, chunk, keep_arr, staged)
            stats.scenes += len(keep)
            if bar is not None:
                bar.update(len(keep))
            # hand freed Arrow buffers back, so memory stays flat however large --n is
            pa.default_memory_pool().release_unused()
            if stats.scenes >= options.n:
                break
    finally:
        if "chunks" in locals():
            chunks.close()
        writers.close()
        if bar is not None:
            bar.close()
    result = stats_record(stats, options, tables)
    writers.drop_missing(result["splits"])
    write_arrow_metadata(tmp, result)
    (tmp / "stats.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n",
                                    encoding="utf-8")
    return result
