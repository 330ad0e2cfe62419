"""What a build counts as it writes, and the stats.json record made from the counts."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np
import pyarrow as pa

from corpusgen import __version__
from corpusgen.contract import SPLITS, STAGES
from corpusgen.lang import get_language
from corpusgen.scenes import SceneTables


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


def tally(stats: Stats, chunk, keep: np.ndarray, staged: dict) -> None:
    stats.cross += int(chunk.cross[keep].sum())
    for k, c in zip(*np.unique(chunk.parts[keep], return_counts=True)):
        stats.parts[int(k)] += int(c)
    mn, lg = staged["mnemo"], staged["language"]
    for name, column in (("hyperword", mn.column("hyperword")), ("gloss", mn.column("gloss")),
                         ("sentence", mn.column("sentence")), ("language", lg.column("text"))):
        stats.chars[name] += int(pa.compute.sum(pa.compute.utf8_length(column)).as_py() or 0)


def stats_record(stats: Stats, options, tables: SceneTables) -> dict:
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
