"""Frame variants realised for many rows with two Arrow calls.

Every string a language's frames can produce — the literal pieces of every variant, every
plain form, every agreeing form — sits in one pool. A row's text is a list of positions in
that pool, computed with numpy per variant; the lists of all rows are then gathered with one
`take` and joined with one `binary_join`. (Arrow has no template kernel; realising variant
by variant costs one Arrow call per piece and variant, hundreds per chunk.)
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpusgen.lang.frame_language import Variant


class FramePool:
    """The strings of one language's variants (`kinds`: name -> variant list) and forms."""

    def __init__(self, kinds: dict[str, list[Variant]], forms):
        literals: dict[str, int] = {}
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
        # per kind and variant: one (literal position | form base, slot, head, form) per piece;
        # None for a variant asking a form no concept has (a lexicon cut to a few concepts
        # may lack a part of speech): no plan's pool can fill it, so it is never realised
        self.recipes = {
            kind: [None if any(p.slot is not None and _kind(p) not in base
                               for p in variant.pieces) else
                   [(literals[p.text], None, None, None) if p.slot is None else
                    (base[_kind(p)], p.slot, p.head, p.form)
                    for p in variant.pieces] for variant in variants]
            for kind, variants in kinds.items()
        }

    def positions(self, kind: str, variant: int, slots: dict[str, np.ndarray],
                  rows: int | None = None) -> np.ndarray:
        """(rows, pieces) pool positions of the variant's text for rows whose slots hold the
        concepts `slots` (slot -> concept numbers; `rows` counts them when there is none)."""
        m = rows if rows is not None else len(next(iter(slots.values())))
        columns = []
        for start, slot, head, form in self.recipes[kind][variant]:
            if slot is None:
                columns.append(np.full(m, start, dtype=np.int64))
            elif head is None:
                columns.append(start + slots[slot].astype(np.int64))
            else:
                columns.append(start + slots[slot].astype(np.int64) * self.classes[form]
                               + self.agree_class[slots[head]])
        if not columns:
            return np.zeros((m, 0), dtype=np.int64)
        return np.stack(columns, axis=1)

    def join(self, blocks: list[np.ndarray]) -> pa.Array:
        """The texts of the rows of `blocks` (from `positions`), in block order."""
        counts = np.concatenate([np.full(len(b), b.shape[1], dtype=np.int64) for b in blocks])
        offsets = np.zeros(len(counts) + 1, dtype=np.int32)
        np.cumsum(counts, out=offsets[1:])
        flat = np.concatenate([b.reshape(-1) for b in blocks])
        pieces = self.pool.take(pa.array(flat))
        return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), pieces), "")


def _kind(piece) -> tuple[str, str]:
    return ("plain" if piece.head is None else "agreeing", piece.form)


def render(tables, lang: str, frame: str, slots: dict[str, str], sentence: bool = False) -> str:
    """One frame realised for named concepts of `tables` (a SceneTables), for trying frames
    out and for tests: `render(t, code, "{element.<form>}", {"element": "water"})`."""
    from corpusgen.lang.frame_language import compile_frames

    index = {c: i for i, c in enumerate(tables.concepts)}
    variants = [v for v in compile_frames([frame]) if v.slots == set(slots)]
    if not variants:
        raise ValueError(f"no variant of {frame!r} uses exactly the slots {sorted(slots)}")
    tab = tables.tables[lang]
    concepts = {s: np.array([index[c]]) for s, c in slots.items()}
    pool = FramePool({"frame": [tab.language.rewrite(variants[0])]}, tab.forms)
    text = pool.join([pool.positions("frame", 0, concepts, rows=1)])
    return tab.language.finish(text, sentence)[0].as_py()
