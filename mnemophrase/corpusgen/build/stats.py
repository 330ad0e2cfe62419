"""What a build counts as it writes, and the stats.json record made from the counts."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from importlib import metadata

import numpy as np
import pyarrow as pa

from mnemophrase.corpusgen import __version__
from mnemophrase.corpusgen.contract import SPLITS, STAGES
from mnemophrase.corpusgen.grammar.scenes import SceneTables
from mnemophrase.corpusgen.lang import get_language, language_versions


@dataclass
class Stats:
    """Counts of one shard, or of a whole build once the shards' counts are added up. Every
    scene gives one row to each stage, in the same split, so rows are counted per scene."""

    rows: dict = field(default_factory=dict)  # split -> lang -> count
    cross: int = 0
    parts: Counter = field(default_factory=Counter)
    chars: Counter = field(default_factory=Counter)  # column -> total characters
    scenes: int = 0
    # mnemo rows per word (concept * languages + language), of every split and of train
    occurrences: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    train_occurrences: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    skeletons: dict = field(default_factory=dict)  # lang -> Counter of gloss skeleton numbers
    # split -> lang -> language-stage rows (ordinary text has languages of its own)
    language_rows: dict = field(default_factory=dict)

    def count(self, chunk, split: np.ndarray, langs: list[str], staged: dict) -> None:
        """Add a realised chunk whose rows went to `split` (numbers into SPLITS)."""
        for s, name in enumerate(SPLITS):
            counts = np.bincount(chunk.lang[split == s], minlength=len(langs))
            per = self.rows.setdefault(name, {})
            for lang, c in zip(langs, counts.tolist()):
                per[lang] = per.get(lang, 0) + c
        self.cross += int(chunk.cross.sum())
        bounds = np.searchsorted(split, np.arange(len(SPLITS) + 1))
        language = staged["language"].column("lang")
        for s, name in enumerate(SPLITS):
            counts = pa.compute.value_counts(language.slice(bounds[s], bounds[s + 1] - bounds[s]))
            per = self.language_rows.setdefault(name, {})
            for entry in counts.to_pylist():
                per[entry["values"]] = per.get(entry["values"], 0) + entry["counts"]
        skeletons = np.vstack([chunk.skeleton[None, :], chunk.more_skeletons])
        for li, lang in enumerate(langs):
            numbers, counts = np.unique(skeletons[:, chunk.lang == li], return_counts=True)
            self.skeletons.setdefault(lang, Counter()).update(
                dict(zip(numbers.tolist(), counts.tolist())))
        for k, c in zip(*np.unique(chunk.parts, return_counts=True)):
            self.parts[int(k)] += int(c)
        # per scene: the first gloss stands for the scene's (further glosses are like it)
        lg = staged["language"]
        for name, column in (("hyperword", chunk.hyperword), ("gloss", chunk.gloss),
                             ("sentence", chunk.sentence), ("language", lg.column("text"))):
            self.chars[name] += int(pa.compute.sum(pa.compute.utf8_length(column)).as_py() or 0)
        self.scenes += len(chunk.key)
        word = chunk.flat_concepts.astype(np.int64) * len(langs) + chunk.flat_langs
        train = np.repeat(split == 0, chunk.parts)
        glosses = len(skeletons)  # mnemo rows a scene gives (--glosses-per-scene)
        self.occurrences = _added(self.occurrences, glosses * np.bincount(word))
        self.train_occurrences = _added(self.train_occurrences,
                                        glosses * np.bincount(word[train]))

    def merge(self, other: Stats) -> None:
        for split, per in other.rows.items():
            mine = self.rows.setdefault(split, {})
            for lang, c in per.items():
                mine[lang] = mine.get(lang, 0) + c
        self.cross += other.cross
        self.parts.update(other.parts)
        self.chars.update(other.chars)
        self.scenes += other.scenes
        self.occurrences = _added(self.occurrences, other.occurrences)
        self.train_occurrences = _added(self.train_occurrences, other.train_occurrences)
        for split, per in other.language_rows.items():
            mine = self.language_rows.setdefault(split, {})
            for lang, c in per.items():
                mine[lang] = mine.get(lang, 0) + c
        for lang, counts in other.skeletons.items():
            self.skeletons.setdefault(lang, Counter()).update(counts)


def skeleton_figures(stats: Stats, tables: SceneTables) -> dict:
    """Per language: how many distinct gloss skeletons the build's rows use, and the
    commonest one with its share of the language's rows — how many ways the corpus says a
    scene, and how much one way dominates."""
    out = {}
    for lang in tables.langs:
        counts = stats.skeletons.get(lang, Counter())
        total = sum(counts.values())
        if not total:
            continue
        top, top_rows = counts.most_common(1)[0]
        out[lang] = {"distinct": len(counts), "top_share": round(top_rows / total, 4),
                     "top": tables.tables[lang].skeletons[top]}
    return out


def _added(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.zeros(max(len(a), len(b)), dtype=np.int64)
    out[:len(a)] += a
    out[:len(b)] += b
    return out


def spread(counts: np.ndarray) -> dict:
    """min, median, mean and max of `counts` (one per word), and how many are 0: the
    experiment's exposure summary, so the two read alike."""
    if not len(counts):
        return {"words": 0}
    return {"words": len(counts), "min": int(counts.min()),
            "median": float(np.median(counts)), "mean": round(float(counts.mean()), 2),
            "max": int(counts.max()), "never": int((counts == 0).sum())}


