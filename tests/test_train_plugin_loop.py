"""The stepper API in a plain PyTorch loop, and padding-free batches."""

from __future__ import annotations

import pytest
import torch
from train_fixtures import TINY_LORA, tiny_model

from mnemophrase.train_plugin import Protection, Stage, StagedLoRA, StagePluginError, StageSchedule
from mnemophrase.train_plugin.adapters import adapter_parameters
from mnemophrase.train_plugin.batching import FlatteningCollator, PaddingCollator

pytest_plugins = ["train_fixtures"]  # published_dataset, dataset_tokenizer

ROWS = 40


def _setup(published_dataset, tok, seed=0, **kw):
    staged = StagedLoRA.from_dataset(published_dataset, tok, rows=ROWS, lora=TINY_LORA, **kw)
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
    return {
        n: p.detach().clone()
        for n, p in model.named_parameters()
        if "lora_" in n or "trainable_tokens" in n
    }


def test_stepper_runs_stages_in_order(published_dataset, dataset_tokenizer):
    staged, model, optimizer = _setup(published_dataset, dataset_tokenizer)
    seen = _train(staged.steps(model, optimizer, batch_size=8), model, optimizer)
    assert [s for _, s, _ in seen] == ["mnemo"] * 5 + ["bridge"] * 5 + ["language"] * 5
    rows = [r for _, _, rs in seen for r in rs]
    assert rows == sorted(rows) and len(rows) == len(set(rows)) == 3 * ROWS
    assert staged.finished == ["mnemo", "bridge", "language"]


def test_stepper_resume_mid_stage_equals_uninterrupted(
    published_dataset, dataset_tokenizer, tmp_path
):
    torch.manual_seed(3)
    staged, model, optimizer = _setup(
        published_dataset, dataset_tokenizer, lr_shape="cosine", warmup=0.2
    )
    full = _train(staged.steps(model, optimizer, batch_size=8, grad_accum=2), model, optimizer)
    expected = _weights(model)

    torch.manual_seed(3)
    staged, model, optimizer = _setup(
        published_dataset, dataset_tokenizer, lr_shape="cosine", warmup=0.2
    )
    first = _train(
        staged.steps(model, optimizer, batch_size=8, grad_accum=2),
        model,
        optimizer,
        stop_after=4,
        checkpoint=tmp_path,
    )

    torch.manual_seed(99)  # a different RNG: the checkpoint must restore it
    staged, model, optimizer = _setup(
        published_dataset, dataset_tokenizer, lr_shape="cosine", warmup=0.2
    )
    steps = staged.steps(model, optimizer, batch_size=8, grad_accum=2, resume_from=tmp_path)
    assert len(steps) == len(full) - 5
    rest = _train(steps, model, optimizer)
    assert first + rest == full
    for name, value in _weights(model).items():
        torch.testing.assert_close(value, expected[name], rtol=0, atol=1e-6, msg=name)


def test_stepper_sets_each_stages_learning_rate(published_dataset, dataset_tokenizer):
    schedule = StageSchedule(
        (
            Stage("mnemo", rows=16, lr=1e-2),
            Stage("bridge", rows=16),
            Stage("language", rows=16, lr=3e-4),
        )
    )
    staged = StagedLoRA(
        schedule, dataset_tokenizer, source=published_dataset, lora=TINY_LORA, lr_shape="constant"
    )
    model = staged.wrap(tiny_model(dataset_tokenizer))
    optimizer = torch.optim.SGD(staged.parameters(model), lr=1e-3)
    lrs = {}
    for step in staged.steps(model, optimizer, batch_size=8):
        lrs.setdefault(step.stage, {g["lr"] for g in optimizer.param_groups})
    assert lrs == {"mnemo": {1e-2}, "bridge": {1e-3}, "language": {3e-4}}


def test_stepper_needs_every_stage_in_the_optimizer(published_dataset, dataset_tokenizer):
    staged = StagedLoRA.from_dataset(
        published_dataset, dataset_tokenizer, rows=ROWS, lora=TINY_LORA
    )
    model = staged.wrap(tiny_model(dataset_tokenizer))
    optimizer = torch.optim.AdamW(adapter_parameters(model)["mnemo"], lr=1e-3)
    with pytest.raises(StagePluginError, match="lacks adapter"):
        staged.steps(model, optimizer, batch_size=8)


