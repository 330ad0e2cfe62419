"""Staged LoRA for existing training scripts: the mnemo core first, language on top.

    from mnemophrase.train_plugin import StagedLoRA
    staged = StagedLoRA.from_dataset("build/mnemo-ru-en-th-20k", tokenizer)
    model = staged.wrap(model)              # one LoRA adapter per stage
    staged.attach(trainer)                  # HF Trainer / TRL SFTTrainer
    for step in staged.steps(model, opt, batch_size=8): ...   # or a plain loop

`import mnemophrase.train_plugin` stays light: torch, transformers, peft and datasets load only when
a name that needs them is first used.
"""

from __future__ import annotations

from mnemophrase.basemodel.extra import lazy_attribute

from .errors import StagePluginError
from .protection import Protection
from .schedule import FORMATS, REGIMES, Stage, StageSchedule, read_stage_order

_LAZY = {
    "StagedLoRA": ".plugin",
    "StageCallback": ".hf",
    "Stepper": ".loop",
    "Step": ".loop",
    "BatchPlan": ".batching",
    "FlatteningCollator": ".batching",
    "PaddingCollator": ".batching",
    "mnemo_core": ".adapters",
    "set_active_adapters": ".adapters",
    "active_adapters": ".adapters",
    "save_adapters": ".adapters",
    "load_adapters": ".adapters",
    "set_adapter_weights": ".weights",
    "reset_adapter_weights": ".weights",
    "adapter_weights": ".weights",
    "generate": ".decoding",
    "generate_gloss": ".decoding",
    "RowEncoder": ".formats",
    "tiny_model_and_tokenizer": ".models",
}

__all__ = ["FORMATS", "REGIMES", "Protection", "Stage", "StageSchedule", "StagePluginError",
           "read_stage_order"] + list(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return lazy_attribute(globals(), __name__, _LAZY, name, StagePluginError)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
