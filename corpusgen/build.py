"""`corpusgen build`: draw scenes chunk by chunk, keep unique hyperwords, write the dataset.

The build streams: each chunk's rows go straight to Parquet (and an Arrow stream) for their
stage and split, so memory does not grow with `--n`. Everything is written into a temporary
folder beside the output and renamed at the end; any failure removes it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from hashlib import blake2b
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corpusgen import __version__
from corpusgen.card import write_card
from corpusgen.contract import SCHEMA, SPLITS, STAGES
from corpusgen.generate import CHUNK_ROWS, DrawOptions, SceneDrawer
from corpusgen.lang import get_language
from corpusgen.lexicon import Lexicon
from corpusgen.rows import stage_tables, with_ids
from corpusgen.scenes import SceneTables


class BuildError(Exception):
    """A problem the user can fix; the message is one line."""


# Set by the command's signal handler: the build stops at the next chunk boundary, where no
# lock of a worker pool or writer is held, and removes its temporary folder.
STOP = threading.Event()


@dataclass
class BuildOptions:
    langs: tuple[str, ...]
    n: int
    min_parts: int = 3
    max_parts: int = 4
    mix: float = 0.5
    seed: int = 0
    split: tuple[float, float, float] = (0.98, 0.01, 0.01)
    workers: int = 1

    def draw(self) -> DrawOptions:
        return DrawOptions(self.langs, self.min_parts, self.max_parts, self.mix, self.seed)


@dataclass
class Stats:
    rows: dict = field(default_factory=dict)  # stage -> split -> lang -> count
    cross: int = 0
    parts: Counter = field(default_factory=Counter)
    chars: Counter = field(default_factory=Counter)  # column -> total characters
    scenes: int = 0

    def add(self, stage: str, split: str, langs: np.ndarray) -> None:
        per = self.rows.setdefault(stage, {}).setdefault(split, {})
        for lang, count in zip(*np.unique(langs, return_counts=True)):
            per[str(lang)] = per.get(str(lang), 0) + int(count)


# --- drawing in worker processes -------------------------------------------------------
@dataclass
class DrawnRows:
    """A chunk's scenes as the three stages' Arrow tables (ids still blank), plus what the
    writer needs to de-duplicate, split and count them."""

    key: np.ndarray
    parts: np.ndarray
    cross: np.ndarray
    staged: dict[str, pa.Table]


_DRAWER: tuple | None = None


def _init_worker(drawer: SceneDrawer, concept_names: np.ndarray) -> None:
    import signal

    global _DRAWER
    _DRAWER = (drawer, concept_names)
    # an interrupt is the parent's to handle (it removes the temporary folder); a worker
    # that raised too would only print a traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _draw(index: int, rows: int) -> DrawnRows:
    drawer, concept_names = _DRAWER
    chunk = drawer.draw(index, rows)
    every = np.arange(len(chunk.key), dtype=np.int64)
    staged = stage_tables(chunk, every, None, list(drawer.t.langs), concept_names)
    return DrawnRows(chunk.key, chunk.parts, chunk.cross, staged)


def planned_chunks(n: int) -> list[int]:
    """Chunk sizes for `n` scenes plus a small margin for duplicate hyperwords. They depend
    on `n` alone, so any number of workers draws the same chunks."""
    target = n + n // 200 + 16
    full, rest = divmod(target, CHUNK_ROWS)
    return [CHUNK_ROWS] * full + ([rest] if rest else [])


def _chunks(drawer: SceneDrawer, concept_names: np.ndarray, workers: int, n: int,
            missing):
    """The planned chunks in order, drawn by `workers` processes (1 = this one), then small
    top-up chunks while `missing()` says scenes are still short."""
    global _DRAWER
    _DRAWER = (drawer, concept_names)
    sizes = planned_chunks(n)
    if workers <= 1:
        for index, size in enumerate(sizes):
            yield _draw(index, size)
    else:
        import multiprocessing

        # spawn, not fork: forking a process whose polars/arrow thread pools hold locks hangs
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                                   initargs=(drawer, concept_names))
        try:
            window = 2 * workers
            pending = [pool.submit(_draw, i, size) for i, size in enumerate(sizes[:window])]
            for index in range(len(sizes)):
                done = pending.pop(0)
                if index + window < len(sizes):
                    pending.append(pool.submit(_draw, index + window, sizes[index + window]))
                yield done.result()
        finally:
            # let the workers finish and exit quietly, whatever stopped the build
            pool.shutdown(wait=True, cancel_futures=True)
    index = len(sizes)
    while True:
        yield _draw(index, max(1024, 2 * missing()))
        index += 1


def split_of(keys: np.ndarray, split: tuple[float, float, float]) -> np.ndarray:
    """0 train, 1 validation, 2 test — from the hyperword's hash, so it is the same for a
    hyperword in every stage and independent of chunking."""
    u = (keys >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    val_edge = split[0]
    test_edge = split[0] + split[1]
    return np.where(u < val_edge, 0, np.where(u < test_edge, 1, 2)).astype(np.int8)


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
    writers: dict[tuple[str, str], pq.ParquetWriter] = {}
    streams: dict[tuple[str, str], pa.ipc.RecordBatchStreamWriter] = {}
    for stage in STAGES:
        (tmp / "data" / stage).mkdir(parents=True)
        for split in SPLITS:
            (tmp / "arrow" / stage / split).mkdir(parents=True)
            writers[stage, split] = pq.ParquetWriter(
                tmp / "data" / stage / f"{split}-00000-of-00001.parquet", SCHEMA,
                compression="zstd",
            )
            streams[stage, split] = pa.ipc.new_stream(
                str(tmp / "arrow" / stage / split / ARROW_FILE), arrow_schema()
            )
    stats = Stats()
    seen = np.zeros(0, dtype=np.uint64)  # sorted keys of the hyperwords kept so far
    bar = _progress_bar(options.n, progress)
    stale = 0
    try:
        chunks = _chunks(drawer, concept_names, options.workers, options.n,
                         lambda: options.n - stats.scenes)
        for chunk in chunks:
            if STOP.is_set():
                raise KeyboardInterrupt
            keep, seen = _new_keys(chunk.key, seen, options.n - stats.scenes)
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
                    writers[stage, name].write_table(part)
                    streams[stage, name].write_table(part)
                    stats.add(stage, name, part.column("lang").to_numpy(zero_copy_only=False))
            _tally(stats, chunk, keep_arr, staged)
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
        for w in writers.values():
            w.close()
        for s in streams.values():
            s.close()
        if bar is not None:
            bar.close()
    result = _stats_dict(stats, options, tables)
    # a split too small to get a row is left out: datasets cannot load an empty Parquet file
    for stage in STAGES:
        for split in SPLITS:
            if split not in result["splits"]:
                (tmp / "data" / stage / f"{split}-00000-of-00001.parquet").unlink()
                shutil.rmtree(tmp / "arrow" / stage / split)
    _arrow_metadata(tmp, result)
    (tmp / "stats.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n",
                                    encoding="utf-8")
    return result


def _new_keys(keys: np.ndarray, seen: np.ndarray, room: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of this chunk whose hyperword is new (first occurrence, not seen before), in
    order and at most `room` of them; and the updated sorted array of seen keys."""
    _, first = np.unique(keys, return_index=True)
    first.sort()
    candidates = keys[first]
    at = np.searchsorted(seen, candidates)
    known = (at < len(seen)) & (seen[np.minimum(at, max(len(seen) - 1, 0))] == candidates) \
        if len(seen) else np.zeros(len(candidates), dtype=bool)
    keep = first[~known][:room]
    return keep.astype(np.int64), np.union1d(seen, keys[keep])


