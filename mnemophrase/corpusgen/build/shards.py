"""How a build is cut into shards, from its options alone.

A build of n scenes is cut into `count` shards of nearly equal size (at most
`shard_scenes` each). Shard s owns the scene numbers [first[s], first[s] + scenes[s]) and
draws its candidates in chunks named (s, j): the planned chunks j < chunks(s), then one
top-up chunk per round that found duplicates. Nothing here depends on the number of
workers or on the engine, so every engine writes the same shards with the same bytes.

Uniqueness is settled over `buckets` ranges of the 64-bit hyperword key, each small enough
for one process, so no process ever holds every key of a large build.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# scenes drawn and realised at a time: a shard streams chunk by chunk
CHUNK_ROWS = 50_000
# a shard's Parquet files stay well under a few hundred MB (250k scenes: about 50 MB for
# mnemo/train), and its Arrow files under 200 MB
SHARD_SCENES = 250_000
# keys per bucket of the uniqueness step: 16 bytes each in memory, so about 64 MB
BUCKET_KEYS = 4_000_000


def shard_count(n: int, shard_scenes: int = SHARD_SCENES) -> int:
    return max(1, -(-n // shard_scenes))


@dataclass(frozen=True)
class ShardPlan:
    n: int
    scenes: tuple[int, ...]  # scenes per shard
    buckets: int

    @classmethod
    def for_build(cls, n: int, shard_scenes: int = SHARD_SCENES,
                  bucket_keys: int = BUCKET_KEYS) -> ShardPlan:
        count = shard_count(n, shard_scenes)
        base, extra = divmod(n, count)
        scenes = tuple(base + (1 if s < extra else 0) for s in range(count))
        return cls(n, scenes, max(1, -(-n // bucket_keys)))

    @property
    def count(self) -> int:
        return len(self.scenes)

    def first(self, shard: int) -> int:
        """Number of the shard's first scene (row ids are numbered across the build)."""
        return sum(self.scenes[:shard])

    def chunk_sizes(self, shard: int) -> list[int]:
        """Sizes of the shard's planned chunks; they draw exactly its scenes' worth."""
        full, rest = divmod(self.scenes[shard], CHUNK_ROWS)
        return [CHUNK_ROWS] * full + ([rest] if rest else [])

    def topup_chunk(self, shard: int, round_: int) -> tuple[int, int]:
        """The name of the shard's top-up chunk of round `round_` (1, 2, ...)."""
        return shard, len(self.chunk_sizes(shard)) + round_ - 1


def bucket_of(keys: np.ndarray, buckets: int) -> np.ndarray:
    """The key range each key falls in: its top 32 bits scaled to 0..buckets-1."""
    return ((keys >> np.uint64(32)) * np.uint64(buckets) >> np.uint64(32)).astype(np.int64)

