"""`corpusgen build`: plan the shards, settle which scenes are kept, write every shard, and
publish the folder in one step.

The steps, each run by an engine (this process, a local process pool, or Ray):

1. every shard draws its scenes' keys (no text yet) and cuts them into key ranges;
2. each key range finds its repeats across all shards, in draw order;
3. shards that lost scenes to repeats draw top-up chunks, checked here range by range;
4. every shard realises and writes exactly its kept scenes, with ids numbered from its
   first scene, into provisional part files;
5. the parts get their Hub names, the Arrow metadata, stats.json (with each file's size and
   sha256), the card — and the folder is swapped into place.

Memory stays flat in `--n`: shards stream chunk by chunk and no process holds every key.
"""

from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pyarrow as pa

from mnemophrase.corpusgen.build.engine import Engine
from mnemophrase.corpusgen.build.engine_local import LocalEngine
from mnemophrase.corpusgen.build.interrupt import STOP
from mnemophrase.corpusgen.build.language_data import (
    LanguageDataError,
    LanguageSource,
    StagedTexts,
    stage_texts,
)
from mnemophrase.corpusgen.build.options import BuildError, BuildOptions, check_options
from mnemophrase.corpusgen.build.progress import Progress
from mnemophrase.corpusgen.build.shard_tasks import (
    BuildContext,
    Interrupted,
    ShardResult,
    ShardWork,
    topup_keys,
)
from mnemophrase.corpusgen.build.shards import ShardPlan, bucket_of, shard_count
from mnemophrase.corpusgen.build.stats import Stats, stats_record
from mnemophrase.corpusgen.build.uniqueness import fresh_in_round
from mnemophrase.corpusgen.contract import (
    ARROW_DIR,
    DATA_DIR,
    SPLITS,
    STAGES,
    read_stats,
    write_stats,
)
from mnemophrase.corpusgen.grammar.balance import AnchorSchedule
from mnemophrase.corpusgen.grammar.draw import SceneDrawer
from mnemophrase.corpusgen.grammar.scenes import SceneTables
from mnemophrase.corpusgen.lexicon import Lexicon, lexicon_subset
from mnemophrase.corpusgen.output import kinds
from mnemophrase.corpusgen.output.build_files import BuildFiles
from mnemophrase.corpusgen.output.card import import_card_library, write_card
from mnemophrase.corpusgen.output.folder import Output
from mnemophrase.corpusgen.output.hf_arrow import arrow_schema, write_arrow_metadata
from mnemophrase.corpusgen.output.url import UrlOutput, is_url
from mnemophrase.corpusgen.output.writers import part_paths

__all__ = ["STOP", "BuildError", "BuildOptions", "build"]

# a top-up round that finds almost nothing new, twenty times in a row, means the options
# cannot make --n distinct hyperwords
STALE_ROUNDS = 20


