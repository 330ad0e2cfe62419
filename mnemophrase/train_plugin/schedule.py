"""What to train, in which order: stages, their budgets, and the three regimes.

Pure Python on purpose (no torch, no datasets): a schedule is cheap to build, print and
validate before anything heavy is imported.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mnemophrase.corpusgen.contract import ARROW_DIR, CARD, STATS
from mnemophrase.corpusgen.contract import STAGES as DEFAULT_STAGE_ORDER  # curriculum order

from .errors import StagePluginError
from .protection import Protection

CORE_ADAPTER = "mnemo"
FORMATS = ("chat", "prompt", "text")  # see mnemophrase.train_plugin.formats
REGIMES = ("sequential", "mixed", "reverse")
MIXED_ADAPTER = "mixed"

# adapter names end up in parameter paths (`...lora_A.<name>.weight`) and folder names
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Stage:
    """One stage: which rows, how many, at what learning rate, training which adapter.

    `data` is None for a stage of the published dataset given as `source` (its config is
    `config` or the stage name), or the user's own data: a `datasets.Dataset`, a published
    dataset folder, a `save_to_disk` folder or a parquet/json/jsonl/csv file.
    Budget: at most one of `rows`, `epochs`, `tokens`; none means one pass over the split.

    Row format and the ways to keep the core (None: the StagedLoRA's setting):
    format        "chat", "prompt" or "text" (see mnemophrase.train_plugin.formats)
    protection    a Protection for this stage alone, in place of the run's (see Protection)
    """

    name: str
    data: Any = None
    config: str | None = None
    split: str = "train"
    rows: int | None = None
    epochs: float | None = None
    tokens: int | None = None
    lr: float | None = None
    adapter: str | None = None
    format: str | None = None
    protection: Protection | None = None
    # filled by the `mixed` regime: the stages whose rows are interleaved into this one
    mix: tuple[Stage, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise StagePluginError(
                f"stage name {self.name!r} must start with a letter and use letters, digits, _ or -"
            )
        if self.adapter is not None and not _NAME.match(self.adapter):
            raise StagePluginError(
                f"stage {self.name!r}: adapter name {self.adapter!r} is not valid")
        budgets = [b for b in ("rows", "epochs", "tokens") if getattr(self, b) is not None]
        if len(budgets) > 1:
            raise StagePluginError(
                f"stage {self.name!r}: give one of rows, epochs, tokens (got {', '.join(budgets)})"
            )
        for b in budgets:
            if not getattr(self, b) > 0:
                raise StagePluginError(f"stage {self.name!r}: {b} must be positive")
        if self.lr is not None and not self.lr > 0:
            raise StagePluginError(f"stage {self.name!r}: lr must be positive")
        if self.protection is not None and not isinstance(self.protection, Protection):
            raise StagePluginError(f"stage {self.name!r}: protection must be a "
                                   f"mnemophrase.train_plugin.Protection (got {self.protection!r})")
        if self.format is not None and self.format not in FORMATS:
            raise StagePluginError(
                f"stage {self.name!r}: format {self.format!r} is not one of {', '.join(FORMATS)}")

    @property
    def adapter_name(self) -> str:
        return self.adapter or self.name


@dataclass(frozen=True)
class StageSchedule:
    """Stages in the order they train, after the regime is applied.

    `sequential` keeps the given order with one adapter per stage; `reverse` runs the
    stages back to front (language first, the mnemo core last); `mixed` interleaves every
    stage's rows (seeded shuffle) into one stage that trains one adapter.
    """

    stages: tuple[Stage, ...]
    regime: str = "sequential"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.regime not in REGIMES:
            raise StagePluginError(
                f"regime {self.regime!r} is not one of {', '.join(REGIMES)}"
            )
        if not self.stages:
            raise StagePluginError("a schedule needs at least one stage")
        names = [s.name for s in self.stages]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise StagePluginError(f"stage names must be unique; repeated: {', '.join(dupes)}")

    def ordered(self) -> list[Stage]:
        """The stages as they will run, one adapter each (or shared where the user said so)."""
        stages = list(self.stages)
        if self.regime == "reverse":
            return stages[::-1]
        if self.regime == "mixed":
            lr = next((s.lr for s in stages if s.lr is not None), None)
            return [Stage(name=MIXED_ADAPTER, lr=lr, mix=tuple(stages))]
        return stages

    def adapters(self) -> list[str]:
        """Adapter names in the order they first train."""
        out: list[str] = []
        for stage in self.ordered():
            if stage.adapter_name not in out:
                out.append(stage.adapter_name)
        return out

    @classmethod
    def from_dataset(
        cls,
        source: str | Path,
        *,
        stages: list[str] | None = None,
        regime: str = "sequential",
        rows: int | None = None,
        lr: float | dict[str, float] | None = None,
        seed: int = 0,
    ) -> StageSchedule:
        """Stages of a published dataset, in its card's `stage_order` (or those named)."""
        order = read_stage_order(source)
        names = list(stages) if stages else order
        unknown = [n for n in names if n not in order]
        if unknown:
            raise StagePluginError(
                f"{source}: no stage {', '.join(map(repr, unknown))} (has {', '.join(order)})"
            )
        if isinstance(lr, dict):
            stray = [n for n in lr if n not in names]
            if stray:
                raise StagePluginError(
                    f"lr names stage {', '.join(map(repr, stray))}, which this schedule does not "
                    f"have (stages: {', '.join(names)})")
        lrs = lr if isinstance(lr, dict) else {n: lr for n in names}
        return cls(
            tuple(Stage(name=n, rows=rows, lr=lrs.get(n)) for n in names), regime=regime, seed=seed
        )

    def with_rows(self, rows: int) -> StageSchedule:
        """The same schedule with every stage capped at `rows` rows (smoke runs, benchmarks)."""
        return replace(self, stages=tuple(replace(s, rows=rows, epochs=None, tokens=None)
                                          for s in self.stages))


def read_stage_order(source: str | Path) -> list[str]:
    """`stage_order` of a published dataset (a folder or a Hub dataset id): stats.json
    first, else the card's YAML header."""
    from .source import dataset_folder

    root = dataset_folder(source)
    if not root.is_dir():
        raise StagePluginError(f"{root}: no such dataset folder")
    stats = root / STATS
    if stats.is_file():
        try:
            order = json.loads(stats.read_text(encoding="utf-8")).get("stage_order")
        except json.JSONDecodeError as e:
            raise StagePluginError(f"{stats}:{e.lineno}: not valid JSON ({e.msg})") from None
        if order:
            return [str(s) for s in order]
    header = _card_header(root / CARD)
    if header.get("stage_order"):
        return [str(s) for s in header["stage_order"]]
    configs = [c.get("config_name") for c in header.get("configs", []) if isinstance(c, dict)]
    if configs:
        # a card without stage_order still lists its configs; keep the curriculum order we know
        known = [s for s in DEFAULT_STAGE_ORDER if s in configs]
        return known + [c for c in configs if c not in known]
    arrow = root / ARROW_DIR
    if arrow.is_dir():
        found = sorted(p.name for p in arrow.iterdir() if p.is_dir())
        known = [s for s in DEFAULT_STAGE_ORDER if s in found]
        if found:
            return known + [c for c in found if c not in known]
    raise StagePluginError(
        f"{root}: not a published mnemo dataset (no stats.json, README.md configs or arrow/)"
    )


def _card_header(card: Path) -> dict:
    if not card.is_file():
        return {}
    text = card.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return {}
    end = text.find("\n---", 3)
    if end < 0:
        raise StagePluginError(f"{card}:1: YAML header is not closed with ---")
    # datasets depends on PyYAML; imported here to keep `import mnemophrase.train_plugin` light
    import yaml

    try:
        data = yaml.safe_load(text[3:end])
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        raise StagePluginError(f"{card}:{line}: card header is not valid YAML") from None
    return data if isinstance(data, dict) else {}
