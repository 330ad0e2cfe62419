"""The offline half of a push: check the build the way the Hub will read it and list the
files to send. Reads DIR only and never touches the network."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mnemophrase.corpusgen.contract import CARD, DATA_DIR, STATS, TOKENIZER_DIR, Build, BuildInvalid
from mnemophrase.corpusgen.errors import PushError
from mnemophrase.corpusgen.push.text import one_line


@dataclass(frozen=True)
class PushFile:
    path_in_repo: str
    local_path: Path
    size: int


@dataclass(frozen=True)
class PushPlan:
    """What would go: the validated build, before any network call."""

    build_dir: Path
    files: tuple[PushFile, ...]
    not_sent: tuple[str, ...]  # top-level entries of DIR that stay local (arrow/, stray files)
    stats: dict

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def stages(self) -> list[str]:
        return list(self.stats["stage_order"])


def plan_push(build_dir: Path | str) -> PushPlan:
    """Validate DIR as the Hub will read it and list the files to send. Reads only; never
    touches the network. Raises PushError("invalid", ...) with the first problem found."""
    root = Path(build_dir)
    if not root.is_dir():
        raise _invalid(root, "no such folder")
    card_path = root / CARD
    if not card_path.is_file():
        raise _invalid(root, f"no {CARD} dataset card")
    try:
        build = Build.open(root)
    except BuildInvalid as exc:
        raise _invalid(root, str(exc)) from None
    stats = build.stats
    _refuse_damage(build)
    config_names = _card_config_names(root, card_path)
    if config_names != list(stats["stage_order"]):
        raise _invalid(root, f"the card's configs ({', '.join(config_names)}) differ from "
                             f"stats.json stage_order ({', '.join(stats['stage_order'])})")

    claimed = _load_every_stage(root, config_names, stats)
    on_disk = {rel for rel in _visible_files(root, DATA_DIR)}
    unclaimed = sorted(on_disk - claimed)
    if unclaimed:
        raise _invalid(root, f"{unclaimed[0]} is not named by any config in the card"
                             + (f" (and {len(unclaimed) - 1} more)" if len(unclaimed) > 1 else ""))
    outside = sorted(p for p in claimed if not p.startswith(f"{DATA_DIR}/"))
    if outside:
        raise _invalid(root, f"the card names {outside[0]}, outside {DATA_DIR}/; only "
                             f"{DATA_DIR}/ is published")

    tokenizer = sorted(_visible_files(root, TOKENIZER_DIR))
    if stats.get("tokenizer") and not tokenizer:
        raise _invalid(root, "stats.json records a tokenizer but tokenizer/ is missing or empty")

    paths = [CARD, STATS, *sorted(claimed), *tokenizer]
    files = tuple(PushFile(p, root / p, (root / p).stat().st_size) for p in paths)
    sent_top = {CARD, STATS, DATA_DIR, TOKENIZER_DIR}
    not_sent = tuple(sorted(
        p.name + ("/" if p.is_dir() else "") for p in root.iterdir()
        if p.name not in sent_top and not p.name.startswith(".")
    ))
    return PushPlan(root, files, not_sent, stats)


def _refuse_damage(build: Build) -> None:
    # before anything is loaded: a bit-flipped shard may still load, and must not be published
    from mnemophrase.corpusgen.check.integrity import damage

    problem = damage(build)
    if problem:
        raise _invalid(build.root, problem)


def _invalid(root: Path, why: str) -> PushError:
    return PushError("invalid", f"{root} is not a pushable build: {why}")


def _card_config_names(root: Path, card_path: Path) -> list[str]:
    # Parse the card with huggingface_hub, the same code the Hub's tooling uses, so a card that
    # it cannot read fails here rather than after the upload.
    from huggingface_hub import DatasetCard

    try:
        data = DatasetCard.load(card_path).data.to_dict()
    except Exception as exc:  # noqa: BLE001 - YAML errors come as several exception types
        raise _invalid(root, f"README.md card cannot be read ({one_line(str(exc))})") from None
    configs = data.get("configs") or []
    names = [c.get("config_name") for c in configs if isinstance(c, dict)]
    if not names or None in names:
        raise _invalid(root, "README.md card has no `configs:` naming the stages")
    if not data.get("license"):
        raise _invalid(root, "README.md card has no license")
    return names


def _load_every_stage(root: Path, stages: list[str], stats: dict) -> set[str]:
    """Load each stage exactly as `load_dataset(DIR, stage)` does and return the files (relative
    to DIR) the card's configs resolve to. A fresh cache folder per push: datasets caches by
    path, so a rebuilt DIR would otherwise be "loaded" from the previous build's Arrow cache
    and the check would pass on data that no longer exists."""
    import datasets

    claimed: set[str] = set()
    with _quiet_datasets(), tempfile.TemporaryDirectory(prefix="corpusgen-push-") as cache:
        for stage in stages:
            try:
                builder = datasets.load_dataset_builder(str(root), stage, cache_dir=cache)
                resolved = {split: list(files) for split, files in
                            (builder.config.data_files or {}).items()}
                loaded = datasets.load_dataset(str(root), stage, cache_dir=cache)
            except Exception as exc:  # noqa: BLE001 - datasets raises many types for a broken layout
                raise _invalid(root, f"stage {stage!r} does not load with load_dataset "
                                     f"({_root_cause(exc)})"
                                     + _empty_split_hint(stats, stage)) from None
            expected = stats["rows"].get(stage, {})
            got = {split: loaded[split].num_rows for split in loaded}
            if got != expected:
                raise _invalid(root, f"stage {stage!r} loads {_counts(got)} rows but stats.json "
                                     f"records {_counts(expected)}")
            for files in resolved.values():
                for f in files:
                    rel = _relative(root, f)
                    if rel is None:
                        raise _invalid(root, f"stage {stage!r} resolves to {f}, outside the build")
                    claimed.add(rel)
    return claimed


def _root_cause(exc: BaseException) -> str:
    # datasets wraps the reader's error in DatasetGenerationError("An error occurred ..."); the
    # innermost exception is the one that says what is wrong with which file.
    seen = {id(exc)}
    while (inner := exc.__cause__ or exc.__context__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        exc = inner
    return f"{type(exc).__name__}: {one_line(str(exc))[:300]}"


def _empty_split_hint(stats: dict, stage: str) -> str:
    # datasets 5.x cannot read a Parquet file with no rows, so a build small enough to leave a
    # split empty can be neither loaded nor served by the Hub.
    empty = [split for split, n in stats["rows"].get(stage, {}).items() if n == 0]
    if not empty:
        return ""
    return (f"; its {', '.join(empty)} split has no rows, which datasets cannot load: build "
            "with a larger --n")


def _counts(d: dict) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in d.items()) or "none"


def _relative(root: Path, file: str) -> str | None:
    try:
        return Path(file).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _visible_files(root: Path, folder: str) -> list[str]:
    # Hidden files (.DS_Store, editor swap files) are neither checked nor sent, as datasets
    # itself ignores them when resolving data files.
    base = root / folder
    if not base.is_dir():
        return []
    out = []
    for p in base.rglob("*"):
        rel = p.relative_to(root)
        if p.is_file() and not any(part.startswith(".") for part in rel.parts):
            out.append(rel.as_posix())
    return out


@contextmanager
def _quiet_datasets() -> Iterator[None]:
    # load_dataset draws progress bars and logs "Generating train split"; a validation step
    # should print nothing. Restore what the caller had, a notebook user may want them back.
    import datasets
    from datasets.utils import logging as ds_logging

    bars_were_off = datasets.are_progress_bars_disabled()
    verbosity = ds_logging.get_verbosity()
    datasets.disable_progress_bars()
    # Errors too: a broken file is reported by us, in one line, with what it means.
    ds_logging.set_verbosity(ds_logging.CRITICAL)
    try:
        yield
    finally:
        ds_logging.set_verbosity(verbosity)
        if not bars_were_off:
            datasets.enable_progress_bars()
