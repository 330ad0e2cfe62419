"""Adapter weights at inference: trade the skills of the stage adapters without retraining.

    set_adapter_weights(model, {"mnemo": 1.0, "language": 0.5})

makes exactly the named adapters active and scales each one's LoRA update through PEFT's
own `LoraLayer.set_scale` (weight w gives scaling w * lora_alpha / r, or / sqrt(r) with
rsLoRA, per layer as PEFT configured it). Weight 1 is PEFT's default; weight 0 switches the
adapter off entirely (also its new-vocabulary rows, which LoRA scaling does not reach).
"""

from __future__ import annotations

import math

from .adapters import peft_model_of, set_active_adapters
from .errors import StagePluginError


def _lora_layers(model):
    from peft.tuners.lora import LoraLayer

    return [m for m in peft_model_of(model).modules() if isinstance(m, LoraLayer)]


def set_adapter_weights(model, weights: dict[str, float]) -> None:
    """Activate exactly the adapters in `weights`, each scaled by its weight (>= 0)."""
    peft = peft_model_of(model)
    if not isinstance(weights, dict) or not weights:
        raise StagePluginError(
            "adapter weights must be a non-empty dict of adapter name to weight, "
            "e.g. {'mnemo': 1.0, 'language': 0.5}")
    known = list(peft.peft_config)
    unknown = [n for n in weights if n not in known]
    if unknown:
        raise StagePluginError(f"no adapter {', '.join(map(repr, unknown))} "
                               f"(has {', '.join(known)})")
    for name, w in weights.items():
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) \
                or w < 0:
            raise StagePluginError(f"adapter weight of {name!r} must be a finite number >= 0 "
                                   f"(got {w!r})")
    set_active_adapters(model, [n for n, w in weights.items() if w > 0])
    for layer in _lora_layers(model):
        for name, w in weights.items():
            layer.set_scale(name, float(w))
    # a training step after this restores the stage's own adapters and weights
    peft._mnemo_scaled = any(w != 1 for w in weights.values())


def reset_adapter_weights(model) -> None:
    """Every adapter back to PEFT's default scaling (weight 1); which are active is unchanged."""
    peft = peft_model_of(model)
    for layer in _lora_layers(model):
        for name in peft.peft_config:
            layer.set_scale(name, 1.0)
    peft._mnemo_scaled = False


def adapter_weights(model) -> dict[str, float]:
    """The weight of each active adapter, read back from the layers' scaling."""
    active = list(peft_model_of(model).base_model.active_adapters)
    out: dict[str, float] = {}
    for layer in _lora_layers(model):
        for name in active:
            if name in layer.scaling and name not in out:
                default = layer.lora_alpha[name] / (
                    math.sqrt(layer.r[name]) if layer.use_rslora.get(name) else layer.r[name])
                out[name] = layer.scaling[name] / default
    return out
