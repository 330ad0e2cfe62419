"""The evaluation's three tiers of hyperwords, and the ordinary text it measures beside them.

1. `seen` — the test split's hyperwords: new combinations of words the build trained on.
2. `background` — hyperwords fused from words of the background list (the first N words of
   each language's list, N as in training) that the build never contains.
3. `neither` — hyperwords fused from words ranked beyond the list (ranks N..NEITHER_SPAN x N),
   never in the build either: words a tokenizer has seen nowhere.

Tiers 2 and 3 are drawn per language and `mixed` (each word's language drawn at random).
"Never in the build" is strict: a word is excluded when it occurs anywhere in any split's
text, even inside a longer word — so scripts written without spaces need no word splitter.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from mnemophrase.corpusgen.contract import SPLITS, STAGES

from .background import ranked_or_file
from .corpus import TEXT_COLUMNS, hyperword_parts, open_build, read_stage
from .errors import TokenizerError

TIERS = ("seen", "background", "neither")
NEITHER_SPAN = 4


@dataclass
class EvalSets:
    hyperwords: dict[str, list[list[str]]]          # set name -> hyperwords as parts
    text: dict[str, list[str]] = field(default_factory=dict)   # lang -> ordinary sentences
    pools: dict[str, int] = field(default_factory=dict)        # set name -> words available


def set_name(tier: str, group: str) -> str:
    return f"{tier} {group}"


def build_texts(folder: Path) -> tuple[set[str], list[str]]:
    """The build's constituents (lower-cased) and every distinct gloss and sentence of every
    split (lower-cased)."""
    import polars as pl

    constituents: set[str] = set()
    texts: list = []
    for stage in STAGES:
        columns = list(TEXT_COLUMNS[stage]) + (["constituents"] if stage != "language" else [])
        for split in SPLITS:
            frame = read_stage(folder, stage, split, columns)
            if frame is None:
                continue
            if "constituents" in columns:
                constituents.update(p.lower() for parts in hyperword_parts(frame) for p in parts)
            for column in TEXT_COLUMNS[stage]:
                texts.append(frame[column].str.to_lowercase().unique())
    joined = pl.concat(texts).unique().to_list() if texts else []
    return constituents, joined


def occurring(candidates: list[str], constituents: set[str], texts: list[str]) -> set[str]:
    """The candidates that are constituents or occur anywhere in `texts` (Aho-Corasick
    through polars' `extract_many`, so 100k texts and 100k words take seconds)."""
    import polars as pl

    found = set(candidates) & constituents
    rest = sorted(set(candidates) - found)
    if rest and texts:
        hits = pl.Series(texts).str.extract_many(rest, overlapping=True).explode().drop_nulls()
        found.update(hits.unique().to_list())
    return found


def fuse(pools: dict[str, list[str]], langs: list[str], n: int, parts: tuple[int, int],
         rng: random.Random) -> list[list[str]]:
    """n hyperwords of parts[0]..parts[1] words, each word's language drawn from `langs`."""
    out = []
    for _ in range(n):
        k = rng.randint(parts[0], parts[1])
        out.append([rng.choice(pools[rng.choice(langs)]) for _ in range(k)])
    return out


def tier_pools(langs: list[str], size: int, sources: dict[str, str],
               folder: Path) -> dict[str, dict[str, list[str]]]:
    """{"background": {lang: words}, "neither": {lang: words}}, build words removed."""
    constituents, texts = build_texts(folder)
    lists = {code: ranked_or_file(code, size * NEITHER_SPAN, sources.get(code)) for code in langs}
    candidates = [w for words in lists.values() for w in words]
    seen = occurring(candidates, constituents, texts)
    pools: dict[str, dict[str, list[str]]] = {"background": {}, "neither": {}}
    for code, words in lists.items():
        for tier, chosen in (("background", words[:size]), ("neither", words[size:])):
            kept = [w for w in chosen if w not in seen]
            if kept:
                pools[tier][code] = kept
    return pools


def eval_sets(folder: Path, per_set: int = 2000, seed: int = 0, background: int = 10_000,
              sources: dict[str, str] | None = None) -> EvalSets:
    build = open_build(folder)
    options = build.stats.get("options", {})
    parts = (int(options.get("min_parts", 3)), int(options.get("max_parts", 4)))
    test = None
    for split in ("test", "validation"):
        test = read_stage(build.root, "mnemo", split, ["constituents"])
        if test is not None and test.height:
            break
    if test is None or not test.height:
        raise TokenizerError(f"{folder}: the mnemo stage has no test or validation rows")
    sets = EvalSets(hyperwords={"seen": [list(p) for p in hyperword_parts(test)]})
    sets.pools["seen"] = len({w for h in sets.hyperwords["seen"] for w in h})

    langs = list(build.languages)
    rng = random.Random(seed)
    for tier, pools in tier_pools(langs, background, sources or {}, build.root).items():
        for code in pools:
            sets.hyperwords[set_name(tier, code)] = fuse(pools, [code], per_set, parts, rng)
            sets.pools[set_name(tier, code)] = len(pools[code])
        if len(pools) > 1:
            sets.hyperwords[set_name(tier, "mixed")] = fuse(pools, sorted(pools), per_set,
                                                            parts, rng)
            sets.pools[set_name(tier, "mixed")] = sum(len(p) for p in pools.values())

    for split in ("test", "validation"):
        frame = read_stage(build.root, "language", split, ["lang", "sentence"])
        if frame is not None and frame.height:
            for lang in sorted(set(frame["lang"].to_list())):
                sets.text[lang] = frame.filter(frame["lang"] == lang)["sentence"].to_list()
            break
    return sets