def test_padding_free_loss_equals_padded_loss(published_dataset, dataset_tokenizer):
    """Flattened rows with restarting positions compute the same loss as a padded batch."""
    staged = StagedLoRA.from_dataset(
        published_dataset, dataset_tokenizer, rows=ROWS, lora=TINY_LORA
    )
    model = tiny_model(dataset_tokenizer)
    model.eval()
    rows = staged.dataset.__getitems__(list(range(0, 3 * ROWS, 7)))  # mixed lengths and stages
    flat = FlatteningCollator()(rows)
    padded = PaddingCollator(dataset_tokenizer.pad_token_id)(rows)
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
    assert int((flat["labels"] != -100).sum()) == int((padded["labels"][:, 1:] != -100).sum())


def test_completion_only_labels(published_dataset, dataset_tokenizer):
    staged = StagedLoRA.from_dataset(
        published_dataset, dataset_tokenizer, rows=ROWS, lora=TINY_LORA
    )
    offsets = staged.dataset.offsets
    mnemo_row = staged.dataset[offsets[0]]
    language_row = staged.dataset[offsets[2]]
    masked = [lab == -100 for lab in mnemo_row["labels"]]
    prompt_len = masked.index(False)
    assert all(masked[:prompt_len]) and not any(masked[prompt_len:])
    decoded = dataset_tokenizer.decode(
        mnemo_row["input_ids"][prompt_len:], skip_special_tokens=True
    )
    assert decoded.replace(" ", "") == _raw(published_dataset, "mnemo", "completion").replace(
        " ", ""
    )
    # plain language: every token after the BOS (never a target of a causal LM) learns
    assert language_row["input_ids"][0] == dataset_tokenizer.bos_token_id
    assert language_row["labels"][1:] == language_row["input_ids"][1:]


def _raw(published_dataset, stage, column):
    from datasets import load_from_disk

    return load_from_disk(str(published_dataset / "arrow" / stage))["train"][0][column]


def test_a_users_own_data_as_a_later_stage(published_dataset, dataset_tokenizer, tmp_path):
    """Their own rows after the core: a parquet file with a `text` column, its own adapter."""
    import datasets

    mine = tmp_path / "mine.parquet"
    datasets.Dataset.from_dict({"text": ["water and light", "rain at night"] * 12}).to_parquet(
        str(mine)
    )
    schedule = StageSchedule((Stage("mnemo", rows=16), Stage("mine", data=str(mine), epochs=2)))
    staged = StagedLoRA(schedule, dataset_tokenizer, source=published_dataset, lora=TINY_LORA)
    model = staged.wrap(tiny_model(dataset_tokenizer))
    optimizer = torch.optim.AdamW(staged.parameters(model), lr=1e-3)
    seen = [(step.stage, len(step.rows)) for step in staged.steps(model, optimizer, batch_size=8)]
    assert seen == [("mnemo", 8)] * 2 + [("mine", 8)] * 6  # 24 rows, two epochs
    assert list(model.peft_config) == ["mnemo", "mine"]


def test_the_cards_parquet_configs_load_the_same_rows_as_arrow(
    published_dataset, dataset_tokenizer, tmp_path
):
    import shutil

    card_only = tmp_path / "card-only"  # what a Hub download looks like: no arrow/
    card_only.mkdir()
    shutil.copy(published_dataset / "README.md", card_only / "README.md")
    shutil.copytree(published_dataset / "data", card_only / "data")
    before = sorted(p.relative_to(card_only) for p in card_only.rglob("*"))
    rows = {}
    for name, source in (("arrow", published_dataset), ("parquet", card_only)):
        staged = StagedLoRA([Stage("bridge", rows=32)], dataset_tokenizer, source=source)
        rows[name] = staged.dataset.input_ids
    assert rows["parquet"] == rows["arrow"] and len(rows["arrow"]) == 32
    assert sorted(p.relative_to(card_only) for p in card_only.rglob("*")) == before  # read-only


