"""What a build is asked to make: the options, and the one-line error for a request that
cannot be met."""

from __future__ import annotations

from dataclasses import dataclass

from corpusgen.errors import CorpusgenError
from corpusgen.generate import DrawOptions


class BuildError(CorpusgenError):
    """A problem the user can fix; the message is one line."""


@dataclass
class BuildOptions:
    langs: tuple[str, ...]
    n: int
    min_parts: int = 3
    max_parts: int = 4
    mix: float = 0.5
    seed: int = 0
    split: tuple[float, float, float] = (0.98, 0.01, 0.01)
    workers: int = 1

    def draw(self) -> DrawOptions:
        return DrawOptions(self.langs, self.min_parts, self.max_parts, self.mix, self.seed)
