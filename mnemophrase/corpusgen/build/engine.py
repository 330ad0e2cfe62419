"""What a build asks of its engine: the seam between `build.run` and the two engines,
`engine_local` (processes on this machine) and `engine_ray` (a Ray cluster)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from mnemophrase.corpusgen.build.shard_tasks import BuildContext, ShardResult, ShardWork


class Engine(Protocol):
    """The build calls these in order: prepare, start, keys, repeats, bucket_keys (per
    top-up round), write, and close in every case."""

    def prepare(self, shards: int) -> None:
        """Start or join the workers of a build of `shards` shards, before the tables exist."""

    def start(self, context: BuildContext, scratch: Path) -> None:
        """Give every worker the build's context; `scratch` is a new folder for the keys."""

    def keys(self, shards: int, should_stop: Callable[[], bool],
             advance: Callable[[int], None] | None = None) -> None:
        """Draw every shard's planned keys, by bucket; `advance(scenes)` after each shard."""

    def repeats(self, shards: int, buckets: int,
                should_stop: Callable[[], bool]) -> list[list[np.ndarray]]:
        """Per bucket, per shard: the positions of that shard's repeated keys."""

    def bucket_keys(self, bucket: int) -> np.ndarray:
        """The distinct planned keys of one bucket, sorted."""

    def write(self, works: list[ShardWork], root: Path | str, streamed: pa.Schema,
              should_stop: Callable[[], bool],
              advance: Callable[[int], None] | None = None) -> list[ShardResult]:
        """Write each shard's files under `root` (a folder or a URL); their results, in
        the order of `works`."""

    def close(self) -> None:
        """End every worker; called after success and failure alike, and may run twice."""