def build(lexicon: Lexicon, options: BuildOptions, out: Path | str | Output | UrlOutput,
          overwrite: bool = False, progress: bool = True, tables: SceneTables | None = None,
          finishers: tuple = (), engine: Engine | None = None) -> dict:
    """Build the dataset into `out` (a path, an fsspec URL given as a str, or an `Output` /
    `UrlOutput` the caller has claimed already); returns the stats written to stats.json.

    Each of `finishers` is called with the finished (still temporary) folder before the card
    is written and the folder is put in place — e.g. tokenizer training, which adds
    `tokenizer/` — so a failure there leaves nothing behind. What a finisher returns (a dict,
    e.g. {"tokenizer": settings}) goes into stats.json, which is written once, at the end.
    `engine` runs the tasks (default: a local pool of `options.workers` processes).
    """
    check_options(options)
    if options.language_data is not None and engine is not None \
            and not isinstance(engine, LocalEngine):
        raise BuildError("--language-data needs --engine local: its texts are staged on this "
                         "machine")
    claimed = isinstance(out, (Output, UrlOutput))
    claim = out if claimed else (UrlOutput(out, overwrite) if is_url(out)
                                 else Output(out, overwrite))
    if finishers and isinstance(claim, UrlOutput):
        raise BuildError("a build into a URL cannot train a tokenizer as it finishes: build "
                         "into a folder, or train it afterwards")
    with nullcontext(claim) if claimed else claim as output:
        if STOP.is_set():
            raise KeyboardInterrupt
        engine = engine or LocalEngine(options.workers)
        try:
            # the local workers start now, to import their libraries while the tables are made
            engine.prepare(shard_count(options.n, options.shard_scenes))
            if tables is None:
                # the pools, the plans and the card all see only the chosen concepts
                chosen = (lexicon_subset(lexicon, options.concepts) if options.concepts
                          else lexicon)
                tables = SceneTables(chosen, list(options.langs))
            drawer = SceneDrawer(tables, options.draw())
            if not drawer.by_size:
                vocabulary = (f" with these {len(options.concepts)} --concepts"
                              if options.concepts else "")
                raise BuildError(
                    f"no scene plan has {options.min_parts}..{options.max_parts} parts in all "
                    f"of {','.join(options.langs)}{vocabulary}"
                    + _too_few_concepts(tables, options))
            fewest = drawer.fewest_glosses()
            if options.glosses_per_scene > fewest:
                raise BuildError(
                    f"--glosses-per-scene {options.glosses_per_scene}: some scene plan has only "
                    f"{fewest} different glosses in one of {','.join(options.langs)}")
            capacity = tables.capacity(options.min_parts, options.max_parts, options.mix)
            if options.n > capacity:
                raise BuildError(
                    f"--n {options.n:,} is more than these options can make unique: at most "
                    f"{capacity:,} hyperwords")
            if drawer.schedule is not None:
                check_coverage(drawer, options)
            written = _write(tables, drawer, options, output.files, output.tmp / ".scratch",
                             progress, engine)
        finally:  # the workers end here, before any finisher runs
            engine.close()
        settings = {}
        for finish in finishers:
            settings.update(finish(output.tmp) or {})
        if STOP.is_set():
            raise KeyboardInterrupt
        stats = _seal(output.files, written, settings)
        output.publish()
    return stats


def check_coverage(drawer: SceneDrawer, options: BuildOptions) -> None:
    """BuildError unless balanced coverage can give every word --min-occurrences: each
    concept fits a scene plan, and --n has that many scenes per word."""
    schedule, tables = drawer.schedule, drawer.t
    placed = set(schedule.word_concept.tolist())
    left = [tables.concepts[c] for c in range(len(tables.concepts)) if c not in placed]
    if left:
        shown = ", ".join(left[:10]) + (f" and {len(left) - 10} more" if len(left) > 10 else "")
        raise BuildError(
            f"--min-occurrences: {len(left)} concepts fit no scene plan of "
            f"{options.min_parts}..{options.max_parts} parts in {','.join(options.langs)} "
            f"(choose --concepts without them): {shown}")
    need = options.min_occurrences * schedule.words
    if options.n < need:
        raise BuildError(
            f"--min-occurrences {options.min_occurrences} needs --n of at least {need:,} "
            f"({schedule.words:,} words: {len(placed):,} concepts in "
            f"{len(options.langs)} languages); asked {options.n:,}")


def _language_texts(options: BuildOptions, folder: Path) -> StagedTexts | None:
    """--language-data's texts, one per scene, staged into `folder` (None without it)."""
    if options.language_data is None:
        return None
    source = LanguageSource(options.language_data, options.language_config,
                            options.language_split)
    try:
        return stage_texts(source, options.langs, options.n, folder / "language-texts.arrow")
    except LanguageDataError as exc:
        raise BuildError(str(exc)) from None


