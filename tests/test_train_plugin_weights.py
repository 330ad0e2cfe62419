"""Adapter weights at inference: PEFT's own scaling, weight 0 is off, weight 1 is default."""

from __future__ import annotations

import pytest
import torch
from train_fixtures import TINY_LORA, tiny_model

from mnemophrase.train_plugin import (
    StagedLoRA,
    StagePluginError,
    adapter_weights,
    set_active_adapters,
    set_adapter_weights,
)

pytest_plugins = ["train_fixtures"]  # published_dataset, dataset_tokenizer


@pytest.fixture
def model(published_dataset, dataset_tokenizer):
    staged = StagedLoRA.from_dataset(published_dataset, dataset_tokenizer, lora=TINY_LORA)
    model = staged.wrap(tiny_model(dataset_tokenizer))
    with torch.no_grad():  # as if trained: every LoRA B non-zero
        gen = torch.Generator().manual_seed(0)
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.5)
    model.eval()
    return model


def _logits(model):
    ids = torch.arange(4, 40).unsqueeze(0)
    with torch.no_grad():
        return model(input_ids=ids).logits


def test_weight_one_is_peft_default_and_zero_is_off(model):
    set_active_adapters(model, ["mnemo", "language"])
    default = _logits(model)
    set_active_adapters(model, ["mnemo"])
    core_only = _logits(model)
    set_adapter_weights(model, {"mnemo": 1.0, "language": 1.0})
    assert torch.equal(_logits(model), default)
    set_adapter_weights(model, {"mnemo": 1.0, "language": 0.0})
    assert torch.equal(_logits(model), core_only)
    set_adapter_weights(model, {"mnemo": 1.0, "language": 0.5})
    half = _logits(model)
    assert not torch.allclose(half, default) and not torch.allclose(half, core_only)
    assert adapter_weights(model) == pytest.approx({"mnemo": 1.0, "language": 0.5})


def test_a_weight_scales_the_lora_update_of_every_layer(model):
    """At each LoRA layer, weight w gives base + w * (the default update)."""
    from peft.tuners.lora import LoraLayer

    layer = next(
        m
        for m in model.modules()
        if isinstance(m, LoraLayer) and "language" in m.lora_A and m.in_features == 64
    )
    x = torch.randn(3, 64, generator=torch.Generator().manual_seed(1))
    outputs = {}
    for w in (0.0, 1.0, 0.25, 2.0):
        set_adapter_weights(model, {"language": w} if w else {"mnemo": 0.0})
        with torch.no_grad():
            outputs[w] = layer(x)
    update = outputs[1.0] - outputs[0.0]
    for w in (0.25, 2.0):
        torch.testing.assert_close(outputs[w], outputs[0.0] + w * update, rtol=1e-5, atol=1e-6)
    config = model.peft_config["language"]
    assert layer.scaling["language"] == pytest.approx(2.0 * config.lora_alpha / config.r)


def test_entering_a_stage_restores_default_weights(published_dataset, dataset_tokenizer):
    staged = StagedLoRA.from_dataset(published_dataset, dataset_tokenizer, lora=TINY_LORA)
    model = staged.wrap(tiny_model(dataset_tokenizer))
    set_adapter_weights(model, {"mnemo": 0.3, "language": 0.5})
    staged.enter_stage(model, 2)
    assert adapter_weights(model) == pytest.approx({"mnemo": 1.0, "bridge": 1.0, "language": 1.0})


@pytest.mark.parametrize(
    "weights, message",
    [
        ({"poetry": 1.0}, "no adapter 'poetry' .has mnemo, bridge, language"),
        ({"mnemo": -0.5}, "adapter weight of 'mnemo' must be a finite number >= 0"),
        ({"mnemo": float("inf")}, "must be a finite number"),
        ({"mnemo": "high"}, "must be a finite number"),
        ({}, "non-empty dict"),
        (["mnemo"], "non-empty dict"),
    ],
)
def test_bad_weights_say_what_is_wrong(model, weights, message):
    with pytest.raises(StagePluginError, match=message):
        set_adapter_weights(model, weights)
