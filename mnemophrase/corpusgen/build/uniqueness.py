"""Which drawn scenes a build keeps, and which split each goes to.

A scene is kept when its hyperword is new: not kept before, and its first occurrence in the
build's draw order (shard by shard, chunk by chunk; then the top-up rounds). The split is
a function of the hyperword's key, so a hyperword lands in the same split in every stage
and in every shard. Both are decided per range of keys (a bucket), never over every key at
once.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from mnemophrase.corpusgen.build.shards import bucket_of

Slice = tuple[np.ndarray, np.ndarray]  # keys of one bucket, and their positions


def split_of(keys: np.ndarray, split: tuple[float, float, float]) -> np.ndarray:
    """0 train, 1 validation, 2 test — from the hyperword's hash, so it is the same for a
    hyperword in every stage and independent of chunking."""
    u = (keys >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    val_edge = split[0]
    test_edge = split[0] + split[1]
    return np.where(u < val_edge, 0, np.where(u < test_edge, 1, 2)).astype(np.int8)


def by_bucket(keys: np.ndarray, buckets: int) -> list[Slice]:
    """The keys of each bucket with their positions in `keys`, both in draw order."""
    bucket = bucket_of(keys, buckets)
    order = np.argsort(bucket, kind="stable")
    bounds = np.searchsorted(bucket[order], np.arange(buckets + 1))
    return [(keys[order[a:b]], order[a:b].astype(np.int64)) for a, b in pairwise(bounds)]


def bucket_repeats(slices: list[Slice]) -> tuple[list[np.ndarray], np.ndarray]:
    """One bucket's keys from every shard, in shard order: the positions (in its shard's
    draw) of each shard's repeats, and the bucket's distinct keys, sorted."""
    keys = np.concatenate([k for k, _ in slices]) if slices else np.zeros(0, np.uint64)
    distinct, first = np.unique(keys, return_index=True)
    repeat = np.ones(len(keys), dtype=bool)
    repeat[first] = False
    out, at = [], 0
    for k, pos in slices:
        out.append(pos[repeat[at:at + len(k)]])
        at += len(k)
    return out, distinct


def fresh_in_round(candidates: list[np.ndarray], known: list[np.ndarray]) -> list[np.ndarray]:
    """Per shard, in order, the positions of its candidates that are neither kept already
    (`known`) nor drawn earlier in this round by itself or a shard before it."""
    keys = np.concatenate(candidates) if candidates else np.zeros(0, np.uint64)
    new = ~np.concatenate(known) if known else np.zeros(0, dtype=bool)
    first = np.zeros(len(keys), dtype=bool)
    candidate_at = np.flatnonzero(new)
    _, index = np.unique(keys[candidate_at], return_index=True)
    first[candidate_at[index]] = True
    out, at = [], 0
    for c in candidates:
        out.append(np.flatnonzero(first[at:at + len(c)]))
        at += len(c)
    return out
