"""The plugin inside HF Trainer and TRL SFTTrainer, on a tiny random Llama."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from train_fixtures import TINY_LORA, tiny_model
from transformers import Trainer, TrainingArguments

from mnemophrase.train_plugin import Protection, StagedLoRA, StagePluginError
from mnemophrase.train_plugin.adapters import active_adapters, adapter_parameters

pytest_plugins = ["train_fixtures"]  # published_dataset, dataset_tokenizer

ROWS = 48  # per stage; 6 steps of 8 rows each
BATCH = 8
# every way to keep the core at once (each alone is tested in the plain loop)
ALL_ON = {"protection": Protection(replay=0.25, keep_core=1.0, core_dropout=0.5)}


def _args(out: Path, **kw) -> TrainingArguments:
    base = {
        "output_dir": str(out),
        "per_device_train_batch_size": BATCH,
        "learning_rate": 5e-3,
        "save_strategy": "no",
        "report_to": [],
        "use_cpu": True,
        "disable_tqdm": True,
        "logging_steps": 1000,
        "seed": 7,
        "lr_scheduler_type": "constant",
    }
    base.update(kw)
    return TrainingArguments(**base)


def _run(
    published_dataset,
    tok,
    out: Path,
    *,
    regime="sequential",
    resume=None,
    trainer_cls=Trainer,
    args=None,
    options=None,
    **args_kw,
):
    """One training run; returns (staged, model, callback, rows consumed per micro-batch)."""
    staged = StagedLoRA.from_dataset(
        published_dataset,
        tok,
        regime=regime,
        rows=ROWS,
        lora=TINY_LORA,
        adapters_dir=out / "adapters",
        **(options or {}),
    )
    model = staged.wrap(tiny_model(tok))
    consumed: list[list[int]] = []
    dataset = staged.dataset
    plain = dataset.__getitems__

    def recording(idx):  # what the dataloader really fetched, micro-batch by micro-batch
        consumed.append(list(idx))
        return plain(idx)

    dataset.__getitems__ = recording
    args = args or _args(out, **args_kw)
    if trainer_cls is Trainer:
        trainer = Trainer(
            model=model,
            args=args,
            train_dataset=staged.train_dataset,
            data_collator=staged.collator,
        )
    else:
        trainer = trainer_cls(
            model=model,
            args=args,
            train_dataset=staged.train_dataset,
            data_collator=staged.collator,
            processing_class=tok,
        )
    callback = staged.attach(trainer)
    trainer.train(resume_from_checkpoint=resume)
    return staged, model, callback, consumed


def _stage_of_rows(staged) -> dict[int, str]:
    return {r: name for name, rows in staged.stage_rows for r in rows}


def _adapter_state(model, name: str) -> dict[str, torch.Tensor]:
    from peft import get_peft_model_state_dict

    return {
        k: v.detach().clone()
        for k, v in get_peft_model_state_dict(model, adapter_name=name).items()
    }


@pytest.fixture(scope="module")
def sequential_run(published_dataset, dataset_tokenizer, tmp_path_factory):
    out = tmp_path_factory.mktemp("seq")
    return out, *_run(published_dataset, dataset_tokenizer, out)


def test_stages_run_in_order_reading_each_row_once(sequential_run):
    _, staged, model, callback, consumed = sequential_run
    assert callback.transitions == [(0, "mnemo"), (6, "bridge"), (12, "language")]
    assert staged.finished == ["mnemo", "bridge", "language"]
    stage_of = _stage_of_rows(staged)
    flat = [r for mb in consumed for r in mb]
    assert sorted(flat) == sorted(stage_of)  # every planned row once, nothing else
    stages_seen = [stage_of[r] for r in flat]
    # sequential: a stage's rows all come before the next stage's, in dataset order
    assert stages_seen == ["mnemo"] * ROWS + ["bridge"] * ROWS + ["language"] * ROWS
    assert flat == sorted(flat)
    assert active_adapters(model) == ["mnemo", "bridge", "language"]


def test_frozen_adapters_do_not_change_in_later_stages(sequential_run):
    out, _, model, _, _ = sequential_run
    for name in ("mnemo", "bridge", "language"):
        # written by the callback the moment each stage ended
        snapshot = load_file(out / "adapters" / name / "adapter_model.safetensors")
        final = _adapter_state(model, name)
        assert snapshot.keys() == final.keys()
        for key in snapshot:
            assert torch.equal(snapshot[key], final[key]), (name, key)
        # and it did learn: LoRA B starts at zero
        assert any(v.abs().sum() > 0 for k, v in final.items() if "lora_B" in k), name


def test_the_optimizer_holds_every_stage_from_the_start(
    published_dataset, dataset_tokenizer, tmp_path
):
    staged = StagedLoRA.from_dataset(
        published_dataset, dataset_tokenizer, rows=ROWS, lora=TINY_LORA
    )
    model = staged.wrap(tiny_model(dataset_tokenizer))
    trainer = Trainer(
        model=model,
        args=_args(tmp_path),
        train_dataset=staged.train_dataset,
        data_collator=staged.collator,
    )
    staged.attach(trainer)
    held = {id(p) for g in trainer.optimizer.param_groups for p in g["params"]}
    for name, params in adapter_parameters(model).items():
        assert all(id(p) in held for p in params), name
    assert trainer.args.max_steps == 18


@pytest.mark.parametrize("regime", ["reverse", "mixed"])
def test_regimes(regime, published_dataset, dataset_tokenizer, tmp_path):
    staged, model, callback, consumed = _run(
        published_dataset, dataset_tokenizer, tmp_path, regime=regime
    )
    stage_of = _stage_of_rows(staged)
    flat = [r for mb in consumed for r in mb]
    assert sorted(flat) == sorted(stage_of)
    if regime == "reverse":
        assert callback.transitions == [(0, "language"), (6, "bridge"), (12, "mnemo")]
        assert active_adapters(model) == ["language", "bridge", "mnemo"]
        assert [stage_of[r] for r in flat] == ["language"] * ROWS + ["bridge"] * ROWS + [
            "mnemo"
        ] * ROWS
    else:
        assert callback.transitions == [(0, "mixed")]
        assert list(model.peft_config) == ["mixed"] and active_adapters(model) == ["mixed"]
        origin = {}  # global row -> source stage, from the row's place in the dataset
        for i, (start, stage) in enumerate(zip(staged.dataset.offsets, staged.schedule.stages)):
            for r in range(start, start + ROWS):
                origin[r] = stage.name
        first_steps = {origin[r] for mb in consumed[:3] for r in mb}
        assert first_steps == {"mnemo", "bridge", "language"}  # interleaved from the start
        assert sorted(origin[r] for r in flat) == sorted(["mnemo", "bridge", "language"] * ROWS)


@pytest.mark.parametrize("options", [{}, ALL_ON], ids=["plain", "every-option"])
def test_resume_mid_stage_equals_an_uninterrupted_run(
    published_dataset, dataset_tokenizer, tmp_path, options
):
    # step 9 is in the middle of the bridge stage (steps 6-11)
    full_out = tmp_path / "full"
    _, full, _, full_rows = _run(
        published_dataset,
        dataset_tokenizer,
        full_out,
        save_strategy="steps",
        save_steps=9,
        options=options,
    )
    checkpoint = full_out / "checkpoint-9"
    assert checkpoint.is_dir()
    _, resumed, callback, resumed_rows = _run(
        published_dataset,
        dataset_tokenizer,
        tmp_path / "resumed",
        resume=str(checkpoint),
        options=options,
    )
    assert callback.transitions == [(9, "bridge"), (12, "language")]
    assert resumed_rows == full_rows[9:]  # the data position came back too
    for name in ("mnemo", "bridge", "language"):
        a, b = _adapter_state(full, name), _adapter_state(resumed, name)
        for key in a:
            torch.testing.assert_close(b[key], a[key], rtol=0, atol=1e-6, msg=f"{name} {key}")


def test_resume_with_a_different_plan_is_refused(published_dataset, dataset_tokenizer, tmp_path):
    _run(published_dataset, dataset_tokenizer, tmp_path / "a", save_strategy="steps", save_steps=4)
    staged = StagedLoRA.from_dataset(
        published_dataset, dataset_tokenizer, rows=ROWS + 8, lora=TINY_LORA
    )
    model = staged.wrap(tiny_model(dataset_tokenizer))
    trainer = Trainer(
        model=model,
        args=_args(tmp_path / "b"),
        train_dataset=staged.train_dataset,
        data_collator=staged.collator,
    )
    staged.attach(trainer)
    with pytest.raises(StagePluginError, match="different stage plan"):
        trainer.train(resume_from_checkpoint=str(tmp_path / "a" / "checkpoint-4"))


def test_trl_sft_trainer(published_dataset, dataset_tokenizer, tmp_path):
    from trl import SFTConfig, SFTTrainer

    args = SFTConfig(
        output_dir=str(tmp_path),
        per_device_train_batch_size=BATCH,
        learning_rate=5e-3,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        logging_steps=1000,
        max_length=None,
    )
    staged, model, callback, consumed = _run(
        published_dataset,
        dataset_tokenizer,
        tmp_path,
        trainer_cls=SFTTrainer,
        args=args,
        options=ALL_ON,
    )
    assert callback.transitions == [(0, "mnemo"), (6, "bridge"), (12, "language")]
    assert staged.step_state.kl is not None  # the keep_core term ran inside SFTTrainer
    # with every option on, the core written at the end of its stage is still the core
    snapshot = load_file(tmp_path / "adapters" / "mnemo" / "adapter_model.safetensors")
    final = _adapter_state(model, "mnemo")
    assert snapshot.keys() == final.keys()
    assert all(torch.equal(snapshot[k], final[k]) for k in snapshot)
    # every planned row (replayed ones included), in the plan's order
    assert [r for mb in consumed for r in mb] == staged.plan(BATCH).rows_of_rank(0)
    assert all(
        (tmp_path / "adapters" / n / "adapter_model.safetensors").is_file()
        for n in ("mnemo", "bridge", "language")
    )


def test_attach_needs_the_wrapped_model(published_dataset, dataset_tokenizer, tmp_path):
    staged = StagedLoRA.from_dataset(
        published_dataset, dataset_tokenizer, rows=ROWS, lora=TINY_LORA
    )
    trainer = Trainer(
        model=tiny_model(dataset_tokenizer),
        args=_args(tmp_path),
        train_dataset=staged.train_dataset,
        data_collator=staged.collator,
    )
    with pytest.raises(StagePluginError, match="staged.wrap"):
        staged.attach(trainer)


def test_attach_rejects_an_optimizer_missing_later_stages(
    published_dataset, dataset_tokenizer, tmp_path
):
    staged = StagedLoRA.from_dataset(
        published_dataset, dataset_tokenizer, rows=ROWS, lora=TINY_LORA
    )
    model = staged.wrap(tiny_model(dataset_tokenizer))
    only_first = torch.optim.AdamW(adapter_parameters(model)["mnemo"], lr=1e-3)
    trainer = Trainer(
        model=model,
        args=_args(tmp_path),
        train_dataset=staged.train_dataset,
        data_collator=staged.collator,
        optimizers=(only_first, None),
    )
    with pytest.raises(StagePluginError, match="lacks adapter"):
        staged.attach(trainer)
