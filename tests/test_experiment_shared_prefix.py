"""Measuring a set whose rows share their first tokens: the prefix runs once per adapter
combination, and every row's losses and KL are those of its whole row."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from experiments import shared_prefix
from experiments.measure import Combo, Evaluator
from experiments.shared_prefix import shared_prefix_length
from mnemophrase.basemodel import char_tokenizer, tiny_llama
from mnemophrase.train_plugin.adapters import add_stage_adapters

CORE = "mnemo"
PLAN_COMBOS = [Combo(True, 1.0), Combo(True, 0.5), Combo(False, 1.0)]
WORDS = ["river sorrow", "light over the sea", "a door", "the sprout near a sick door",
         "wind", "snow and torch", "a long and quiet evening by the water", "stone"]


def test_the_prefix_stops_before_the_first_labelled_token():
    ids = [[5, 6, 7, 8, 9, 1], [5, 6, 7, 8, 2, 2, 2], [5, 6, 7, 8, 9, 9]]
    labels = [[-100] * 5 + [1], [-100] * 6 + [2], [-100] * 5 + [9]]
    assert shared_prefix_length(ids, labels) == 4  # all four shared tokens
    labels[0] = [-100, -100, -100, 8, 9, 1]  # a row labelled from its 4th token
    assert shared_prefix_length(ids, labels) == 2  # position 2 predicts it: not shared
    assert shared_prefix_length([[1, 2], [3, 4]], [[-100, 2], [-100, 4]]) == 0


def _evaluator(model, tok, eval_tokens: int = 96):
    rows = [{"messages": [{"role": "user", "content": f"Gloss this hyperword: {w}"},
                          {"role": "assistant", "content": w[::-1]}],
             "prompt": f"gloss: {w}\n", "completion": w[::-1]} for w in WORDS]
    data = SimpleNamespace(sets={"gloss_seen": SimpleNamespace(
        rows=rows, targets=[r["completion"] for r in rows])}, choice_rows=[])
    sizes = SimpleNamespace(max_length=200, system="You help.", eval_tokens=eval_tokens)
    return Evaluator(tok, data, "chat", sizes, "cpu")


def _model_and_tokenizer():
    texts = WORDS + [w[::-1] for w in WORDS] + ["Gloss this hyperword: You help.gloss:\n"]
    tok = char_tokenizer(texts, bos=False, chat=True)
    lora = {"r": 4, "lora_alpha": 8, "lora_dropout": 0.0,
            "target_modules": ["q_proj", "v_proj", "down_proj"], "layers_to_transform": [2, 3]}
    model = add_stage_adapters(tiny_llama(len(tok), layers=4, seed=0), [CORE, "language"], lora)
    with torch.no_grad():  # as if trained: the combinations differ
        gen = torch.Generator().manual_seed(0)
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.5)
    return model.eval(), tok


def _losses(ev, model):
    plan = [(c, ("gloss_seen",)) for c in PLAN_COMBOS]
    return ev.losses(model, plan, CORE, kl_reference=Combo(True, 0.0))


def test_shared_prefix_losses_and_kl_equal_whole_rows():
    model, tok = _model_and_tokenizer()
    shared, whole = _evaluator(model, tok), _evaluator(model, tok)
    whole.prefix_ok = False  # every row run whole
    got, want = _losses(shared, model), _losses(whole, model)
    assert shared.prefix_ok is True
    ids, labels, _ = shared.sets["gloss_seen"]
    assert shared_prefix_length(ids, labels) > 10  # the template, system turn and task words
    for combo in PLAN_COMBOS:
        g, w = got[combo.name]["gloss_seen"], want[combo.name]["gloss_seen"]
        assert g["tokens"] == w["tokens"] and sum(w["tokens"]) > 0
        np.testing.assert_allclose(g["nll"], w["nll"], rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(g["kl"], w["kl"], rtol=1e-3, atol=1e-5)
    # the combinations really differ, so equal figures are not one combination's repeated
    assert not np.allclose(got[PLAN_COMBOS[0].name]["gloss_seen"]["nll"],
                           got[PLAN_COMBOS[2].name]["gloss_seen"]["nll"])


def test_an_attention_that_ignores_the_prefix_mask_falls_back_to_whole_rows(monkeypatch):
    model, tok = _model_and_tokenizer()
    want = _losses(_evaluator(model, tok), model)

    def wrong_mask(position_ids, prefix, attn):  # rows see each other: not the whole rows
        t = position_ids.shape[1]
        return torch.tril(torch.ones(t, prefix + t, dtype=torch.bool), diagonal=prefix)[None, None]

    monkeypatch.setattr(shared_prefix, "remainder_mask", wrong_mask)
    ev = _evaluator(model, tok)
    got = _losses(ev, model)
    assert ev.prefix_ok is False
    for combo in PLAN_COMBOS:
        np.testing.assert_allclose(got[combo.name]["gloss_seen"]["nll"],
                                   want[combo.name]["gloss_seen"]["nll"], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_the_remainder_mask_sees_the_prefix_and_its_own_row(attn):
    positions = torch.tensor([[0, 1, 2, 0, 1]])
    mask = shared_prefix.remainder_mask(positions, 2, attn)[0, 0]
    seen = mask if attn == "sdpa" else mask == 0
    assert seen[:, :2].all()  # the prefix, by every token
    own = seen[:, 2:]
    assert own[2].tolist() == [True, True, True, False, False]
    assert own[3].tolist() == [False, False, False, True, False]  # a new row: not the first


def test_packed_candidates_see_their_prompt_and_themselves_not_each_other():
    # two rows sharing the prompt [7, 8, 9] (labels from index 3), packed as
    # [7, 8] + [9, 1, 2] + [9, 3]: the prompt's last token repeated before each remainder
    ids = [[7, 8, 9, 1, 2], [7, 8, 9, 3]]
    labels = [[-100, -100, -100, 1, 2], [-100, -100, -100, 3]]
    groups = shared_prefix.PromptGroups(ids, labels, budget=100, attn="sdpa")
    assert len(groups.packed) == 1 and groups.tokens == 7
    batch = groups.batch(range(1), prefix=0, device="cpu")
    assert batch["inputs"]["input_ids"][0].tolist() == [7, 8, 9, 1, 2, 9, 3]
    assert batch["inputs"]["position_ids"][0].tolist() == [0, 1, 2, 3, 4, 2, 3]
    assert batch["labels"][0].tolist() == [-100, -100, -100, 1, 2, -100, 3]
    assert batch["origin"].tolist() == [-1, -1, 0, 0, 0, 1, 1]
    seen = batch["inputs"]["attention_mask"][0, 0]
    assert seen[5].tolist() == [True, True, False, False, False, True, False]  # not row 0
    assert seen[4].tolist() == [True, True, True, True, True, False, False]
    # a budget too small for both: a second packed row repeats the prompt
    assert len(shared_prefix.PromptGroups(ids, labels, budget=5, attn="sdpa").packed) == 2