def _tally(stats: Stats, chunk, keep: np.ndarray, staged: dict) -> None:
    stats.cross += int(chunk.cross[keep].sum())
    for k, c in zip(*np.unique(chunk.parts[keep], return_counts=True)):
        stats.parts[int(k)] += int(c)
    mn, lg = staged["mnemo"], staged["language"]
    for name, column in (("hyperword", mn.column("hyperword")), ("gloss", mn.column("gloss")),
                         ("sentence", mn.column("sentence")), ("language", lg.column("text"))):
        stats.chars[name] += int(pa.compute.sum(pa.compute.utf8_length(column)).as_py() or 0)


ARROW_FILE = "data-00000-of-00001.arrow"


def arrow_schema() -> pa.Schema:
    """The published schema with the `huggingface` features metadata datasets writes."""
    from datasets import Features

    return Features.from_arrow_schema(SCHEMA).arrow_schema


def _arrow_metadata(tmp: Path, stats: dict) -> None:
    """Make `arrow/<stage>/` what `DatasetDict.save_to_disk` writes, around the Arrow stream
    files the build wrote as it went (saving through datasets would copy every row again).
    The metadata files come from datasets itself, saving an empty dataset of our schema."""
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
            state["_data_files"] = [{"filename": ARROW_FILE}]
            # a fingerprint of the content, so datasets' caches never mix two builds
            state["_fingerprint"] = blake2b(digest + f"{stage}/{split}".encode(),
                                            digest_size=8).hexdigest()
            (dest / "state.json").write_text(json.dumps(state, indent=2, sort_keys=True))
    shutil.rmtree(scratch)


def _stats_dict(stats: Stats, options: BuildOptions, tables: SceneTables) -> dict:
    import datasets
    import polars
    import pymorphy3
    import pythainlp

    n = max(stats.scenes, 1)
    # a split that got no row does not exist in the published dataset
    totals = {
        stage: {split: sum(langs.values()) for split, langs in splits.items() if langs}
        for stage, splits in stats.rows.items()
    }
    by_lang = {stage: {split: langs for split, langs in splits.items() if langs}
               for stage, splits in stats.rows.items()}
    return {
        "corpusgen_version": __version__,
        "stage_order": list(STAGES),
        # workers change nothing in the output, so they are not part of the record
        "options": {**{k: v for k, v in asdict(options).items() if k != "workers"},
                    "langs": list(options.langs), "split": list(options.split)},
        "seed": options.seed,
        # the output languages' names, so readers can word a task without the generator
        "languages": {code: get_language(code).name for code in options.langs},
        "scenes": stats.scenes,
        "rows": totals,
        "splits": [s for s in SPLITS if totals.get("mnemo", {}).get(s, 0) > 0],
        "rows_by_lang": by_lang,
        "cross_lingual_share": round(stats.cross / n, 4),
        "parts_histogram": {str(k): stats.parts[k] for k in sorted(stats.parts)},
        "mean_chars": {k: round(v / n, 2) for k, v in sorted(stats.chars.items())},
        "plans": len(tables.plans),
        "lexicon_sha256": tables_hashes(tables),
        "versions": {
            "python": ".".join(map(str, sys.version_info[:3])),
            "pyarrow": pa.__version__,
            "datasets": datasets.__version__,
            "polars": polars.__version__,
            "pymorphy3": pymorphy3.__version__,
            "pythainlp": pythainlp.__version__,
        },
    }


def tables_hashes(tables: SceneTables) -> dict:
    return dict(sorted(tables.hashes.items()))


def _progress_bar(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="rows", desc="building", file=sys.stderr, leave=False,
                dynamic_ncols=True)
