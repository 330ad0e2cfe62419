"""What a build does with its files while it runs: the seam between `build.run` and the two
targets, `folder.LocalFiles` (a temporary folder on this machine) and `url.UrlFiles` (shards
at a URL, small files in a local folder). Paths are relative to the build's root."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol


class BuildFiles(Protocol):
    small: Path  # where the card, stats.json and the Arrow metadata are made
    shard_root: Path | str  # what the writing tasks get as the root of the shards' files

    def make_folders(self) -> None:
        """Make the layout's folders, before any shard is written."""

    def rename(self, src: str, dst: str) -> None:
        """Give a shard file its final name."""

    def remove(self, rel: str) -> None:
        """Remove one file (a part no split needed)."""

    def remove_dir(self, rel: str) -> None:
        """Remove a folder and everything in it (an Arrow split with no rows)."""

    def open(self, rel: str) -> BinaryIO:
        """A file of the build, opened for reading bytes."""

    def record(self, written: dict[str, tuple[int, str]]) -> dict:
        """The files' record for stats.json: `written` as the writers hashed them, every
        other file read back."""
