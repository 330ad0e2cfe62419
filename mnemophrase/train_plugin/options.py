"""A schedule's stages with every option filled in: format and the ways to keep the core."""

from __future__ import annotations

from dataclasses import replace

from .errors import StagePluginError
from .formats import check_format
from .schedule import Stage


def resolve_stages(stages: list[Stage], tokenizer, format: str, core: str, *, replay: float,
                   keep_core: float, core_dropout: float) -> list[Stage]:
    """The stages in run order with every option filled in.

    The run-wide ways to keep the core apply where they mean something: replay and
    keep_core to every stage after the first, core dropout to the stages after the core's.
    Set on a Stage where they mean nothing, they are refused.
    """
    core_at = next((i for i, s in enumerate(stages) if s.adapter_name == core), None)
    out = []
    for i, stage in enumerate(stages):
        where = f"stage {stage.name!r}"
        if i == 0 and (stage.replay or stage.keep_core):
            raise StagePluginError(f"{where} runs first: there are no earlier rows to replay "
                                   "or keep (set replay/keep_core on a later stage)")
        after_core = core_at is not None and i > core_at
        if stage.core_dropout and not after_core:
            raise StagePluginError(f"{where}: core_dropout needs the core adapter {core!r} "
                                   "trained in an earlier stage")
        fmt = check_format(stage.format or format, tokenizer, f"{where}: format")
        parts = tuple(replace(p, format=check_format(p.format or fmt, tokenizer,
                                                     f"stage {p.name!r}: format"))
                      for p in stage.mix)
        out.append(replace(
            stage, format=fmt, mix=parts,
            replay=stage.replay if stage.replay is not None else (replay if i else 0.0),
            keep_core=stage.keep_core if stage.keep_core is not None else (
                keep_core if i else 0.0),
            core_dropout=stage.core_dropout if stage.core_dropout is not None else (
                core_dropout if after_core else 0.0)))
    return out
