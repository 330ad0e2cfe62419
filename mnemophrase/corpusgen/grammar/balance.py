"""Balanced coverage: each scene's anchor word (a concept in one language) from its number.

Scene g of a build anchors word `order[g mod W]` of cycle g div W, each cycle a seeded
permutation of the W words. Any whole cycle anchors every word once, so the first q * W
scenes anchor each word exactly q times; and a shard computes its scenes' anchors from
their numbers alone, whatever the workers or the engine. The rest of a scene (its plan
among those with a slot for the anchor, the other slots, the gloss language) is drawn as
usual. A hand-written schedule: no library offers a stratified assignment keyed by index.
"""

from __future__ import annotations

import numpy as np

# mixed into the permutations' seeds, so that they are not the chunks' own streams
ANCHOR_STREAM = 0x616E63686F72


class AnchorSchedule:
    """Words numbered w = concept position * languages + language, over `concepts` (the
    concept numbers that can be anchored)."""

    def __init__(self, concepts: np.ndarray, n_langs: int, seed: int):
        self.word_concept = np.repeat(np.asarray(concepts, dtype=np.int64), n_langs)
        self.word_lang = np.tile(np.arange(n_langs, dtype=np.int64), len(concepts))
        self.words = len(self.word_concept)
        self.seed = seed

    def anchors(self, numbers: np.ndarray) -> np.ndarray:
        """The anchor word of each scene number."""
        numbers = np.asarray(numbers, dtype=np.int64)
        cycle = numbers // self.words
        out = np.empty(len(numbers), dtype=np.int64)
        for c in np.unique(cycle):
            at = np.flatnonzero(cycle == c)
            order = np.random.default_rng([self.seed, ANCHOR_STREAM, int(c)]).permutation(
                self.words)
            out[at] = order[numbers[at] % self.words]
        return out

    def guaranteed(self, n: int) -> int:
        """Occurrences every word has at least, as an anchor, among n scenes."""
        return n // self.words
