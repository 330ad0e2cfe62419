"""The plugin's bad inputs are one line (StagePluginError) and never cost a user's files: a
damaged or incomplete build, an empty stage, a bad checkpoint, a resume on other data, an
unknown stage name in a per-stage option, a size that cannot fit in memory, and an
adapters_dir that already holds adapters or a user's files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from train_fixtures import TINY_LORA, tiny_model

from mnemophrase.train_plugin import Stage, StagedLoRA, StagePluginError
from mnemophrase.train_plugin.loop import CHECKPOINT_FILE

pytest_plugins = ["train_fixtures"]  # published_dataset, dataset_tokenizer

ROWS = 16


def one_line(info) -> str:
    text = str(info.value)
    assert "\n" not in text and text
    return text


def drop_file_records(build: Path) -> None:
    """The build as one made before stats.json recorded its files."""
    stats = json.loads((build / "stats.json").read_text())
    del stats["files"]
    (build / "stats.json").write_text(json.dumps(stats))


@pytest.fixture
def copy(published_dataset, tmp_path) -> Path:
    return Path(shutil.copytree(published_dataset, tmp_path / "build"))


def _flip_a_bit(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _train(staged, tok, out: Path | None = None, **steps_kwargs):
    model = staged.wrap(tiny_model(tok))
    optimizer = torch.optim.AdamW(staged.parameters(model), lr=5e-3)
    steps = staged.steps(model, optimizer, batch_size=8, **steps_kwargs)
    for step in steps:
        for batch in step.batches:
            model(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if out is not None:
            steps.save_checkpoint(out)
            break
    return model


# --- damage is never trained on ---------------------------------------------------------

@pytest.mark.parametrize("shard", ["arrow/bridge/train/data-00000-of-00001.arrow",
                                   "data/bridge/train-00000-of-00001.parquet"])
def test_a_bit_flipped_shard_is_refused_naming_the_file(copy, dataset_tokenizer, shard):
    _flip_a_bit(copy / shard)
    with pytest.raises(StagePluginError) as info:
        StagedLoRA.from_dataset(copy, dataset_tokenizer, rows=ROWS)
    assert f"{copy / shard}: sha256 differs" in one_line(info)
    # a stage naming the build as its data is checked the same way
    staged = StagedLoRA([Stage("bridge", data=copy)], dataset_tokenizer, lora=TINY_LORA)
    with pytest.raises(StagePluginError, match="sha256 differs"):
        staged.plan(8)


def test_a_split_without_state_json_is_one_line(copy, dataset_tokenizer):
    (copy / "arrow/mnemo/train/state.json").unlink()
    with pytest.raises(StagePluginError) as info:
        StagedLoRA.from_dataset(copy, dataset_tokenizer, rows=ROWS)
    assert "state.json: missing" in one_line(info)
    # the same build without a file record (made before it) still gets one line
    drop_file_records(copy)
    staged = StagedLoRA.from_dataset(copy, dataset_tokenizer, rows=ROWS)
    with pytest.raises(StagePluginError) as info:
        staged.plan(8)
    assert str(copy / "arrow/mnemo") in one_line(info)


def test_a_build_missing_a_whole_stage_names_it(copy, dataset_tokenizer):
    shutil.rmtree(copy / "arrow/bridge")
    shutil.rmtree(copy / "data/bridge")
    drop_file_records(copy)
    staged = StagedLoRA.from_dataset(copy, dataset_tokenizer, rows=ROWS)
    with pytest.raises(StagePluginError) as info:
        staged.plan(8)
    assert "stage 'bridge'" in one_line(info) and "data/bridge" in one_line(info)


# --- empty stages and impossible sizes ---------------------------------------------------

def test_an_empty_parquet_stage_is_the_plugins_error(tmp_path, dataset_tokenizer):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"prompt": pa.array([], pa.string()),
                             "completion": pa.array([], pa.string())}), path)
    staged = StagedLoRA([Stage("mine", data=path)], dataset_tokenizer, format="prompt")
    with pytest.raises(StagePluginError) as info:
        staged.plan(8)
    assert "stage 'mine'" in one_line(info) and "no rows" in one_line(info)


@pytest.mark.parametrize("budget", [{"rows": 10**13}, {"epochs": 1e12}, {"tokens": 10**15}])
def test_a_budget_too_big_for_memory_is_refused_before_allocating(published_dataset,
                                                                  dataset_tokenizer, budget):
    staged = StagedLoRA([Stage("mnemo", **budget)], dataset_tokenizer,
                        source=published_dataset)
    with pytest.raises(StagePluginError) as info:
        staged.plan(8)
    assert "stage 'mnemo'" in one_line(info) and "memory" in one_line(info)


def test_an_unknown_stage_in_a_per_stage_option_is_named(published_dataset, dataset_tokenizer):
    with pytest.raises(StagePluginError) as info:
        StagedLoRA.from_dataset(published_dataset, dataset_tokenizer,
                                lr={"mnemo": 1e-3, "brigde": 1e-3})
    assert "'brigde'" in one_line(info)


# --- checkpoints --------------------------------------------------------------------------

def test_an_unreadable_checkpoint_is_one_line(published_dataset, dataset_tokenizer, tmp_path):
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / CHECKPOINT_FILE.format(rank=0)).write_bytes(b"not a checkpoint")
    staged = StagedLoRA.from_dataset(published_dataset, dataset_tokenizer, rows=ROWS,
                                     lora=TINY_LORA)
    with pytest.raises(StagePluginError) as info:
        _train(staged, dataset_tokenizer, resume_from=tmp_path / "ckpt")
    assert "not a readable stepper checkpoint" in one_line(info)


def test_a_resume_on_other_data_of_the_same_size_is_refused(published_dataset,
                                                          dataset_tokenizer, tmp_path):
    import datasets

    rows = datasets.load_from_disk(str(published_dataset / "arrow/mnemo"))["train"]
    first, other = rows.select(range(ROWS)), rows.select(range(ROWS, 2 * ROWS))

    def staged_on(data):
        return StagedLoRA([Stage("mnemo", data=data)], dataset_tokenizer, lora=TINY_LORA)

    _train(staged_on(first), dataset_tokenizer, out=tmp_path / "ckpt")
    with pytest.raises(StagePluginError) as info:
        _train(staged_on(other), dataset_tokenizer, resume_from=tmp_path / "ckpt")
    assert "other data" in one_line(info)
    _train(staged_on(first), dataset_tokenizer, resume_from=tmp_path / "ckpt")  # same: fine


# --- adapters_dir -------------------------------------------------------------------------

def test_adapters_dir_never_replaces_a_users_file_or_an_adapter_silently(
        published_dataset, dataset_tokenizer, tmp_path):
    out = tmp_path / "adapters"

    def run(**kwargs):
        staged = StagedLoRA.from_dataset(published_dataset, dataset_tokenizer, rows=ROWS,
                                         lora=TINY_LORA, adapters_dir=out, **kwargs)
        _train(staged, dataset_tokenizer)

    out.mkdir()
    (out / "README.md").write_text("my notes", encoding="utf-8")
    run()
    assert (out / "README.md").read_text(encoding="utf-8") == "my notes"
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["bridge", "language", "mnemo"]
    saved = (out / "mnemo" / "adapter_model.safetensors").read_bytes()

    with pytest.raises(StagePluginError) as info:  # a second run, not asked to overwrite
        run()
    assert f"{out / 'mnemo'} already holds an adapter" in one_line(info)
    assert (out / "mnemo" / "adapter_model.safetensors").read_bytes() == saved

    (out / "mnemo" / "my-eval.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(StagePluginError, match="my-eval.txt"):  # not even when asked
        run(overwrite_adapters=True)
    (out / "mnemo" / "my-eval.txt").unlink()

    torch.manual_seed(1)
    run(overwrite_adapters=True)
    assert (out / "mnemo" / "adapter_model.safetensors").read_bytes() != saved
    assert (out / "README.md").read_text(encoding="utf-8") == "my notes"
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


def test_a_trainer_resume_on_other_data_of_the_same_size_is_refused(published_dataset,
                                                                   dataset_tokenizer,
                                                                   tmp_path):
    import datasets
    from transformers import Trainer, TrainingArguments

    rows = datasets.load_from_disk(str(published_dataset / "arrow/mnemo"))["train"]

    def trainer_on(data, out: Path) -> Trainer:
        staged = StagedLoRA([Stage("mnemo", data=data)], dataset_tokenizer, lora=TINY_LORA)
        model = staged.wrap(tiny_model(dataset_tokenizer))
        args = TrainingArguments(output_dir=str(out), per_device_train_batch_size=8,
                                 save_strategy="steps", save_steps=1, report_to=[],
                                 use_cpu=True, disable_tqdm=True, lr_scheduler_type="constant")
        trainer = Trainer(model=model, args=args, train_dataset=staged.train_dataset,
                          data_collator=staged.collator)
        staged.attach(trainer)
        return trainer

    trainer_on(rows.select(range(ROWS)), tmp_path / "a").train()
    other = trainer_on(rows.select(range(ROWS, 2 * ROWS)), tmp_path / "b")
    with pytest.raises(StagePluginError, match="made on other data"):
        other.train(resume_from_checkpoint=str(tmp_path / "a" / "checkpoint-1"))
