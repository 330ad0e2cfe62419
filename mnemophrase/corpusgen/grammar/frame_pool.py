"""Frame variants realised for many rows with two Arrow calls.

Every string a language's frames can produce — the literal pieces of every variant, every
plain form, every agreeing form — sits in one pool. A row's text is a list of positions in
that pool, computed with numpy per variant; the lists of all rows are then gathered with one
`take` and joined with one `binary_join`. (Arrow has no template kernel; realising variant
by variant costs one Arrow call per piece and variant, hundreds per chunk.) The rows of one
plan, whatever variant each uses, get their positions in one numpy pass (`Recipes`): a
language has thousands of variants, and a pass per variant would cost more than the text.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mnemophrase.corpusgen.lang.frame_language import Variant


class FramePool:
    """The strings of one language's variants (`kinds`: name -> variant list) and forms, and
    each variant's recipe as rows of numpy arrays (`Recipes`), which a build sends to every
    worker: arrays pickle in a blink, tens of thousands of small tuples do not."""

    def __init__(self, kinds: dict[str, list[Variant]], forms):
        literals: dict[str, int] = {"": 0}  # "" pads a short variant to a block's width
        for variants in kinds.values():
            for variant in variants:
                for piece in variant.pieces:
                    if piece.slot is None:
                        literals.setdefault(piece.text, len(literals))
        arrays = [pa.array(list(literals), pa.string())]
        base, at = {}, len(literals)
        for name, values in forms.plain.items():
            base["plain", name] = at
            arrays.append(pa.array(values, pa.string()))
            at += len(values)
        self.classes = {}
        for name, values in forms.agreeing.items():
            base["agreeing", name] = at
            self.classes[name] = values.shape[1]
            arrays.append(pa.array(values.reshape(-1), pa.string()))
            at += values.size
        self.pool = pa.concat_arrays(arrays)
        self.agree_class = forms.agree_class.astype(np.int64) if forms.agree_class is not None \
            else np.zeros(0, dtype=np.int64)
        # slot names as numbers; a literal reads slot -1
        self.slot_names: dict[str, int] = {}
        for variants in kinds.values():
            for variant in variants:
                for slot in sorted(variant.slots):
                    self.slot_names.setdefault(slot, len(self.slot_names))
        self.recipes = {kind: Recipes.of(variants, literals, base, self.classes,
                                         self.slot_names)
                        for kind, variants in kinds.items()}
        self._recipes: dict[tuple, Recipes] = {}

    def positions(self, kind: str, variant: int, slots: dict[str, np.ndarray],
                  rows: int | None = None) -> np.ndarray:
        """(rows, pieces) pool positions of the variant's text for rows whose slots hold the
        concepts `slots` (slot -> concept numbers; `rows` counts them when there is none)."""
        m = rows if rows is not None else len(next(iter(slots.values())))
        names = tuple(slots)
        concepts = np.stack([slots[s] for s in names], axis=1) if names \
            else np.zeros((m, 0), dtype=np.int64)
        return self.positions_of(self.recipes_of(kind, [variant], names),
                                 np.zeros(m, dtype=np.int64), concepts)

    def recipes_of(self, kind: str, variants: list[int], slots: tuple[str, ...]) -> Recipes:
        """The recipes of `variants` (numbers into `kind`), as wide as the longest of them,
        reading concept matrices whose columns are `slots`; made once per plan and kept."""
        key = (kind, tuple(variants), slots)
        if key not in self._recipes:
            self._recipes[key] = self.recipes[kind].select(np.array(variants, dtype=np.int64),
                                                           slots, self.slot_names)
        return self._recipes[key]

    def positions_of(self, recipes: Recipes, choice: np.ndarray,
                     concepts: np.ndarray) -> np.ndarray:
        """(rows, width) pool positions of each row's text: row r realises variant
        `choice[r]` of `recipes` with the concepts `concepts[r]` (one column per slot)."""
        rows = np.arange(len(choice))[:, None]
        column, head = recipes.column[choice], recipes.head[choice]
        positions = recipes.start[choice] + np.where(
            column >= 0, concepts[rows, np.maximum(column, 0)] * recipes.scale[choice], 0)
        return positions + np.where(
            head >= 0, self.agree_class[concepts[rows, np.maximum(head, 0)]], 0)

    def join(self, blocks: list[np.ndarray]) -> pa.Array:
        """The texts of the rows of `blocks` (from `positions`), in block order."""
        counts = np.concatenate([np.full(len(b), b.shape[1], dtype=np.int64) for b in blocks])
        offsets = np.zeros(len(counts) + 1, dtype=np.int32)
        np.cumsum(counts, out=offsets[1:])
        flat = np.concatenate([b.reshape(-1) for b in blocks])
        pieces = self.pool.take(pa.array(flat))
        return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), pieces), "")


class Recipes:
    """Variants' recipes as (variant, piece) arrays, padded with the empty literal: where
    each piece starts in the pool, which concept column it reads (-1: a literal), how far
    one concept moves it (the agreement classes of its form), and which column's agreement
    class it adds (-1: none). `of` numbers slots by name; `select` renumbers them as the
    columns of one plan's concept matrix."""

    def __init__(self, start, column, head, scale, length):
        self.start, self.column, self.head, self.scale = start, column, head, scale
        self.length = length  # pieces per variant, before padding

    @classmethod
    def of(cls, variants: list[Variant], literals: dict[str, int], base: dict,
           classes: dict[str, int], slot_names: dict[str, int]) -> Recipes:
        width = max((len(v.pieces) for v in variants), default=0)
        shape = (len(variants), width)
        start = np.zeros(shape, dtype=np.int64)
        column = np.full(shape, -1, dtype=np.int64)
        head = np.full(shape, -1, dtype=np.int64)
        scale = np.zeros(shape, dtype=np.int64)
        for v, variant in enumerate(variants):
            for j, p in enumerate(variant.pieces):
                if p.slot is None:
                    start[v, j] = literals[p.text]
                    continue
                # a form no concept has (a lexicon cut to a few concepts may lack a part of
                # speech): no plan's pool can fill the slot, so this variant is never realised
                start[v, j] = base.get(("plain" if p.head is None else "agreeing", p.form), 0)
                column[v, j] = slot_names[p.slot]
                scale[v, j] = 1 if p.head is None else classes.get(p.form, 1)
                if p.head is not None:
                    head[v, j] = slot_names[p.head]
        length = np.array([len(v.pieces) for v in variants], dtype=np.int64)
        return cls(start, column, head, scale, length)

    def select(self, rows: np.ndarray, slots: tuple[str, ...],
               slot_names: dict[str, int]) -> Recipes:
        width = int(self.length[rows].max(initial=0))
        # slot number -> column of `slots`; the last entry answers for -1 (a literal)
        columns = np.full(len(slot_names) + 1, -1, dtype=np.int64)
        for j, slot in enumerate(slots):
            columns[slot_names[slot]] = j
        return Recipes(self.start[rows, :width], columns[self.column[rows, :width]],
                       columns[self.head[rows, :width]], self.scale[rows, :width],
                       self.length[rows])


def render(tables, lang: str, frame: str, slots: dict[str, str], sentence: bool = False) -> str:
    """One frame realised for named concepts of `tables` (a SceneTables), for trying frames
    out and for tests: `render(t, code, "{element.<form>}", {"element": "water"})`."""
    from mnemophrase.corpusgen.lang.frame_language import compile_frames

    index = {c: i for i, c in enumerate(tables.concepts)}
    variants = [v for v in compile_frames([frame]) if v.slots == set(slots)]
    if not variants:
        raise ValueError(f"no variant of {frame!r} uses exactly the slots {sorted(slots)}")
    tab = tables.tables[lang]
    concepts = {s: np.array([index[c]]) for s, c in slots.items()}
    pool = FramePool({"frame": [tab.language.rewrite(variants[0])]}, tab.forms)
    text = pool.join([pool.positions("frame", 0, concepts, rows=1)])
    return tab.language.finish(text, sentence)[0].as_py()