def exposure_record(stats: Stats, options, tables: SceneTables, guaranteed: int | None) -> dict:
    """Occurrences in the mnemo stage of every word the lexicon gives (a concept in one
    language), over all splits and over train; and per language pair, for each concept
    both languages have, the lesser of its two words' counts (a concept occurs at most
    once in a hyperword, so its two words never meet in one row)."""
    langs = list(options.langs)
    n_langs, n_concepts = len(langs), len(tables.concepts)
    has = tables.lemma_lengths.T > 0  # concept x language
    def per_word(counts):
        full = np.zeros(n_concepts * n_langs, dtype=np.int64)
        full[:len(counts)] = counts[:len(full)]
        return full.reshape(n_concepts, n_langs)
    every, train = per_word(stats.occurrences), per_word(stats.train_occurrences)
    pairs = {}
    for a in range(n_langs):
        for b in range(a + 1, n_langs):
            both = has[:, a] & has[:, b]
            pairs[f"{langs[a]}-{langs[b]}"] = spread(
                np.minimum(every[both, a], every[both, b]))
    return {"concepts": n_concepts, "balanced": guaranteed is not None,
            "guaranteed_min": guaranteed,
            "mnemo": spread(every[has]), "mnemo_train": spread(train[has]),
            "pairs": pairs}


def stats_record(stats: Stats, options, tables: SceneTables,
                 guaranteed: int | None = None) -> dict:
    import polars

    # datasets' version from its metadata: importing it takes 0.6 s, and a build has no
    # other use for it once its schema's metadata is cached (mnemophrase.corpusgen.output.hf_arrow)
    versions = {"python": ".".join(map(str, sys.version_info[:3])), "pyarrow": pa.__version__,
                "datasets": metadata.version("datasets"), "polars": polars.__version__,
                **language_versions(options.langs)}
    n = max(stats.scenes, 1)
    # a split that got no row does not exist in the published dataset, nor a language count
    # of none
    per_split = {split: {lang: c for lang, c in stats.rows.get(split, {}).items() if c}
                 for split in SPLITS}
    per_split = {split: langs for split, langs in per_split.items() if langs}
    # rows a scene gives each stage: one, but --glosses-per-scene mnemo rows
    per_scene = {stage: options.glosses_per_scene if stage == "mnemo" else 1
                 for stage in STAGES}
    totals = {stage: {split: sum(langs.values()) * per_scene[stage]
                      for split, langs in per_split.items()} for stage in STAGES}
    by_lang = {stage: {split: {lang: c * per_scene[stage] for lang, c in langs.items()}
                       for split, langs in per_split.items()} for stage in STAGES}
    by_lang["language"] = {split: {lang: stats.language_rows.get(split, {}).get(lang, 0)
                                   for lang in options.langs
                                   if stats.language_rows.get(split, {}).get(lang, 0)}
                           for split in per_split}
    return {
        "corpusgen_version": __version__,
        "stage_order": list(STAGES),
        # workers change nothing in the output, so they are not part of the record
        "options": _options_record(options),
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
        "gloss_skeletons": skeleton_figures(stats, tables),
        "lexicon_sha256": tables_hashes(tables),
        "versions": versions,
        **({"exposure": exposure_record(stats, options, tables, guaranteed)}
           if options.concepts is not None or options.min_occurrences is not None else {}),
    }


def _options_record(options) -> dict:
    # workers change nothing in the output, so they are not part of the record; the
    # vocabulary options only when given, so a build without them records what it always did
    record = {k: v for k, v in asdict(options).items()
              if k != "workers" and not (k in OPTIONAL and v is None)}
    record.update(langs=list(options.langs), split=list(options.split))
    if options.concepts is not None:
        record["concepts"] = list(options.concepts)
    return record


OPTIONAL = ("concepts", "min_occurrences")


def tables_hashes(tables: SceneTables) -> dict:
    return dict(sorted(tables.hashes.items()))