def test_start_after_branches_from_a_saved_stage_and_keeps_it_frozen(
    published_dataset, dataset_tokenizer, tmp_path
):
    staged, model, optimizer = _setup(published_dataset, dataset_tokenizer)
    steps = staged.steps(model, optimizer, batch_size=8)
    _train(steps, model, optimizer, stop_after=4, checkpoint=tmp_path / "ckpt")
    staged.save_adapters(model, tmp_path / "saved")
    saved = {n: v for n, v in _weights(model).items() if ".mnemo." in n}

    staged, model, optimizer = _setup(published_dataset, dataset_tokenizer, seed=1)
    steps = staged.steps(model, optimizer, batch_size=8)
    steps.start_after("mnemo", tmp_path / "saved")
    loaded = {n: v for n, v in _weights(model).items() if ".mnemo." in n}
    assert loaded.keys() == saved.keys()
    for name, value in saved.items():
        torch.testing.assert_close(loaded[name], value, rtol=0, atol=0, msg=name)
    seen = _train(steps, model, optimizer)
    assert [s for _, s, _ in seen] == ["bridge"] * 5 + ["language"] * 5
    assert seen[0][0] == 5 and staged.finished == ["mnemo", "bridge", "language"]
    for name, value in _weights(model).items():  # the branched-from core stays as loaded
        if ".mnemo." in name:
            torch.testing.assert_close(value, saved[name], rtol=0, atol=0, msg=name)

    staged, model, optimizer = _setup(published_dataset, dataset_tokenizer)
    steps = staged.steps(model, optimizer, batch_size=8)
    with pytest.raises(StagePluginError, match="not in this plan"):
        steps.start_after("grammar", tmp_path / "saved")
    with pytest.raises(StagePluginError, match="no saved adapter"):
        steps.start_after("bridge", tmp_path / "nowhere")


def test_rows_with_nothing_to_learn_are_left_out_with_a_warning(
    published_dataset, dataset_tokenizer
):
    from datasets import load_from_disk

    from mnemophrase.train_plugin.formats import IGNORE_INDEX, RowEncoder

    rows = load_from_disk(str(published_dataset / "arrow" / "mnemo"))["train"]["prompt"]
    encoder = RowEncoder(dataset_tokenizer, "prompt")
    prompt_lengths = sorted(len(encoder.prompt_ids(p)) for p in rows)
    cut = prompt_lengths[len(prompt_lengths) // 2]  # about half the rows keep no completion
    staged = StagedLoRA([Stage("mnemo", rows=8)], dataset_tokenizer,
                        source=published_dataset, format="prompt", max_length=cut)
    with pytest.warns(UserWarning, match="no token to learn"):
        staged.dataset  # noqa: B018 - the rows are read and tokenised here
    model = staged.wrap(tiny_model(dataset_tokenizer))
    optimizer = torch.optim.AdamW(staged.parameters(model), lr=5e-3)
    steps = staged.steps(model, optimizer, batch_size=8)
    assert all(any(t != IGNORE_INDEX for t in lab) for lab in staged.dataset.labels)
    for step in steps:
        for batch in step.batches:
            assert torch.isfinite(model(**batch).loss)
    with pytest.raises(StagePluginError, match="no row has a token to learn"):
        StagedLoRA([Stage("mnemo", rows=8)], dataset_tokenizer, source=published_dataset,
                   format="prompt", max_length=2).steps(
            model, optimizer, batch_size=8)


@pytest.mark.parametrize("collator", ["flattening", "padding"])
def test_the_loops_forward_scores_only_labelled_positions_with_the_same_loss_and_grads(
    published_dataset, dataset_tokenizer, collator
):
    """The plain loop's forward projects onto the vocabulary only where the loss (and the
    keep_core term) reads: fewer logits, the same loss and the same gradients as every
    position's logits (`logits_to_keep=0`)."""
    kw = {"protection": Protection(replay=0.5, keep_core=1.0)}
    if collator == "padding":
        kw["collator"] = PaddingCollator(dataset_tokenizer.pad_token_id or 0)
    staged, model, optimizer = _setup(published_dataset, dataset_tokenizer, **kw)
    steps = staged.steps(model, optimizer, batch_size=8)
    checked = 0
    for step in steps:
        if step.stage != "language":
            continue
        batch = step.batches[0]
        assert "keep_core_mask" in batch  # the KL term is part of both losses
        results = []
        for extra in ({}, {"logits_to_keep": 0}):
            model.zero_grad()
            torch.manual_seed(0)  # the same LoRA dropout in both passes
            out = model(**batch, **extra)
            out.loss.backward()
            grads = {n: p.grad.clone() for n, p in model.named_parameters()
                     if p.grad is not None}
            results.append((out, grads))
        (scored, scored_grads), (full, full_grads) = results
        labelled = int((batch["labels"][..., 1:] != -100).sum())
        assert scored.logits[..., 0].numel() < full.logits[..., 0].numel()
        assert scored.logits[..., 0].numel() >= labelled
        torch.testing.assert_close(scored.loss, full.loss, rtol=1e-5, atol=1e-6)
        assert scored_grads.keys() == full_grads.keys() and scored_grads
        for name, g in full_grads.items():
            torch.testing.assert_close(scored_grads[name], g, rtol=1e-4, atol=1e-6, msg=name)
        checked += 1
        if checked == 2:
            break
    assert checked == 2
