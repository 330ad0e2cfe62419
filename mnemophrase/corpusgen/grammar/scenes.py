"""Scene plans and the grammar tables the generator draws from.

A *plan* is a set of slots (`element`, `feeling`, `quality`, `light`...) that every requested
language can realise both as a gloss and as a sentence; frames in
`mnemophrase/corpusgen/lang/<code>/` decide which plans exist. For each plan and slot we keep the
pool of concepts whose every form the plan's frames ask for exists in every language, so drawing
never meets a gap.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mnemophrase.corpusgen.cache import cached_forms
from mnemophrase.corpusgen.lang import get_language
from mnemophrase.corpusgen.lang.base import Forms, Language
from mnemophrase.corpusgen.lang.frame_language import Variant, compile_frames, role_of, skeleton

if TYPE_CHECKING:  # a worker process unpickles the tables and needs no lexicon loader
    from mnemophrase.corpusgen.lexicon import Lexicon


@dataclass
class LanguageTables:
    language: Language
    forms: Forms
    gloss: list[Variant]
    sentence: list[Variant]
    lemma_lengths: np.ndarray  # len(word) per concept
    skeletons: list[str]  # the distinct skeletons of the gloss variants
    gloss_skeleton: np.ndarray  # gloss variant -> index into `skeletons`

    def __getstate__(self) -> dict:
        # a build's workers realise rows from the drawer's recipes (FramePool), not from the
        # variants: tens of thousands of them would cost each worker seconds to unpickle
        return {**self.__dict__, "gloss": None, "sentence": None}


@dataclass
class Plan:
    slots: tuple[str, ...]  # in hyperword order
    pools: dict[str, np.ndarray]  # slot -> concept indices
    gloss: dict[str, list[int]]  # lang -> indices into that language's gloss variants
    sentence: dict[str, list[int]]

    @property
    def size(self) -> int:
        return len(self.slots)


def distinct_fill(pools: list[list[int]]) -> bool:
    """Whether every slot can hold a concept of its pool with no concept twice (a matching
    of slots to concepts; pools of related roles overlap, so enough concepts in all is not
    enough). Kuhn's augmenting paths, by hand: a plan has a handful of slots, and a graph
    library's import would cost every build's start more than this search."""
    owner: dict[int, int] = {}  # concept -> the slot holding it

    def place(slot: int, tried: set[int]) -> bool:
        for concept in pools[slot]:
            if concept in tried:
                continue
            tried.add(concept)
            if concept not in owner or place(owner[concept], tried):
                owner[concept] = slot
                return True
        return False

    return all(place(slot, set()) for slot in range(len(pools)))


def _needs(variant: Variant) -> frozenset[tuple[str, str, bool]]:
    """{(slot, form, agreeing)} the variant reads."""
    return frozenset((p.slot, p.form, p.head is not None) for p in variant.pieces if p.slot)


def _has_forms(forms: Forms, form: str, agreeing: bool, concepts: np.ndarray) -> np.ndarray:
    table = forms.agreeing.get(form) if agreeing else forms.plain.get(form)
    if table is None:
        return np.zeros(len(concepts), dtype=bool)
    values = table[concepts]
    if agreeing:
        return np.array([all(v is not None for v in row) for row in values], dtype=bool)
    return np.array([v is not None for v in values], dtype=bool)


class SceneTables:
    """Everything the generator needs, computed once from the lexicon."""

    def __init__(self, lexicon: Lexicon, langs: list[str]):
        self.langs = list(langs)
        self.hashes = dict(lexicon.hashes)
        self.concepts = lexicon.concepts["concept"].to_list()
        pos_of = lexicon.concepts["pos"].to_list()
        role_order = {r: i for i, r in enumerate(lexicon.roles["role"].to_list())}
        self.role_pools: dict[str, np.ndarray] = {}
        members: dict[str, list[int]] = defaultdict(list)
        for i, roles in enumerate(lexicon.concepts["roles"].to_list()):
            for role in roles:
                members[role].append(i)
        for role, idx in members.items():
            self.role_pools[role] = np.array(idx, dtype=np.int32)

        self.tables: dict[str, LanguageTables] = {}
        for lang in self.langs:
            language = get_language(lang)
            rows = lexicon.word_rows(lang)
            forms = cached_forms(language, rows, pos_of)
            gloss = compile_frames(language.gloss_frames)
            masked = [skeleton(v) for v in gloss]
            number: dict[str, int] = {}
            for text in masked:
                number.setdefault(text, len(number))
            self.tables[lang] = LanguageTables(
                language=language,
                forms=forms,
                gloss=[language.rewrite(v) for v in gloss],
                sentence=[language.rewrite(v) for v in compile_frames(language.sentence_frames)],
                lemma_lengths=np.array([len(r["word"]) if r else 0 for r in rows],
                                       dtype=np.int32),
                skeletons=list(number),
                gloss_skeleton=np.array([number[text] for text in masked], dtype=np.int32),
            )
        # surfaces of every concept in every language, for gathering hyperword parts
        self.lemmas = np.array(
            [self.tables[lang].forms.plain["lemma"] for lang in self.langs], dtype=object
        )
        self.lemma_lengths = np.stack([self.tables[lang].lemma_lengths for lang in self.langs])
        self.unfillable: list[tuple[str, ...]] = []  # plans too big for the lexicon's concepts
        self.plans = self._plans(role_order)

    def _plans(self, role_order: dict[str, int]) -> list[Plan]:
        by_slots: dict[frozenset, dict] = {}
        for lang, t in self.tables.items():
            for kind in ("gloss", "sentence"):
                for i, v in enumerate(getattr(t, kind)):
                    entry = by_slots.setdefault(v.slots, {"gloss": {}, "sentence": {}})
                    entry[kind].setdefault(lang, []).append(i)
        plans = []
        needs = {(lang, kind): [_needs(v) for v in getattr(t, kind)]
                 for lang, t in self.tables.items() for kind in ("gloss", "sentence")}
        available: dict[tuple, np.ndarray] = {}  # (lang, form, agreeing) -> per concept
        for slots, entry in sorted(by_slots.items(), key=lambda kv: sorted(kv[0])):
            if any(lang not in entry["gloss"] or lang not in entry["sentence"]
                   for lang in self.langs):
                continue
            ordered = tuple(sorted(slots, key=lambda s: (role_order.get(role_of(s), 99), s)))
            pools = self._pools(ordered, entry, needs, available)
            if distinct_fill([pools[slot].tolist() for slot in ordered]):
                plans.append(Plan(ordered, pools, entry["gloss"], entry["sentence"]))
            elif all(len(p) for p in pools.values()):
                self.unfillable.append(ordered)
        return plans

    def _pools(self, ordered: tuple[str, ...], entry: dict, needs: dict,
               available: dict) -> dict[str, np.ndarray]:
        """Per slot of a plan: the concepts of its role with every form the plan's variants
        read, in every language (`available` keeps each form's answer for all concepts)."""
        # a few dozen forms for thousands of variants: their families differ in literals only
        read = {lang: set().union(*(needs[lang, kind][vi] for kind in ("gloss", "sentence")
                                    for vi in entry[kind][lang])) for lang in self.tables}
        pools = {}
        for slot in ordered:
            pool = self.role_pools.get(role_of(slot), np.zeros(0, dtype=np.int32))
            keep = np.ones(len(pool), dtype=bool)
            for lang in self.tables:
                for need_slot, form, agreeing in sorted(read[lang]):
                    if need_slot != slot:
                        continue
                    if (lang, form, agreeing) not in available:
                        available[lang, form, agreeing] = _has_forms(
                            self.tables[lang].forms, form, agreeing,
                            np.arange(len(self.concepts)))
                    keep &= available[lang, form, agreeing][pool]
            pools[slot] = pool[keep]
        return pools

    def plans_by_size(self, min_parts: int, max_parts: int) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for i, p in enumerate(self.plans):
            if min_parts <= p.size <= max_parts:
                out.setdefault(p.size, []).append(i)
        return out

    def capacity(self, min_parts: int, max_parts: int, mix: float) -> int:
        """An upper bound on distinct hyperwords the options allow."""
        n_langs = len(self.langs)
        total = 0
        for i in (i for ids in self.plans_by_size(min_parts, max_parts).values() for i in ids):
            plan = self.plans[i]
            combos = 1
            seen: dict[int, int] = {}
            for slot in plan.slots:
                pool = plan.pools[slot]
                key = role_of(slot)
                combos *= max(len(pool) - seen.get(key, 0), 0)
                seen[key] = seen.get(key, 0) + 1
            k = plan.size
            if mix <= 0 or n_langs == 1:
                assignments = n_langs
            elif mix >= 1:
                assignments = n_langs**k - n_langs
            else:
                assignments = n_langs**k
            total += combos * assignments
        return total
