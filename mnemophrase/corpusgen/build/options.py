"""What a build is asked to make: the options, their checks, and the defaults that depend on
them (the output folder's name) or on the machine (the workers)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mnemophrase.corpusgen.build.shards import SHARD_SCENES
from mnemophrase.corpusgen.errors import CorpusgenError

if TYPE_CHECKING:
    from mnemophrase.corpusgen.grammar.draw import DrawOptions

SEED_LIMIT = 2**64  # the keys mix the seed in as one 64-bit word
# Parquet codecs a build writes: snappy, as `datasets` writes Parquet (and what most Hub
# datasets hold), or zstd, about 40 % smaller files for about 1.9x the Parquet writing time
PARQUET_COMPRESSIONS = ("snappy", "zstd")
GLOSSES_LIMIT = 16  # --glosses-per-scene: more phrasings of one scene than frames vary in


class BuildError(CorpusgenError):
    """A problem the user can fix; the message is one line."""


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
    # scenes per shard: the bytes depend on it (the shards are drawn apart), not on workers
    shard_scenes: int = SHARD_SCENES
    parquet_compression: str = "snappy"
    # the concept ids drawn from (mnemophrase.corpusgen.build.vocabulary), None: the whole lexicon
    concepts: tuple[str, ...] | None = None
    # balanced coverage: every word occurs at least this often in the mnemo stage
    min_occurrences: int | None = None
    # mnemo rows per scene, each a different gloss of the same hyperword
    glosses_per_scene: int = 1
    # the language stage from ordinary text (mnemophrase.corpusgen.build.language_data): a local
    # file or a Hub dataset id, with the dataset's configuration and split
    language_data: str | None = None
    language_config: str | None = None
    language_split: str = "train"

    def draw(self) -> DrawOptions:
        from mnemophrase.corpusgen.grammar.draw import (
            DrawOptions,  # the grammar's libraries: a slow import
        )

        return DrawOptions(self.langs, self.min_parts, self.max_parts, self.mix, self.seed,
                           self.glosses_per_scene, balanced=self.min_occurrences is not None)


def check_options(options: BuildOptions) -> None:
    """Raise BuildError, in one line naming the option, for a value no build can use."""
    if not options.langs:
        raise BuildError("--langs: give at least one language code")
    if options.n < 1:
        raise BuildError(f"--n: {options.n} is below 1")
    for name, value in (("--min-parts", options.min_parts), ("--max-parts", options.max_parts)):
        if not 2 <= value <= 6:
            raise BuildError(f"{name}: {value} is outside 2..6")
    if options.min_parts > options.max_parts:
        raise BuildError(f"--min-parts {options.min_parts} is above --max-parts "
                         f"{options.max_parts}")
    if not 0.0 <= options.mix <= 1.0:
        raise BuildError(f"--mix: {options.mix} is outside 0..1")
    if not 0 <= options.seed < SEED_LIMIT:
        raise BuildError(f"--seed: {options.seed} is outside 0..{SEED_LIMIT - 1}")
    _check_counts(options)
    if options.parquet_compression not in PARQUET_COMPRESSIONS:
        raise BuildError(f"--parquet-compression: {options.parquet_compression!r} is not one "
                         f"of {', '.join(PARQUET_COMPRESSIONS)}")
    check_vocabulary(options)
    if len(options.split) != 3 or min(options.split) < 0 or abs(sum(options.split) - 1) > 1e-9:
        raise BuildError(f"split shares {options.split} are not three shares summing to 1")


def check_vocabulary(options: BuildOptions) -> None:
    """The vocabulary options' own checks (what they need of the lexicon is checked once the
    scene tables exist, in mnemophrase.corpusgen.build.run)."""
    if options.concepts is not None and not options.concepts:
        raise BuildError("--concepts: the choice names no concept")
    if options.min_occurrences is not None and options.min_occurrences < 1:
        raise BuildError(f"--min-occurrences: {options.min_occurrences} is below 1")


def _check_counts(options: BuildOptions) -> None:
    if not 1 <= options.glosses_per_scene <= GLOSSES_LIMIT:
        raise BuildError(f"--glosses-per-scene: {options.glosses_per_scene} is outside "
                         f"1..{GLOSSES_LIMIT}")
    if options.workers < 1:
        raise BuildError(f"--workers: {options.workers} is below 1")
    if options.shard_scenes < 1:
        raise BuildError(f"--shard-scenes: {options.shard_scenes} is below 1")


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def default_out_name(options: BuildOptions) -> str:
    """A folder name that says what the build is: mnemo-ru-en-th-100k (plus the seed when it
    is not 0)."""
    n = options.n
    for unit, size in (("m", 1_000_000), ("k", 1_000)):
        if n >= size and n % size == 0:
            count = f"{n // size}{unit}"
            break
    else:
        count = str(n)
    name = f"mnemo-{'-'.join(options.langs)}-{count}"
    return name if options.seed == 0 else f"{name}-seed{options.seed}"
