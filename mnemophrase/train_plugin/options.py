"""A schedule's stages with every option filled in: format and the ways to keep the core."""

from __future__ import annotations

from dataclasses import replace

from .errors import StagePluginError
from .formats import check_format
from .protection import Protection
from .schedule import Stage


def resolve_stages(stages: list[Stage], tokenizer, format: str, core: str,
                   protection: Protection) -> list[Stage]:
    """The stages in run order with every option filled in.

    The run-wide protection applies to each stage where it means something
    (`Protection.for_stage`); a Stage's own protection replaces it for that stage, and is
    refused where it means nothing.
    """
    core_at = next((i for i, s in enumerate(stages) if s.adapter_name == core), None)
    out = []
    for i, stage in enumerate(stages):
        where = f"stage {stage.name!r}"
        first, after_core = i == 0, core_at is not None and i > core_at
        if stage.protection is not None:
            refusal = stage.protection.refusal(first, after_core, core)
            if refusal:
                raise StagePluginError(f"{where}: {refusal}")
        fmt = check_format(stage.format or format, tokenizer, f"{where}: format")
        parts = tuple(replace(p, format=check_format(p.format or fmt, tokenizer,
                                                     f"stage {p.name!r}: format"))
                      for p in stage.mix)
        own = stage.protection if stage.protection is not None else \
            protection.for_stage(first, after_core)
        out.append(replace(stage, format=fmt, mix=parts, protection=own))
    return out
