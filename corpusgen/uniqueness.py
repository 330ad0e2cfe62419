"""Which drawn scenes a build keeps (first occurrences of their hyperword) and which split
each goes to."""

from __future__ import annotations

import numpy as np


def split_of(keys: np.ndarray, split: tuple[float, float, float]) -> np.ndarray:
    """0 train, 1 validation, 2 test — from the hyperword's hash, so it is the same for a
    hyperword in every stage and independent of chunking."""
    u = (keys >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    val_edge = split[0]
    test_edge = split[0] + split[1]
    return np.where(u < val_edge, 0, np.where(u < test_edge, 1, 2)).astype(np.int8)


def new_keys(keys: np.ndarray, seen: np.ndarray, room: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of this chunk whose hyperword is new (first occurrence, not seen before), in
    order and at most `room` of them; and the updated sorted array of seen keys."""
    _, first = np.unique(keys, return_index=True)
    first.sort()
    candidates = keys[first]
    at = np.searchsorted(seen, candidates)
    known = (at < len(seen)) & (seen[np.minimum(at, max(len(seen) - 1, 0))] == candidates) \
        if len(seen) else np.zeros(len(candidates), dtype=bool)
    keep = first[~known][:room]
    return keep.astype(np.int64), np.union1d(seen, keys[keep])
