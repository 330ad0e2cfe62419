"""Protection: the ways a later stage keeps what earlier stages trained, as one checked value."""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass, fields

from .errors import StagePluginError

# with keep_core on and replay off, this share of each step's rows are earlier-stage rows
# that only the KL term sees (a quarter: enough positions for a stable KL at small cost)
KEEP_CORE_SHARE = 0.25


@dataclass(frozen=True)
class Protection:
    """How a stage keeps the core; every way off by default. A bad value is refused here,
    in one sentence, whoever builds it (a script, a Stage, the examples' command line).

    replay        share of each step's rows drawn from earlier stages' rows, in [0, 1)
    keep_core     weight of the KL term keeping outputs on earlier-stage rows close to
                  the earlier adapters alone (this stage's adapter off), >= 0
    core_dropout  share of the stage's steps trained with the core adapter off, in [0, 1]

    Where each applies: replay and keep_core need an earlier stage, core dropout a core
    trained in an earlier stage (`for_stage`, `refusal`). The batching (batching.py) and
    the forward (forward.py, through the plugin's `begin_step`) apply them.
    """

    replay: float = 0.0
    keep_core: float = 0.0
    core_dropout: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if (isinstance(value, bool) or not isinstance(value, (int, float))
                    or math.isnan(value)):
                raise StagePluginError(f"{f.name} must be a number (got {value!r})")
            object.__setattr__(self, f.name, float(value))  # 1 and 1.0: the same plan
        if not 0 <= self.replay < 1:
            raise StagePluginError(f"replay must be in [0, 1) (a share of each step's rows; "
                                   f"got {self.replay})")
        if not 0 <= self.keep_core < math.inf:
            raise StagePluginError(f"keep_core must be a weight >= 0 (got {self.keep_core})")
        if not 0 <= self.core_dropout <= 1:
            raise StagePluginError(f"core_dropout must be in [0, 1] (a share of steps; "
                                   f"got {self.core_dropout})")

    def __bool__(self) -> bool:
        return any(astuple(self))

    @property
    def earlier_share(self) -> float:
        """Share of each step's rows that come from earlier stages: replayed rows, else the
        rows only the keep_core term sees, else none."""
        return self.replay or (KEEP_CORE_SHARE if self.keep_core else 0.0)

    def for_stage(self, first: bool, after_core: bool) -> Protection:
        """This run-wide setting as it applies to one stage: the ways that need earlier rows
        after the first stage only, core dropout after the core's stage only."""
        return Protection(replay=0.0 if first else self.replay,
                          keep_core=0.0 if first else self.keep_core,
                          core_dropout=self.core_dropout if after_core else 0.0)

    def refusal(self, first: bool, after_core: bool, core: str) -> str | None:
        """Why this cannot be one stage's own setting (None: it can)."""
        if first and (self.replay or self.keep_core):
            return ("runs first: there are no earlier rows to replay or keep (set "
                    "replay/keep_core on a later stage)")
        if self.core_dropout and not after_core:
            return f"core_dropout needs the core adapter {core!r} trained in an earlier stage"
        return None