def _write(tables: SceneTables, drawer: SceneDrawer, options: BuildOptions, files: BuildFiles,
           scratch: Path, progress: bool, engine: Engine) -> dict:
    """Steps 1-4 into `files` (the output's LocalFiles or UrlFiles), then the files named
    and the first stats.json; returns the shards' sizes and checksums as the writers saw
    them."""
    plan = ShardPlan.for_build(options.n, options.shard_scenes)
    staging = tempfile.TemporaryDirectory(prefix="corpusgen-language-")
    try:
        texts = _language_texts(options, Path(staging.name))
        return _write_with(tables, drawer, options, files, scratch, progress, engine, plan,
                           texts)
    finally:
        staging.cleanup()


def _write_with(tables, drawer, options, files, scratch, progress, engine, plan,
                texts: StagedTexts | None) -> dict:
    context = BuildContext(drawer, pa.array(tables.concepts, pa.string()), options, plan,
                           texts.path if texts else None)
    files.make_folders()
    bar = Progress(options.n, progress)
    # no bar, no reports: on Ray the reports need a queue actor, seconds to start
    advance = bar.advance if bar.enabled else None
    # slow imports, made in a thread: datasets for the Arrow streams' schema while the keys
    # are drawn (only until the cache holds the schema, see mnemophrase.corpusgen.output.hf_arrow),
    # then the card's library while the shards are written, so that the build's end does not wait
    importer = ThreadPoolExecutor(1)
    try:
        engine.start(context, scratch)
        schema = importer.submit(arrow_schema)
        bar.step("checking uniqueness")
        engine.keys(plan.count, STOP.is_set, advance)
        per_bucket = engine.repeats(plan.count, plan.buckets, STOP.is_set)
        works = [ShardWork(s, np.sort(np.concatenate([b[s] for b in per_bucket])))
                 for s in range(plan.count)]
        _top_up(works, plan, engine, drawer.schedule)
        bar.step("writing")
        streamed = schema.result()
        importer.submit(import_card_library)
        results = engine.write(works, files.shard_root, streamed, STOP.is_set, advance)
    except Interrupted:
        raise KeyboardInterrupt from None
    finally:
        importer.shutdown()
        bar.close()
    shutil.rmtree(scratch, ignore_errors=True)
    total = Stats()
    for result in results:
        total.merge(result.stats)
    guaranteed = (drawer.schedule.guaranteed(options.n) if drawer.schedule is not None
                  else None)
    record = stats_record(total, options, tables, guaranteed)
    if texts is not None:
        record["language_data"] = {"source": options.language_data,
                                   "config": options.language_config,
                                   "split": options.language_split, "license": texts.license}
    written, arrow_files = _name_shards(files, results)
    write_arrow_metadata(files.small, record, arrow_files)
    write_stats(files.small, record)
    return written


