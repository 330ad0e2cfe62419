"""Drawing scenes and realising them, a whole chunk of rows at a time.

Everything here works on columns: concept numbers, language numbers and frame numbers are
drawn with numpy for the whole chunk; text is assembled in Arrow — pre-inflected forms are
gathered with `take` and joined with Arrow's string kernels — so no Python string is made
per row. A chunk depends only on the seed and its own number, so any number of workers
produce the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mnemophrase.corpusgen.grammar.balance import AnchorSchedule
from mnemophrase.corpusgen.grammar.frame_pool import FramePool
from mnemophrase.corpusgen.grammar.scenes import SceneTables


@dataclass(frozen=True)
class DrawOptions:
    langs: tuple[str, ...]
    min_parts: int = 3
    max_parts: int = 4
    mix: float = 0.5
    seed: int = 0
    glosses: int = 1  # realisations of each scene's gloss, each with another frame variant
    balanced: bool = False  # every scene anchors the word its number names (see balance.py)


@dataclass
class Scenes:
    """A chunk's scenes as drawn, before de-duplication and before any text is made: enough
    to decide which rows a build keeps (the hyperword's key comes without its string)."""

    plan_of: np.ndarray
    size: np.ndarray  # number of constituents
    gloss_lang: np.ndarray
    # the constituents of all rows, flat; row i owns [offsets[i], offsets[i + 1])
    offsets: np.ndarray
    flat_concepts: np.ndarray
    flat_langs: np.ndarray
    cross: np.ndarray
    key: np.ndarray  # uint64 hash of the hyperword (uniqueness and split)
    # (2 + glosses, rows) uniforms: gloss frame, sentence frame, language-stage frame, then
    # one per further gloss
    choice: np.ndarray


@dataclass
class Chunk:
    """Realised scenes: the rows a build keeps, with every text the stages need."""

    hyperword: pa.Array
    key: np.ndarray  # uint64 hash of the hyperword (dedup and split)
    lang: np.ndarray  # gloss language number
    parts: np.ndarray  # number of constituents
    cross: np.ndarray  # bool: cross-lingual
    # the constituents of all rows, flat; row i owns [offsets[i], offsets[i + 1])
    flat_concepts: np.ndarray
    flat_langs: np.ndarray
    flat_surfaces: pa.Array
    flat_start: np.ndarray
    flat_end: np.ndarray
    offsets: np.ndarray
    gloss: pa.Array
    sentence: pa.Array
    plain: pa.Array  # the language stage's sentence
    skeleton: np.ndarray  # the gloss's skeleton, a number into its language's `skeletons`
    # the further glosses of --glosses-per-scene (one array each) and their skeletons
    more_glosses: list[pa.Array]
    more_skeletons: np.ndarray  # (glosses - 1, rows)


_MULT = np.uint64(0x100000001B3)  # FNV prime, as a polynomial base


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads a polynomial sum over all 64 bits."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def hyperword_keys(hyperwords: pa.Array, seed: int) -> np.ndarray:
    """A 64-bit key per hyperword, from its UTF-8 bytes and the seed: equal strings get equal
    keys, and the same inputs give the same keys on any machine and library version (the
    split of a hyperword depends on it). Computed for the whole column at once."""
    offsets = np.frombuffer(hyperwords.buffers()[1], dtype=np.int32)[: len(hyperwords) + 1]
    return _salted(_byte_sums(hyperwords), np.diff(offsets.astype(np.int64)), seed)


def _salted(sums: np.ndarray, lengths: np.ndarray, seed: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        salted = sums + lengths.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        return _mix(salted ^ _mix(np.uint64(seed & 0xFFFFFFFFFFFFFFFF) + np.zeros(1, np.uint64)))


class SurfaceHashes:
    """`hyperword_keys` of a concatenation, from its parts' own sums: the sum of a string's
    bytes times powers of the base composes as sum(a + b) = sum(a) + base**len(a) * sum(b),
    so a drawn hyperword gets its key without its string being made."""

    def __init__(self, surfaces: pa.Array, max_parts: int):
        offsets = np.frombuffer(surfaces.buffers()[1], dtype=np.int32)[: len(surfaces) + 1]
        self.length = np.diff(offsets.astype(np.int64))
        self.sum = _byte_sums(surfaces)
        longest = int(self.length.max(initial=1)) * max_parts + 1
        self.power = np.ones(longest + 1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            self.power[1:] = np.cumprod(np.full(longest, _MULT, dtype=np.uint64))

    def keys(self, flat: np.ndarray, offsets: np.ndarray, seed: int) -> np.ndarray:
        """Keys of the rows whose surfaces (indices into the table) are `flat`, row i owning
        flat[offsets[i]:offsets[i + 1]]."""
        length = self.length[flat]
        ends = np.cumsum(length)
        starts = offsets[:-1]
        row_base = np.repeat(ends[offsets[1:] - 1] - np.add.reduceat(length, starts),
                             np.diff(offsets))
        before = ends - length - row_base  # bytes of the row before this surface
        with np.errstate(over="ignore"):
            sums = np.add.reduceat(self.sum[flat] * self.power[before], starts)
        return _salted(sums, np.add.reduceat(length, starts), seed)


def _byte_sums(arr: pa.Array) -> np.ndarray:
    """Per string: sum of byte[i] * base**(i + 1), modulo 2**64."""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[: len(arr) + 1].astype(np.int64)
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    offsets = offsets - offsets[0]
    lengths = np.diff(offsets)
    position = np.arange(len(data)) - np.repeat(offsets[:-1], lengths)
    powers = np.cumprod(np.full(int(lengths.max(initial=1)) + 1, _MULT, dtype=np.uint64))
    if not len(data):
        return np.zeros(len(arr), np.uint64)
    with np.errstate(over="ignore"):
        sums = np.add.reduceat(data.astype(np.uint64) * powers[position], offsets[:-1])
    sums[lengths == 0] = 0
    return sums


class SceneDrawer:
    def __init__(self, tables: SceneTables, options: DrawOptions):
        self.t = tables
        self.o = options
        self.by_size = tables.plans_by_size(options.min_parts, options.max_parts)
        self.sizes = np.array(sorted(self.by_size), dtype=np.int64)
        self.pools = {lang: FramePool({"gloss": tables.tables[lang].gloss,
                                       "sentence": tables.tables[lang].sentence},
                                      tables.tables[lang].forms) for lang in tables.langs}
        n_concepts = tables.lemmas.shape[1]
        self.lemmas = pa.array(tables.lemmas.reshape(-1), pa.string())  # lang * n + concept
        self.n_concepts = n_concepts
        self.surface_hashes = SurfaceHashes(self.lemmas, options.max_parts)
        self.schedule = self._anchor_slots() if options.balanced else None

    def _anchor_slots(self) -> AnchorSchedule:
        """The schedule of anchor words, and per concept and size the (plan, slot) pairs
        that can hold it with the plan's other slots still fillable by other concepts."""
        by_concept: dict[int, list[list[tuple[int, int]]]] = {}
        for si, k in enumerate(self.sizes):
            for p in self.by_size[int(k)]:
                plan = self.t.plans[p]
                for j, slot in enumerate(plan.slots):
                    pool = plan.pools[slot]
                    others = [plan.pools[s] for s in plan.slots if s != slot]
                    union = np.unique(np.concatenate(others)) if others else pool[:0]
                    # the anchor taken out, every other slot keeps a concept, and enough
                    # distinct ones remain for all of them
                    fits = len(union) - np.isin(pool, union) >= k - 1
                    for other in others:
                        fits &= len(other) - np.isin(pool, other) > 0
                    for c in pool[fits].tolist():
                        by_concept.setdefault(c, [[] for _ in self.sizes])[si].append((p, j))
        concepts = np.array(sorted(by_concept), dtype=np.int64)
        self.anchor_count = np.zeros((self.n_concepts, len(self.sizes)), dtype=np.int64)
        self.anchor_start = np.zeros((self.n_concepts, len(self.sizes)), dtype=np.int64)
        flat: list[tuple[int, int]] = []
        for c in concepts.tolist():
            for si, pairs in enumerate(by_concept[c]):
                self.anchor_start[c, si], self.anchor_count[c, si] = len(flat), len(pairs)
                flat.extend(pairs)
        pairs = np.array(flat, dtype=np.int64).reshape(-1, 2)
        self.anchor_plan, self.anchor_slot = pairs[:, 0], pairs[:, 1]
        return AnchorSchedule(concepts, len(self.t.langs), self.o.seed)

    def _anchored_plans(self, rng, anchors: np.ndarray):
        """Size, plan and anchor slot of each row: a size the anchor's concept fits, drawn
        uniformly, then one of its (plan, slot) pairs of that size."""
        concept = self.schedule.word_concept[anchors]
        count = self.anchor_count[concept]
        fits = count > 0
        pick = (rng.random(len(anchors)) * fits.sum(axis=1)).astype(np.int64)
        size_index = np.argmax(np.cumsum(fits, axis=1) > pick[:, None], axis=1)
        rows = np.arange(len(anchors))
        at = (self.anchor_start[concept, size_index]
              + (rng.random(len(anchors)) * count[rows, size_index]).astype(np.int64))
        return self.sizes[size_index], self.anchor_plan[at], self.anchor_slot[at]

    def draw(self, chunk_index: int, rows: int) -> Chunk:
        """Every scene of one chunk, realised (for trying the generator and for benches)."""
        anchors = (self.schedule.anchors(chunk_index * rows + np.arange(rows))
                   if self.schedule is not None else None)
        scenes = self.draw_scenes((chunk_index,), rows, anchors)
        return self.realise(scenes, np.arange(rows, dtype=np.int64))

    def draw_scenes(self, chunk: tuple[int, ...], rows: int,
                    anchors: np.ndarray | None = None) -> Scenes:
        """The scenes of the chunk named `chunk`: plans, concepts, languages, hyperwords and
        their keys, and the frame choices for realising them later. Only the seed, the
        chunk's name, `rows` and (balanced) each row's anchor word decide them."""
        rng = np.random.default_rng([self.o.seed, *chunk])
        t, n_langs = self.t, len(self.t.langs)
        if self.schedule is not None:
            if anchors is None or len(anchors) != rows:
                raise ValueError("a balanced draw needs one anchor word per row")
            size, plan_of, anchor_slot = self._anchored_plans(rng, anchors)
        else:
            size = self.sizes[rng.integers(len(self.sizes), size=rows)]
            plan_of = np.empty(rows, dtype=np.int64)
            for k in self.sizes:
                at = np.flatnonzero(size == k)
                ids = np.array(self.by_size[int(k)])
                plan_of[at] = ids[rng.integers(len(ids), size=len(at))]
        gloss_lang = rng.integers(n_langs, size=rows)
        mixed = (rng.random(rows) < self.o.mix) if n_langs > 1 else np.zeros(rows, dtype=bool)

        offsets = np.zeros(rows + 1, dtype=np.int64)
        np.cumsum(size, out=offsets[1:])
        flat_c = np.empty(offsets[-1], dtype=np.int32)
        flat_l = np.empty(offsets[-1], dtype=np.int32)
        cross = np.zeros(rows, dtype=bool)
        for p in np.unique(plan_of):
            plan = t.plans[int(p)]
            at = np.flatnonzero(plan_of == p)
            m, k = len(at), plan.size
            cmat = np.stack([plan.pools[s][rng.integers(len(plan.pools[s]), size=m)]
                             for s in plan.slots], axis=1)
            fixed = None
            if self.schedule is not None:
                fixed = anchor_slot[at]
                cmat[np.arange(m), fixed] = self.schedule.word_concept[anchors[at]]
            self._distinct(cmat, plan, rng, fixed)
            lmat = self._slot_langs(rng, m, k, mixed[at], n_langs)
            if fixed is not None:
                # turn the languages round so the anchor slot has the anchor's: a row in one
                # language stays in one, a cross-lingual row stays cross-lingual
                turn = self.schedule.word_lang[anchors[at]] - lmat[np.arange(m), fixed]
                lmat = (lmat + turn[:, None]) % n_langs
            cross[at] = (lmat != lmat[:, :1]).any(axis=1)
            where = offsets[at][:, None] + np.arange(k)
            flat_c[where] = cmat
            flat_l[where] = lmat
        surfaces = flat_l.astype(np.int64) * self.n_concepts + flat_c
        return Scenes(plan_of=plan_of, size=size, gloss_lang=gloss_lang, offsets=offsets,
                      flat_concepts=flat_c, flat_langs=flat_l, cross=cross,
                      key=self.surface_hashes.keys(surfaces, offsets, self.o.seed),
                      choice=self._choices(rng, rows))

    def _choices(self, rng, rows: int) -> np.ndarray:
        # the further glosses' uniforms come after the first three, which stay as they were
        first = rng.random((3, rows))
        if self.o.glosses == 1:
            return first
        return np.concatenate([first, rng.random((self.o.glosses - 1, rows))])

    def fewest_glosses(self) -> int:
        """The fewest gloss variants any drawable plan has in any language: the most
        different glosses every scene can get."""
        return min((len(self.t.plans[i].gloss[lang]) for ids in self.by_size.values()
                    for i in ids for lang in self.t.langs), default=0)

    def realise(self, scenes: Scenes, keep: np.ndarray) -> Chunk:
        """The rows `keep` of `scenes`, in that order, with their glosses and sentences."""
        t, n_langs, m = self.t, len(self.t.langs), len(keep)
        keep = keep.astype(np.int64)
        size = scenes.size[keep]
        offsets = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(size, out=offsets[1:])
        flat = np.repeat(scenes.offsets[keep] - offsets[:-1], size) + np.arange(offsets[-1])
        flat_c, flat_l = scenes.flat_concepts[flat], scenes.flat_langs[flat]
        plan_of, gloss_lang = scenes.plan_of[keep], scenes.gloss_lang[keep]
        choice = scenes.choice[:, keep]

        # per gloss language: the rows realised so far and their texts, in pieces
        done = {li: {"gloss": [], "sentence": [], "plain": []} for li in range(n_langs)}
        glosses = self.o.glosses
        more = [f"gloss{k}" for k in range(1, glosses)]
        for texts in done.values():
            texts.update({name: [] for name in more})
        skeleton = np.zeros((glosses, m), dtype=np.int32)
        for p in np.unique(plan_of):
            plan = t.plans[int(p)]
            at = np.flatnonzero(plan_of == p)
            cmat = flat_c[offsets[at][:, None] + np.arange(plan.size)]
            g_lang = gloss_lang[at]
            for li, lang in enumerate(t.langs):
                sel = np.flatnonzero(g_lang == li)
                if not len(sel):
                    continue
                pool = self.pools[lang]
                g_ids, s_ids = plan.gloss[lang], plan.sentence[lang]
                u = choice[:, at[sel]]
                g_choice = (u[0] * len(g_ids)).astype(np.int64)
                # further glosses: variant k from the k-th of `glosses` equal stretches
                # after the first, so no two of a scene's glosses share a variant
                stretch = len(g_ids) // glosses
                g_picks = [g_choice] + [
                    (g_choice + k * stretch + (u[2 + k] * stretch).astype(np.int64)) % len(g_ids)
                    for k in range(1, glosses)]
                for k, pick in enumerate(g_picks):
                    skeleton[k, at[sel]] = t.tables[lang].gloss_skeleton[np.array(g_ids)[pick]]
                first = (u[1] * len(s_ids)).astype(np.int64)
                # the language stage tells the same scene with another frame where one exists
                other = (first + 1 + (u[2] * max(len(s_ids) - 1, 1)).astype(np.int64)) % len(s_ids)
                concepts = cmat[sel]
                for name, kind, ids, pick in (("gloss", "gloss", g_ids, g_choice),
                                              ("sentence", "sentence", s_ids, first),
                                              ("plain", "sentence", s_ids, other),
                                              *(("gloss" + str(k), "gloss", g_ids, g_picks[k])
                                                for k in range(1, glosses))):
                    recipes = pool.recipes_of(kind, ids, plan.slots)
                    done[li][name].append(
                        (at[sel], pool.positions_of(recipes, pick, concepts)))

        # whole-text touches (euphony, capitals) once per language, then back to kept order
        texts = {}
        for name, is_sentence in (("gloss", False), ("sentence", True), ("plain", True),
                                  *((name, False) for name in more)):
            order, arrays = [], []
            for li, lang in enumerate(t.langs):
                if done[li][name]:
                    order.extend(rows for rows, _ in done[li][name])
                    joined = self.pools[lang].join([b for _, b in done[li][name]])
                    arrays.append(t.tables[lang].language.finish(joined, is_sentence))
            texts[name] = (pa.concat_arrays(arrays).take(_inverse(np.concatenate(order)))
                           if arrays else pa.array([], pa.string()))

        lengths = t.lemma_lengths[flat_l, flat_c]
        ends = np.cumsum(lengths)
        if m:
            row_start = np.repeat(ends[offsets[1:] - 1] - np.add.reduceat(lengths, offsets[:-1]),
                                  size)
        else:
            row_start = np.zeros(0, dtype=np.int64)
        end = (ends - row_start).astype(np.int32)
        surfaces = self.lemmas.take(flat_l.astype(np.int64) * self.n_concepts + flat_c)
        hyper = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)),
                                                        surfaces), "")
        return Chunk(
            hyperword=hyper, key=scenes.key[keep], lang=gloss_lang,
            parts=size, cross=scenes.cross[keep], flat_concepts=flat_c, flat_langs=flat_l,
            flat_surfaces=surfaces,
            flat_start=(end - lengths).astype(np.int32), flat_end=end,
            offsets=offsets.astype(np.int32), gloss=texts["gloss"],
            sentence=texts["sentence"], plain=texts["plain"], skeleton=skeleton[0],
            more_glosses=[texts[name] for name in more], more_skeletons=skeleton[1:],
        )

    def _distinct(self, cmat: np.ndarray, plan, rng, fixed: np.ndarray | None = None) -> None:
        """Redraw slots until no row repeats a concept (pools of related roles overlap);
        a row's `fixed` slot (its anchor) is never redrawn."""
        k = cmat.shape[1]
        for _ in range(100):
            s = np.sort(cmat, axis=1)
            bad = np.flatnonzero((s[:, 1:] == s[:, :-1]).any(axis=1))
            if not len(bad):
                return
            j = rng.integers(k)
            if fixed is not None:
                bad = bad[fixed[bad] != j]
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



def _inverse(order: np.ndarray) -> np.ndarray:
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return back
