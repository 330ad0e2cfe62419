"""The stepper API in a plain PyTorch loop, and padding-free batches."""

# pytest fixtures imported from train_fixtures arrive as same-named arguments
# ruff: noqa: F811

from __future__ import annotations

import pytest
import torch
from train_fixtures import TINY_LORA, tiny_model, toy_dataset, toy_tokenizer  # noqa: F401 (fixtures)

from train_plugin import Stage, StagedLoRA, StagePluginError, StageSchedule
from train_plugin.adapters import adapter_parameters
from train_plugin.batching import FlatteningCollator, PaddingCollator

ROWS = 40


def _setup(toy_dataset, tok, seed=0, **kw):
    staged = StagedLoRA.from_dataset(toy_dataset, tok, rows=ROWS, lora=TINY_LORA, **kw)
    model = staged.wrap(tiny_model(tok, seed=seed))
    optimizer = torch.optim.AdamW(staged.parameters(model), lr=5e-3)
    return staged, model, optimizer


def _train(steps, model, optimizer, stop_after=None, checkpoint=None):
    seen = []
    for step in steps:
        seen.append((step.index, step.stage, step.rows))
        for batch in step.batches:
            (model(**batch).loss / len(step.batches)).backward()
        optimizer.step()
        optimizer.zero_grad()
        if stop_after is not None and step.index == stop_after:
            steps.save_checkpoint(checkpoint)
            break
    return seen


def _weights(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()
            if "lora_" in n or "trainable_tokens" in n}


def test_stepper_runs_stages_in_order(toy_dataset, toy_tokenizer):
    staged, model, optimizer = _setup(toy_dataset, toy_tokenizer)
    seen = _train(staged.steps(model, optimizer, batch_size=8), model, optimizer)
    assert [s for _, s, _ in seen] == ["mnemo"] * 5 + ["bridge"] * 5 + ["language"] * 5
    rows = [r for _, _, rs in seen for r in rs]
    assert rows == sorted(rows) and len(rows) == len(set(rows)) == 3 * ROWS
    assert staged.finished == ["mnemo", "bridge", "language"]


def test_stepper_resume_mid_stage_equals_uninterrupted(toy_dataset, toy_tokenizer, tmp_path):
    torch.manual_seed(3)
    staged, model, optimizer = _setup(toy_dataset, toy_tokenizer, lr_shape="cosine", warmup=0.2)
    full = _train(staged.steps(model, optimizer, batch_size=8, grad_accum=2), model, optimizer)
    expected = _weights(model)

    torch.manual_seed(3)
    staged, model, optimizer = _setup(toy_dataset, toy_tokenizer, lr_shape="cosine", warmup=0.2)
    first = _train(staged.steps(model, optimizer, batch_size=8, grad_accum=2), model, optimizer,
                   stop_after=4, checkpoint=tmp_path)

    torch.manual_seed(99)  # a different RNG: the checkpoint must restore it
    staged, model, optimizer = _setup(toy_dataset, toy_tokenizer, lr_shape="cosine", warmup=0.2)
    steps = staged.steps(model, optimizer, batch_size=8, grad_accum=2, resume_from=tmp_path)
    assert len(steps) == len(full) - 5
    rest = _train(steps, model, optimizer)
    assert first + rest == full
    for name, value in _weights(model).items():
        torch.testing.assert_close(value, expected[name], rtol=0, atol=1e-6, msg=name)


def test_stepper_sets_each_stages_learning_rate(toy_dataset, toy_tokenizer):
    schedule = StageSchedule((Stage("mnemo", rows=16, lr=1e-2), Stage("bridge", rows=16),
                              Stage("language", rows=16, lr=3e-4)))
    staged = StagedLoRA(schedule, toy_tokenizer, source=toy_dataset, lora=TINY_LORA,
                        lr_shape="constant")
    model = staged.wrap(tiny_model(toy_tokenizer))
    optimizer = torch.optim.SGD(staged.parameters(model), lr=1e-3)
    lrs = {}
    for step in staged.steps(model, optimizer, batch_size=8):
        lrs.setdefault(step.stage, {g["lr"] for g in optimizer.param_groups})
    assert lrs == {"mnemo": {1e-2}, "bridge": {1e-3}, "language": {3e-4}}


def test_stepper_needs_every_stage_in_the_optimizer(toy_dataset, toy_tokenizer):
    staged = StagedLoRA.from_dataset(toy_dataset, toy_tokenizer, rows=ROWS, lora=TINY_LORA)
    model = staged.wrap(tiny_model(toy_tokenizer))
    optimizer = torch.optim.AdamW(adapter_parameters(model)["mnemo"], lr=1e-3)
    with pytest.raises(StagePluginError, match="lacks adapter"):
        staged.steps(model, optimizer, batch_size=8)


def test_padding_free_loss_equals_padded_loss(toy_dataset, toy_tokenizer):
    """Flattened rows with restarting positions compute the same loss as a padded batch."""
    staged = StagedLoRA.from_dataset(toy_dataset, toy_tokenizer, rows=ROWS, lora=TINY_LORA)
    model = tiny_model(toy_tokenizer)
    model.eval()
    rows = staged.dataset.__getitems__(list(range(0, 3 * ROWS, 7)))  # mixed lengths and stages
    flat = FlatteningCollator()(rows)
    padded = PaddingCollator(toy_tokenizer.pad_token_id)(rows)
    assert flat["input_ids"].shape[0] == 1 and "attention_mask" not in flat
    assert int((padded["attention_mask"] == 0).sum()) > 0  # the padded batch does pad
    # positions restart at every row
    starts = (flat["position_ids"][0] == 0).nonzero().flatten().tolist()
    assert len(starts) == len(rows)
    with torch.no_grad():
        loss_flat = model(**flat).loss
        loss_padded = model(**padded).loss
    torch.testing.assert_close(loss_flat, loss_padded, rtol=1e-5, atol=1e-5)
    # same number of learned tokens: the separator only masks what padding never learned
    assert int((flat["labels"] != -100).sum()) == int(
        (padded["labels"][:, 1:] != -100).sum())


def test_completion_only_labels(toy_dataset, toy_tokenizer):
    staged = StagedLoRA.from_dataset(toy_dataset, toy_tokenizer, rows=ROWS, lora=TINY_LORA)
    offsets = staged.dataset.offsets
    mnemo_row = staged.dataset[offsets[0]]
    language_row = staged.dataset[offsets[2]]
    masked = [lab == -100 for lab in mnemo_row["labels"]]
    prompt_len = masked.index(False)
    assert all(masked[:prompt_len]) and not any(masked[prompt_len:])
    decoded = toy_tokenizer.decode(mnemo_row["input_ids"][prompt_len:], skip_special_tokens=True)
    assert decoded.replace(" ", "") == _raw(toy_dataset, "mnemo", "completion").replace(" ", "")
    assert language_row["labels"] == language_row["input_ids"]  # plain text learns everything


def _raw(toy_dataset, stage, column):
    from datasets import load_from_disk

    return load_from_disk(str(toy_dataset / "arrow" / stage))["train"][0][column]
