"""Drawing scenes and realising them, a whole chunk of rows at a time.

Everything here works on columns: concept numbers, language numbers and frame numbers are
drawn with numpy for the whole chunk, and text is assembled by gathering pre-inflected forms
and adding object arrays — no per-row Python in the hot path. A chunk depends only on the
seed and its own number, so any number of workers produce the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import blake2b

import numpy as np
import pyarrow as pa

from corpusgen.frames import Variant
from corpusgen.scenes import SceneTables

CHUNK_ROWS = 20_000
STAGES = ("mnemo", "bridge", "language")
SPLITS = ("train", "validation", "test")

CONSTITUENT = pa.struct(
    [("concept", pa.string()), ("lang", pa.string()), ("surface", pa.string()),
     ("start", pa.int32()), ("end", pa.int32())]
)
MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])
SCHEMA = pa.schema(
    [
        ("id", pa.string()), ("stage", pa.string()), ("lang", pa.string()),
        ("hyperword", pa.string()), ("constituents", pa.list_(CONSTITUENT)),
        ("gloss", pa.string()), ("sentence", pa.string()),
        ("prompt", pa.string()), ("completion", pa.string()),
        ("messages", pa.list_(MESSAGE)), ("text", pa.string()),
    ]
)


@dataclass(frozen=True)
class DrawOptions:
    langs: tuple[str, ...]
    min_parts: int = 3
    max_parts: int = 4
    mix: float = 0.5
    seed: int = 0


@dataclass
class Chunk:
    """Scenes of one chunk, in draw order (before de-duplication)."""

    hyperword: np.ndarray  # object
    key: np.ndarray  # uint64 hash of the hyperword (dedup and split)
    lang: np.ndarray  # gloss language number
    parts: np.ndarray  # number of constituents
    cross: np.ndarray  # bool: cross-lingual
    concepts: list[np.ndarray]  # per row: concept numbers (ragged, stored as flat + offsets)
    flat_concepts: np.ndarray
    flat_langs: np.ndarray
    flat_surfaces: np.ndarray
    flat_start: np.ndarray
    flat_end: np.ndarray
    offsets: np.ndarray
    gloss: np.ndarray
    sentence: np.ndarray
    plain: np.ndarray  # the language stage's sentence


def hyperword_keys(hyperwords: np.ndarray, seed: int) -> np.ndarray:
    salt = seed.to_bytes(8, "little", signed=True)
    return np.fromiter(
        (int.from_bytes(blake2b(h.encode(), digest_size=8, salt=salt).digest(), "little")
         for h in hyperwords),
        dtype=np.uint64, count=len(hyperwords),
    )


def _realise(variant: Variant, forms, concepts: dict[str, np.ndarray], m: int) -> np.ndarray:
    out = np.full(m, "", dtype=object)
    for piece in variant.pieces:
        if piece.slot is None:
            out = out + piece.text
        elif piece.head is None:
            out = out + forms.plain[piece.form][concepts[piece.slot]]
        else:
            heads = forms.agree_class[concepts[piece.head]]
            out = out + forms.agreeing[piece.form][concepts[piece.slot], heads]
    return out


class SceneDrawer:
    def __init__(self, tables: SceneTables, options: DrawOptions):
        self.t = tables
        self.o = options
        self.by_size = tables.plans_by_size(options.min_parts, options.max_parts)
        self.sizes = np.array(sorted(self.by_size), dtype=np.int64)

    def draw(self, chunk_index: int, rows: int = CHUNK_ROWS) -> Chunk:
        rng = np.random.default_rng([self.o.seed, chunk_index])
        t, n_langs = self.t, len(self.t.langs)
        size = self.sizes[rng.integers(len(self.sizes), size=rows)]
        plan_of = np.empty(rows, dtype=np.int64)
        for k in self.sizes:
            at = np.flatnonzero(size == k)
            ids = np.array(self.by_size[int(k)])
            plan_of[at] = ids[rng.integers(len(ids), size=len(at))]
        gloss_lang = rng.integers(n_langs, size=rows)
        mixed = (rng.random(rows) < self.o.mix) if n_langs > 1 else np.zeros(rows, dtype=bool)

        hyper = np.empty(rows, dtype=object)
        gloss = np.empty(rows, dtype=object)
        sentence = np.empty(rows, dtype=object)
        plain = np.empty(rows, dtype=object)
        part_concepts = np.empty(rows, dtype=object)
        part_langs = np.empty(rows, dtype=object)
        cross = np.zeros(rows, dtype=bool)

        for p in np.unique(plan_of):
            plan = t.plans[int(p)]
            at = np.flatnonzero(plan_of == p)
            m, k = len(at), plan.size
            cmat = np.stack([plan.pools[s][rng.integers(len(plan.pools[s]), size=m)]
                             for s in plan.slots], axis=1)
            self._distinct(cmat, plan, rng)
            lmat = self._slot_langs(rng, m, k, mixed[at], n_langs)
            cross[at] = (lmat != lmat[:, :1]).any(axis=1)
            surfaces = t.lemmas[lmat, cmat]
            hw = surfaces[:, 0].copy()
            for j in range(1, k):
                hw = hw + surfaces[:, j]
            hyper[at] = hw
            part_concepts[at] = list(cmat)
            part_langs[at] = list(lmat)
            slots = {s: cmat[:, j] for j, s in enumerate(plan.slots)}
            g_lang = gloss_lang[at]
            for li, lang in enumerate(t.langs):
                sel = np.flatnonzero(g_lang == li)
                if not len(sel):
                    continue
                tab = t.tables[lang]
                sub = {s: c[sel] for s, c in slots.items()}
                gloss[at[sel]] = self._fill(rng, tab, tab.gloss, plan.gloss[lang], sub, False)
                s_ids = plan.sentence[lang]
                first = rng.integers(len(s_ids), size=len(sel))
                # the language stage tells the same scene with another frame where one exists
                other = (first + 1 + rng.integers(max(len(s_ids) - 1, 1), size=len(sel))) % len(s_ids)
                sentence[at[sel]] = self._fill_ids(tab, tab.sentence, s_ids, first, sub, True)
                plain[at[sel]] = self._fill_ids(tab, tab.sentence, s_ids, other, sub, True)

        return self._assemble(hyper, gloss_lang, size, cross, part_concepts, part_langs,
                              gloss, sentence, plain)

    def _distinct(self, cmat: np.ndarray, plan, rng) -> None:
        """Redraw slots until no row repeats a concept (pools of related roles overlap)."""
        k = cmat.shape[1]
        for _ in range(100):
            s = np.sort(cmat, axis=1)
            bad = np.flatnonzero((s[:, 1:] == s[:, :-1]).any(axis=1))
            if not len(bad):
                return
            j = rng.integers(k)
            pool = plan.pools[plan.slots[j]]
            cmat[bad, j] = pool[rng.integers(len(pool), size=len(bad))]
        raise RuntimeError("could not draw distinct concepts for a plan")

    @staticmethod
    def _slot_langs(rng, m: int, k: int, mixed: np.ndarray, n_langs: int) -> np.ndarray:
        one = rng.integers(n_langs, size=m)
        lmat = np.repeat(one[:, None], k, axis=1)
        if n_langs > 1:
            free = rng.integers(n_langs, size=(m, k))
            lmat[mixed] = free[mixed]
            # a cross-lingual hyperword needs two languages: move one slot off the first's
            same = mixed & (lmat == lmat[:, :1]).all(axis=1)
            rows = np.flatnonzero(same)
            slot = rng.integers(1, k, size=len(rows))
            shift = 1 + rng.integers(n_langs - 1, size=len(rows))
            lmat[rows, slot] = (lmat[rows, 0] + shift) % n_langs
        return lmat

    def _fill(self, rng, tab, variants, ids, sub, sentence: bool):
        choice = rng.integers(len(ids), size=len(next(iter(sub.values()))))
        return self._fill_ids(tab, variants, ids, choice, sub, sentence)

    @staticmethod
    def _fill_ids(tab, variants, ids, choice, sub, sentence: bool):
        m = len(choice)
        out = np.empty(m, dtype=object)
        for c in np.unique(choice):
            rows = np.flatnonzero(choice == c)
            part = {s: v[rows] for s, v in sub.items()}
            out[rows] = _realise(variants[ids[int(c)]], tab.forms, part, len(rows))
        return tab.language.finish(out, sentence)

    def _assemble(self, hyper, gloss_lang, size, cross, part_concepts, part_langs,
                  gloss, sentence, plain) -> Chunk:
        t = self.t
        offsets = np.zeros(len(size) + 1, dtype=np.int32)
        np.cumsum(size, out=offsets[1:])
        flat_c = np.concatenate(part_concepts).astype(np.int32)
        flat_l = np.concatenate(part_langs).astype(np.int32)
        lengths = t.lemma_lengths[flat_l, flat_c]
        ends = np.cumsum(lengths)
        row_start = np.repeat(np.concatenate([[0], ends[offsets[1:-1] - 1]]), size)
        end = (ends - row_start).astype(np.int32)
        start = (end - lengths).astype(np.int32)
        return Chunk(
            hyperword=hyper, key=hyperword_keys(hyper, self.o.seed), lang=gloss_lang,
            parts=size, cross=cross, concepts=[], flat_concepts=flat_c, flat_langs=flat_l,
            flat_surfaces=t.lemmas[flat_l, flat_c], flat_start=start, flat_end=end,
            offsets=offsets, gloss=gloss, sentence=sentence, plain=plain,
        )


def render(tables: SceneTables, lang: str, frame: str, slots: dict[str, str],
           sentence: bool = False) -> str:
    """One frame realised for named concepts — for trying frames out and for tests:
    render(t, "ru", "у {element.gent}", {"element": "water"}) == "у воды"."""
    from corpusgen.frames import compile_frames

    index = {c: i for i, c in enumerate(tables.concepts)}
    variants = [v for v in compile_frames([frame]) if v.slots == set(slots)]
    if not variants:
        raise ValueError(f"no variant of {frame!r} uses exactly the slots {sorted(slots)}")
    tab = tables.tables[lang]
    concepts = {s: np.array([index[c]]) for s, c in slots.items()}
    text = _realise(variants[0], tab.forms, concepts, 1)
    return tab.language.finish(text, sentence)[0]
