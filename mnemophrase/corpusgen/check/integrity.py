"""The integrity pass of `corpusgen check`: the files are the ones the build wrote.

stats.json records the size and sha256 of every other file of the build and the row count of
every split. This pass compares them with what is on disk — cheap next to the content checks
(one read of each file, no parsing) — so a file cut short, edited, swapped or added is named
by its path before anything tries to read it. A file under data/ or arrow/ that stats.json
does not list is a problem too: the card's globs (`data/mnemo/train-*.parquet`) would load it.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow.parquet as pq

from mnemophrase.corpusgen.contract import ARROW_DIR, DATA_DIR, STATS, Build
from mnemophrase.corpusgen.output.records import file_sha256

# the folders whose every file the dataset loaders read
READ_BY_LOADERS = (DATA_DIR, ARROW_DIR)


def _visible(rel: str) -> bool:
    # hidden files (.DS_Store, editor swap files) are ignored by datasets and by the Hub
    return not any(part.startswith(".") for part in rel.split("/"))


def recorded_files(build: Build) -> dict[str, dict] | None:
    """stats.json's {relative path: {"bytes", "sha256"}}, or None for a build that predates
    the record (or whose record is malformed)."""
    files = build.stats.get("files")
    if not isinstance(files, dict):
        return None
    for entry in files.values():
        if not (isinstance(entry, dict) and isinstance(entry.get("bytes"), int)
                and isinstance(entry.get("sha256"), str)):
            return None
    return files


def file_problems(build: Build, advance: Callable[[int], None] = lambda n: None,
                  absent_ok: tuple[str, ...] = ()) -> list[str]:
    """One line per file that is missing, of another size or checksum, or not recorded.
    A build whose stats.json predates the record has nothing to compare: [] (see
    `recorded_files`). `absent_ok`: top-level folders a reader does without when the whole
    folder is absent (a pushed copy has no arrow/); the files of those present are checked."""
    files = recorded_files(build)
    root = build.root
    if files is None:
        return []
    skipped = tuple(f"{top}/" for top in absent_ok if not (root / top).exists())
    problems = []
    for rel, entry in sorted(files.items()):
        path = root / rel
        if skipped and rel.startswith(skipped):
            continue
        if not path.is_file():
            problems.append(f"{path}: missing (stats.json records {entry['bytes']:,} bytes)")
            continue
        size = path.stat().st_size
        if size != entry["bytes"]:
            how = ("cut short or replaced" if size < entry["bytes"]
                   else "longer than written: appended to or replaced")
            problems.append(f"{path}: {size:,} bytes, stats.json records {entry['bytes']:,} "
                            f"({how})")
            advance(entry["bytes"])
            continue
        if file_sha256(path, advance) != entry["sha256"]:
            problems.append(f"{path}: sha256 differs from stats.json (changed since the build)")
    for folder in READ_BY_LOADERS:
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            rel = path.relative_to(root).as_posix()
            if rel not in files and _visible(rel):
                problems.append(f"{path}: not made by this build (stats.json does not list it); "
                                "the loaders would read it")
    return problems


def row_problems(build: Build) -> list[str]:
    """One line per split whose Parquet files hold another number of rows than stats.json
    records, or per Parquet file whose footer cannot be read."""
    problems = []
    recorded = build.rows
    for stage in build.stage_order:
        splits = recorded.get(stage, {})
        on_disk = {p.name.split("-")[0] for p in build.data_files(stage)}
        for split in sorted(set(splits) | on_disk):
            total, readable = 0, True
            for path in build.data_files(stage, split):
                try:
                    total += pq.ParquetFile(path).metadata.num_rows
                except Exception as exc:  # noqa: BLE001 - pyarrow raises several types
                    problems.append(f"{path}: not a readable Parquet file "
                                    f"({_first_line(exc)})")
                    readable = False
            expected = splits.get(split)
            if not readable:
                continue
            if expected is None:
                problems.append(f"{build.root / DATA_DIR / stage}: split {split!r} is not in "
                                f"{STATS}")
            elif total != expected:
                problems.append(f"{build.root / DATA_DIR / stage}/{split}: {total:,} rows, "
                                f"stats.json records {expected:,}")
    return problems


# verdicts of `damage` in this process, keyed on what the files look like (see _look)
_VERDICTS: dict[tuple, list[str]] = {}


def _look(build: Build) -> tuple:
    """The build's files as a stat sees them: any write, truncation or swap changes a size
    or an mtime, so an unchanged look means an unchanged verdict."""
    seen = []
    for path in [build.root / STATS, *sorted(
            p for folder in READ_BY_LOADERS if (build.root / folder).is_dir()
            for p in (build.root / folder).rglob("*"))]:
        try:
            st = path.stat()
        except OSError:
            continue
        seen.append((path.as_posix(), st.st_size, st.st_mtime_ns, st.st_ino))
    for rel in sorted(recorded_files(build) or {}):
        try:
            st = (build.root / rel).stat()
        except OSError:
            seen.append((rel, -1, 0, 0))
            continue
        seen.append((rel, st.st_size, st.st_mtime_ns, st.st_ino))
    return (str(build.root.resolve()), tuple(seen))


def damage(build: Build, absent_ok: tuple[str, ...] = ()) -> str | None:
    """The quick check (`file_problems`) as one line for a command about to make something
    from the build (train a tokenizer, push, train on it), or None when the files are as the
    build wrote them. Damage must stop such a command: what it made would carry it on, and a
    re-recorded checksum would hide it from `corpusgen check`. The verdict is kept for the
    life of the process while no file's size or mtime changes (a training reads a build
    once per stage)."""
    key = (_look(build), absent_ok)
    if key not in _VERDICTS:
        _VERDICTS[key] = file_problems(build, absent_ok=absent_ok)
    problems = _VERDICTS[key]
    if not problems:
        return None
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return (f"{problems[0]}{more}; the build is damaged: run `corpusgen check --quick "
            f"{build.root}`, then build it again")


def total_bytes(build: Build) -> int:
    files = recorded_files(build) or {}
    return sum(entry["bytes"] for entry in files.values())


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
