"""`corpusgen lang check CODE`: what a language's frames ask of its grammar and lexicon.

A frame variant that reads a form the grammar does not make, or that no concept of the
slot's role has, can never be realised; and a set of slots (a *plan*) that a language can say
as a gloss but not as a sentence, or not at all, is dropped from every build that includes
the language, for all its languages. The generator does this silently, so a new frame or a
new language is best audited here first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from mnemophrase.corpusgen.lang import available_languages, get_language
from mnemophrase.corpusgen.lang.base import Forms
from mnemophrase.corpusgen.lang.frame_language import Variant, compile_frames, role_of
from mnemophrase.corpusgen.lexicon import Lexicon


@dataclass
class Audit:
    code: str
    concepts: int = 0  # concepts of the lexicon
    covered: int = 0  # of which the language has a word for
    variants: int = 0  # gloss and sentence variants compiled
    plans: int = 0  # slot sets the language says both as a gloss and as a sentence
    problems: list[str] = field(default_factory=list)


def _frame_texts(language) -> dict[str, tuple[str, ...]]:
    return {"gloss": tuple(language.gloss_frames), "sentence": tuple(language.sentence_frames)}


def _has_form(forms: Forms, form: str, agreeing: bool, concepts: np.ndarray) -> np.ndarray:
    table = forms.agreeing.get(form) if agreeing else forms.plain.get(form)
    if table is None or not len(concepts):
        return np.zeros(len(concepts), dtype=bool)
    values = table[concepts]
    if agreeing:
        return np.array([all(v is not None for v in row) for row in values], dtype=bool)
    return np.array([v is not None for v in values], dtype=bool)


def _variant_problems(kind: str, frames: tuple[str, ...], variant: Variant, forms: Forms,
                      pools: dict[str, np.ndarray]) -> list[str]:
    where = f"{kind} frame {variant.frame + 1} {frames[variant.frame]!r}"
    problems = []
    for piece in variant.pieces:
        if piece.slot is None:
            continue
        slot = f"{{{piece.slot}{'>' + piece.head if piece.head else ''}.{piece.form}}}"
        table = forms.agreeing if piece.head else forms.plain
        if piece.form not in table:
            kind_of = "agreeing" if piece.head else "plain"
            problems.append(f"{where}: {slot} asks for the {kind_of} form {piece.form!r}, "
                            "which the grammar does not make")
            continue
        pool = pools.get(role_of(piece.slot), np.zeros(0, dtype=np.int64))
        if not _has_form(forms, piece.form, piece.head is not None, pool).any():
            problems.append(f"{where}: {slot}: no {role_of(piece.slot)!r} concept has the "
                            f"form {piece.form!r}")
    return problems


def audit_language(code: str, lexicon: Lexicon) -> Audit:
    """Every frame variant of `code` that cannot be realised, and every plan it loses."""
    from mnemophrase.corpusgen.cache import cached_forms

    language = get_language(code)
    rows = lexicon.word_rows(code)
    audit = Audit(code, concepts=len(rows), covered=sum(r is not None for r in rows))
    forms = cached_forms(language, rows, lexicon.concepts["pos"].to_list())
    pools: dict[str, list[int]] = defaultdict(list)
    for i, roles in enumerate(lexicon.concepts["roles"].to_list()):
        for role in roles:
            pools[role].append(i)
    arrays = {role: np.array(idx, dtype=np.int64) for role, idx in pools.items()}
    slot_sets: dict[str, set[frozenset[str]]] = {"gloss": set(), "sentence": set()}
    for kind, frames in _frame_texts(language).items():
        seen: set[str] = set()
        for variant in compile_frames(frames):
            audit.variants += 1
            found = _variant_problems(kind, frames, variant, forms, arrays)
            if found:
                audit.problems += [p for p in found if p not in seen]
                seen.update(found)
            else:
                slot_sets[kind].add(variant.slots)
    both = slot_sets["gloss"] & slot_sets["sentence"]
    audit.plans = len(both)
    for kind, other in (("gloss", "sentence"), ("sentence", "gloss")):
        for slots in sorted(slot_sets[kind] - both, key=sorted):
            audit.problems.append(f"plan {'+'.join(sorted(slots))} has a {kind} but no "
                                  f"{other}: it is dropped from every build with {code}")
    audit.problems += _plans_others_have(code, both)
    return audit


def _plans_others_have(code: str, plans: set[frozenset[str]]) -> list[str]:
    """Plans that every other language writes frames for but `code` does not: a build with
    `code` loses them (a frame-level view; forms are not consulted for the others)."""
    others = [c for c in available_languages() if c != code]
    if not others:
        return []
    common: set[frozenset[str]] | None = None
    for other in others:
        texts = _frame_texts(get_language(other))
        gloss = {v.slots for v in compile_frames(texts["gloss"])}
        sentence = {v.slots for v in compile_frames(texts["sentence"])}
        common = (gloss & sentence) if common is None else common & gloss & sentence
    return [f"plan {'+'.join(sorted(slots))}: every other language ({', '.join(others)}) "
            f"has frames for it, {code} has none, so builds with {code} lose it"
            for slots in sorted((common or set()) - plans, key=sorted)]
