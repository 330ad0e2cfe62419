"""Measuring many adapter combinations: the unadapted lower layers run once per batch, and
the logits are those of the full forward pass."""

from __future__ import annotations

import torch

from experiments.lower_layers import SharedLowerLayers, first_adapted_layer
from experiments.measure import Combo, apply_combo
from mnemophrase.basemodel import tiny_llama
from mnemophrase.train_plugin.adapters import add_stage_adapters

COMBOS = [Combo(True, 0.0), Combo(True, 1.0), Combo(True, 0.5), Combo(False, 1.0)]


def _model(top_layers: list[int] | None, seed: int = 0):
    lora = {"r": 4, "lora_alpha": 8, "lora_dropout": 0.0}
    if top_layers is not None:
        lora.update(target_modules=["q_proj", "v_proj", "down_proj"],
                    layers_to_transform=top_layers)
    model = add_stage_adapters(tiny_llama(50, layers=4, seed=seed), ["mnemo", "language"],
                               lora)
    with torch.no_grad():  # as if trained: every LoRA B non-zero, so the combinations differ
        gen = torch.Generator().manual_seed(seed)
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.5)
    return model.eval()


def _packed_batch():
    """Two rows flattened into one, as the FlatteningCollator makes them."""
    ids = torch.randint(4, 50, (1, 23), generator=torch.Generator().manual_seed(1))
    positions = torch.cat([torch.arange(9), torch.arange(14)]).unsqueeze(0)
    return {"input_ids": ids, "position_ids": positions}


def _full(model, batch, keep):
    return model(**batch, use_cache=False, logits_to_keep=keep).logits[0]


def _assert_every_combination_is_the_full_forward(model, shared, keep):
    batch = _packed_batch()
    with torch.no_grad():
        shared.start(batch)
        for combo in COMBOS:
            apply_combo(model, combo, "mnemo")
            torch.testing.assert_close(shared.logits(keep), _full(model, batch, keep))


def test_lower_layers_run_once_and_every_combination_matches_the_full_forward():
    model = _model(top_layers=[2, 3])
    assert first_adapted_layer(model) == 2
    calls = []
    model.get_base_model().model.layers[0].register_forward_hook(lambda *a: calls.append(1))
    shared, batch, keep = SharedLowerLayers(model), _packed_batch(), torch.tensor([3, 8, 15, 21])
    got = []
    with torch.no_grad():
        for _ in range(2):  # two batches: the second has no check pass
            shared.start(batch)
            for combo in COMBOS:
                apply_combo(model, combo, "mnemo")
                got.append(shared.logits(keep))
    assert shared.enabled
    # first batch: the capture pass and the one check pass; second batch: the capture only
    assert len(calls) == 3
    with torch.no_grad():
        for combo, logits in zip(COMBOS * 2, got):
            apply_combo(model, combo, "mnemo")
            torch.testing.assert_close(logits, _full(model, batch, keep), rtol=1e-5, atol=1e-5)
    assert not torch.allclose(got[0], got[1])  # the combinations really differ


def test_an_adapter_on_every_layer_leaves_nothing_to_share():
    model = _model(top_layers=None)  # all-linear: layer 0 is adapted
    assert first_adapted_layer(model) == 0
    shared = SharedLowerLayers(model)
    _assert_every_combination_is_the_full_forward(model, shared, torch.tensor([2, 20]))
    assert not shared.enabled


def test_a_model_the_shortcut_gets_wrong_falls_back_to_the_full_forward(monkeypatch):
    model = _model(top_layers=[2, 3])
    shared = SharedLowerLayers(model)
    # as if the model changed its inputs_embeds before the first layer (Gemma scales them)
    monkeypatch.setattr(shared, "_top", lambda keep, cache: shared._full(keep, cache) * 2.0)
    _assert_every_combination_is_the_full_forward(model, shared, torch.tensor([5, 17]))
    assert not shared.enabled
