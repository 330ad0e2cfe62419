"""What a build counts as it writes, and the stats.json record made from the counts."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from importlib import metadata

import numpy as np
import pyarrow as pa

from corpusgen import __version__
from corpusgen.contract import SPLITS, STAGES
from corpusgen.grammar.scenes import SceneTables
from corpusgen.lang import get_language, language_versions


@dataclass
class Stats:
    """Counts of one shard, or of a whole build once the shards' counts are added up. Every
    scene gives one row to each stage, in the same split, so rows are counted per scene."""

    rows: dict = field(default_factory=dict)  # split -> lang -> count
    cross: int = 0
    parts: Counter = field(default_factory=Counter)
    chars: Counter = field(default_factory=Counter)  # column -> total characters
    scenes: int = 0

    def count(self, chunk, split: np.ndarray, langs: list[str], staged: dict) -> None:
        """Add a realised chunk whose rows went to `split` (numbers into SPLITS)."""
        for s, name in enumerate(SPLITS):
            counts = np.bincount(chunk.lang[split == s], minlength=len(langs))
            per = self.rows.setdefault(name, {})
            for lang, c in zip(langs, counts.tolist()):
                per[lang] = per.get(lang, 0) + c
        self.cross += int(chunk.cross.sum())
        for k, c in zip(*np.unique(chunk.parts, return_counts=True)):
            self.parts[int(k)] += int(c)
        mn, lg = staged["mnemo"], staged["language"]
        for name, column in (("hyperword", mn.column("hyperword")), ("gloss", mn.column("gloss")),
                             ("sentence", mn.column("sentence")), ("language", lg.column("text"))):
            self.chars[name] += int(pa.compute.sum(pa.compute.utf8_length(column)).as_py() or 0)
        self.scenes += len(chunk.key)

    def merge(self, other: Stats) -> None:
        for split, per in other.rows.items():
            mine = self.rows.setdefault(split, {})
            for lang, c in per.items():
                mine[lang] = mine.get(lang, 0) + c
        self.cross += other.cross
        self.parts.update(other.parts)
        self.chars.update(other.chars)
        self.scenes += other.scenes


def stats_record(stats: Stats, options, tables: SceneTables) -> dict:
    import polars

    # datasets' version from its metadata: importing it takes 0.6 s, and a build has no
    # other use for it once its schema's metadata is cached (corpusgen.output.hf_arrow)
    versions = {"python": ".".join(map(str, sys.version_info[:3])), "pyarrow": pa.__version__,
                "datasets": metadata.version("datasets"), "polars": polars.__version__,
                **language_versions(options.langs)}
    n = max(stats.scenes, 1)
    # a split that got no row does not exist in the published dataset, nor a language count
    # of none
    per_split = {split: {lang: c for lang, c in stats.rows.get(split, {}).items() if c}
                 for split in SPLITS}
    per_split = {split: langs for split, langs in per_split.items() if langs}
    totals = {stage: {split: sum(langs.values()) for split, langs in per_split.items()}
              for stage in STAGES}
    by_lang = {stage: {split: dict(langs) for split, langs in per_split.items()}
               for stage in STAGES}
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
        "versions": versions,
    }


def tables_hashes(tables: SceneTables) -> dict:
    return dict(sorted(tables.hashes.items()))