def _top_up(works: list[ShardWork], plan: ShardPlan, engine: Engine,
            schedule: AnchorSchedule | None = None) -> None:
    """Give every shard that lost scenes to repeats as many new ones from top-up chunks,
    round by round, checking the candidates against the kept keys one bucket at a time.

    In a balanced build (`schedule`) each lost scene's anchor word is drawn again: the
    round's candidates take the missing anchors in turn, and each missing anchor takes its
    first new candidate, so every word keeps exactly its scheduled scenes."""
    short = {w.shard: len(w.repeats) for w in works if len(w.repeats)}
    missing = ({w.shard: schedule.anchors(plan.first(w.shard) + w.repeats) for w in works
                if len(w.repeats)} if schedule is not None else {})
    accepted = [np.zeros(0, np.uint64) for _ in range(plan.buckets)]
    round_, stale = 0, 0
    while short:
        if STOP.is_set():
            raise Interrupted
        round_ += 1
        shards = sorted(short)
        sizes = [max(1024, 2 * short[s]) for s in shards]
        anchors = [missing[s][np.arange(rows) % short[s]] if missing else None
                   for s, rows in zip(shards, sizes)]
        candidates = [topup_keys(s, round_, rows, a)
                      for s, rows, a in zip(shards, sizes, anchors)]
        known = [np.zeros(len(c), dtype=bool) for c in candidates]
        for b in range(plan.buckets):
            kept = engine.bucket_keys(b)
            for c, k in zip(candidates, known):
                mine = np.flatnonzero(bucket_of(c, plan.buckets) == b)
                k[mine] = _among(c[mine], kept) | _among(c[mine], accepted[b])
        got = 0
        new_keys = []
        for s, rows, c, a, fresh in zip(shards, sizes, candidates, anchors,
                                        fresh_in_round(candidates, known)):
            if a is None:
                take = fresh[:short[s]]
            else:  # the first new candidate of each missing anchor
                filled, first = np.unique(fresh % short[s], return_index=True)
                take = np.sort(fresh[first])
                missing[s] = np.delete(missing[s], filled)
            works[s].topups.append((round_, rows, take, a))
            new_keys.append(c[take])
            short[s] -= len(take)
            got += len(take)
            if not short[s]:
                del short[s]
        new = np.concatenate(new_keys)
        where = bucket_of(new, plan.buckets)
        for b in range(plan.buckets):
            accepted[b] = np.union1d(accepted[b], new[where == b])
        stale = stale + 1 if got < max(sum(sizes) // 1000, 1) else 0
        if stale >= STALE_ROUNDS:
            made = plan.n - sum(short.values())
            raise BuildError(
                f"could make only {made:,} unique hyperwords with these options, fewer than "
                f"--n {plan.n:,}")


def _among(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    if not len(sorted_keys):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    return sorted_keys[at] == values


def _name_shards(folder: BuildFiles, results: list[ShardResult]):
    """Give the part files their Hub names, numbering per split only the shards that got
    rows of it (datasets cannot load an empty Parquet file; a split with no row at all is
    left out). Returns {relative path: (bytes, sha256)} and each split's Arrow file names."""
    files: dict[str, tuple[int, str]] = {}
    arrow_files: dict[tuple[str, str], list[str]] = {}
    for split in SPLITS:
        having = [r for r in results if r.rows[split]]
        for stage in STAGES:
            names = []
            for r in results:
                parts = part_paths(Path(), r.shard)  # relative to the build's root
                if not r.rows[split]:
                    for kind in kinds.KINDS:
                        folder.remove(parts[kind.name, stage, split].as_posix())
                    continue
                index = having.index(r)
                for kind in kinds.KINDS:
                    final = kind.final(stage, split, index, len(having))
                    folder.rename(parts[kind.name, stage, split].as_posix(), final)
                    files[final] = r.files[kind.name, stage, split]
                # the Arrow metadata lists its split's files
                names.append(Path(kinds.KIND["arrow"].final(stage, split, index, len(having))).name)
            if not having:
                folder.remove_dir(f"{ARROW_DIR}/{stage}/{split}")
            arrow_files[stage, split] = names
    return files, arrow_files


def _too_few_concepts(tables: SceneTables, options: BuildOptions) -> str:
    """Why plans of the asked sizes are missing, when it is the lexicon's size."""
    short = [slots for slots in tables.unfillable
             if options.min_parts <= len(slots) <= options.max_parts]
    if not short:
        return ""
    return (f": the lexicon has too few concepts to fill {len(short)} plan(s) with distinct "
            f"ones (e.g. slots {', '.join(short[0])}); add concepts of those roles or ask "
            "for fewer parts (--max-parts)")


def _seal(files: BuildFiles, written: dict[str, tuple[int, str]], settings: dict) -> dict:
    """The card, then stats.json with the finishers' settings and the size and sha256 of
    every other file of the build (the shards' as their writers saw them; the rest read
    back, all small)."""
    stats = {**read_stats(files.small), **settings}
    first_train: dict[str, str] = {}  # stage -> its first train shard, for the card
    for rel in sorted(written):
        if rel.startswith(f"{DATA_DIR}/") and Path(rel).name.startswith("train-"):
            first_train.setdefault(Path(rel).parts[1], rel)
    write_card(files.small, stats, shard=lambda stage: (
        files.open(first_train[stage]) if stage in first_train else None))
    stats["files"] = files.record(written)
    write_stats(files.small, stats)
    return stats
