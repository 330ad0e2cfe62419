"""Stage adapters on a tiny random Llama: switching, the core switch, save and load."""

from __future__ import annotations

import copy

import pytest
import torch
from train_fixtures import TINY_LORA, tiny_model

from mnemophrase.train_plugin import StagedLoRA, StagePluginError
from mnemophrase.train_plugin.adapters import (
    active_adapters,
    adapter_parameters,
    load_adapters,
    mnemo_core,
    set_active_adapters,
)

pytest_plugins = ["train_fixtures"]  # published_dataset, dataset_tokenizer


def _perturb(model, seed: int = 1) -> None:
    """Give every adapter non-zero weights (LoRA B starts at zero, i.e. no effect at all)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for params in adapter_parameters(model).values():
            for p in params:
                p.add_(torch.randn(p.shape, generator=g) * 0.5)


def _batch(tokenizer):
    enc = tokenizer(
        ["водаwaterแสง\n", "a feeling of light near rain"], padding=True, return_tensors="pt"
    )
    return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}


def _logits(model, batch):
    model.eval()
    with torch.no_grad():
        return model(**batch).logits


@pytest.fixture
def wrapped(published_dataset, dataset_tokenizer):
    base = tiny_model(dataset_tokenizer)
    reference = copy.deepcopy(base)
    staged = StagedLoRA.from_dataset(published_dataset, dataset_tokenizer, lora=TINY_LORA)
    model = staged.wrap(base)
    _perturb(model)
    return staged, model, reference


def test_stage_switch_activates_earlier_adapters_and_trains_only_current(wrapped):
    staged, model, _ = wrapped
    params = adapter_parameters(model)
    for index, expect_active in enumerate(
        [["mnemo"], ["mnemo", "bridge"], ["mnemo", "bridge", "language"]]
    ):
        staged.enter_stage(model, index)
        assert active_adapters(model) == expect_active
        trainable = staged.stages[index].name
        for name, ps in params.items():
            assert all(p.requires_grad == (name == trainable) for p in ps), (index, name)
    # nothing outside the adapters ever trains
    adapter_ids = {id(p) for ps in params.values() for p in ps}
    assert not any(p.requires_grad for p in model.parameters() if id(p) not in adapter_ids)


def test_every_adapter_off_equals_base_model_exactly(wrapped, dataset_tokenizer):
    staged, model, reference = wrapped
    batch = _batch(dataset_tokenizer)
    base_out = _logits(reference, batch)
    staged.enter_stage(model, 2)
    full = _logits(model, batch)
    assert not torch.allclose(full, base_out, atol=1e-3)  # the adapters do something
    with mnemo_core(model, False):
        no_core = _logits(model, batch)
        assert active_adapters(model) == ["bridge", "language"]
    assert not torch.allclose(no_core, full, atol=1e-3)
    assert not torch.allclose(no_core, base_out, atol=1e-3)
    assert active_adapters(model) == ["mnemo", "bridge", "language"]  # restored on exit

    set_active_adapters(model, [])
    assert torch.equal(_logits(model, batch), base_out)
    set_active_adapters(model, ["mnemo", "bridge", "language"])
    with model.disable_adapter():
        assert torch.equal(_logits(model, batch), base_out)
    assert torch.equal(_logits(model, batch), full)


def test_core_switch_alone_gives_base_after_the_core_stage(wrapped, dataset_tokenizer):
    staged, model, reference = wrapped
    batch = _batch(dataset_tokenizer)
    staged.enter_stage(model, 0)
    core_on = _logits(model, batch)
    mnemo_core(model, False)  # as a plain call the switch stays
    assert active_adapters(model) == []
    assert torch.equal(_logits(model, batch), _logits(reference, batch))
    mnemo_core(model, True)
    assert torch.equal(_logits(model, batch), core_on)


def test_core_switch_rejects_a_model_without_core(published_dataset, dataset_tokenizer):
    staged = StagedLoRA.from_dataset(
        published_dataset, dataset_tokenizer, regime="mixed", lora=TINY_LORA
    )
    model = staged.wrap(tiny_model(dataset_tokenizer))
    with pytest.raises(StagePluginError, match="no 'mnemo' adapter"):
        mnemo_core(model, False)


def test_save_and_load_each_stage_alone_or_together(wrapped, dataset_tokenizer, tmp_path):
    staged, model, _ = wrapped
    batch = _batch(dataset_tokenizer)
    staged.save_adapters(model, tmp_path)
    for name in ("mnemo", "bridge", "language"):
        assert (tmp_path / name / "adapter_config.json").is_file()
        assert (tmp_path / name / "adapter_model.safetensors").is_file()

    set_active_adapters(model, ["mnemo"])
    core_only = _logits(model, batch)
    set_active_adapters(model, ["mnemo", "bridge", "language"])
    everything = _logits(model, batch)

    alone = load_adapters(tiny_model(dataset_tokenizer), tmp_path, names=["mnemo"])
    assert list(alone.peft_config) == ["mnemo"]
    torch.testing.assert_close(_logits(alone, batch), core_only, rtol=0, atol=1e-6)

    together = load_adapters(tiny_model(dataset_tokenizer), tmp_path)
    assert active_adapters(together) == ["mnemo", "bridge", "language"]
    torch.testing.assert_close(_logits(together, batch), everything, rtol=0, atol=1e-6)
    with mnemo_core(together, False):
        set_active_adapters(model, ["bridge", "language"])
        torch.testing.assert_close(
            _logits(together, batch), _logits(model, batch), rtol=0, atol=1e-6
        )


def test_load_adapters_reports_a_missing_folder(dataset_tokenizer, tmp_path):
    with pytest.raises(StagePluginError, match="no adapters"):
        load_adapters(tiny_model(dataset_tokenizer), tmp_path / "nothing")


def test_wrap_refuses_a_model_that_already_has_adapters(
    wrapped, published_dataset, dataset_tokenizer
):
    _, model, _ = wrapped
    again = StagedLoRA.from_dataset(published_dataset, dataset_tokenizer, lora=TINY_LORA)
    with pytest.raises(StagePluginError, match="pass the base model"):
        again.wrap(model)


def test_new_vocabulary_rows_train_with_the_core_and_then_stay(
    published_dataset, dataset_tokenizer
):
    """Vocabulary extension: the new rows learn in the mnemo stage only."""
    tok = copy.deepcopy(dataset_tokenizer)
    new = ["вода", "water", "แสง"]  # hyperword pieces, as the join-aware tokenizer would add
    tok.add_tokens(new)
    new_ids = tok.convert_tokens_to_ids(new)
    base = tiny_model(tok)
    staged = StagedLoRA.from_dataset(
        published_dataset,
        tok,
        rows=32,
        lora=TINY_LORA,
        trainable_token_indices={"embed_tokens": new_ids},
    )
    model = staged.wrap(base)
    embed_before = model.get_input_embeddings()(torch.arange(len(tok))).detach().clone()
    optimizer = torch.optim.AdamW(staged.parameters(model), lr=1e-2)
    seen_stage, snapshot = None, None
    for step in staged.steps(model, optimizer, batch_size=8):
        if seen_stage == "mnemo" and step.stage == "bridge":
            snapshot = model.get_input_embeddings()(torch.arange(len(tok))).detach().clone()
        seen_stage = step.stage
        for batch in step.batches:
            model(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    after = model.get_input_embeddings()(torch.arange(len(tok))).detach()
    old = torch.ones(len(tok), dtype=torch.bool)
    old[new_ids] = False
    assert torch.equal(snapshot[old], embed_before[old])  # old rows never move
    assert not torch.allclose(snapshot[new_ids], embed_before[new_ids])  # new rows learned
    assert torch.equal(after, snapshot)  # and stayed put in the later stages


def test_new_vocabulary_rows_survive_save_and_load(published_dataset, dataset_tokenizer, tmp_path):
    tok = copy.deepcopy(dataset_tokenizer)
    tok.add_tokens(["вода", "water"])
    new_ids = tok.convert_tokens_to_ids(["вода", "water"])
    staged = StagedLoRA.from_dataset(
        published_dataset, tok, lora=TINY_LORA, trainable_token_indices={"embed_tokens": new_ids}
    )
    model = staged.wrap(tiny_model(tok))
    _perturb(model)
    staged.enter_stage(model, 2)
    batch = {"input_ids": torch.tensor([[1] + new_ids + [5, 6]])}
    expected = _logits(model, batch)
    staged.save_adapters(model, tmp_path)
    loaded = load_adapters(tiny_model(tok), tmp_path)
    torch.testing.assert_close(_logits(loaded, batch), expected, rtol=0, atol=1e-6)
