"""Ways to keep the core: replay, keep_core, core dropout — and frozen staying frozen.

Plain-loop runs of a tiny random Llama over the shared small build; the earlier stages are
short, so every later stage has enough steps for the shares to be exact.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from train_fixtures import TINY_LORA, tiny_model

from mnemophrase.train_plugin import Protection, Stage, StagedLoRA, StagePluginError
from mnemophrase.train_plugin.adapters import active_adapters, adapter_parameters

pytest_plugins = ["train_fixtures"]  # published_dataset, dataset_tokenizer

ROWS = 32
BATCH = 4
ALL_ON = {"replay": 0.25, "keep_core": 1.0, "core_dropout": 0.5}


def _staged(published_dataset, tok, seed=0, **protection):
    return StagedLoRA.from_dataset(
        published_dataset, tok, rows=ROWS, lora=TINY_LORA, seed=seed,
        protection=Protection(**protection),
    )


def _train(
    staged, tok, lr=5e-3, on_step=None, resume_from=None, stop_after=None, save=None, after=None
):
    torch.manual_seed(0)
    model = staged.wrap(tiny_model(tok))
    optimizer = torch.optim.AdamW(staged.parameters(model), lr=lr, weight_decay=0.0)
    steps = staged.steps(model, optimizer, batch_size=BATCH, resume_from=resume_from)
    for step in steps:
        if on_step is not None:
            on_step(step, model)
        for batch in step.batches:
            (model(**batch).loss / len(step.batches)).backward()
        optimizer.step()
        optimizer.zero_grad()
        if after is not None:
            after(step, model)
        if save is not None and step.index + 1 == stop_after:
            steps.save_checkpoint(save)
            return model
    return model


def _stage_of(staged) -> dict[int, str]:
    return {r: name for name, rows in staged.stage_rows for r in rows}


def test_replay_share_and_order(published_dataset, dataset_tokenizer):
    staged = _staged(published_dataset, dataset_tokenizer, replay=0.25)
    plan = staged.plan(BATCH)
    stage_of = _stage_of(staged)
    seen = {}
    for span in plan.spans:
        own = earlier = 0
        for step in range(span.start, span.end):
            (mb,) = plan.micro_batches(step, 0)
            mine = [stage_of[r] == span.name for r in mb]
            # the stage's own rows first, then the replayed ones, each from an earlier stage
            assert mine == [True] * (len(mb) - mb.earlier) + [False] * mb.earlier
            assert all(
                stage_of[r] in [s.name for s in plan.spans][: plan.spans.index(span)]
                for r in mb[len(mb) - mb.earlier :]
            )
            assert mb.learn_earlier == (span.name != "mnemo") and not mb.keep_core
            own += len(mb) - mb.earlier
            earlier += mb.earlier
            seen.setdefault(span.name, []).extend(mb[len(mb) - mb.earlier :])
        assert own == ROWS  # replay adds rows; the stage still reads each of its own once
        if span.name == "mnemo":
            assert earlier == 0
        else:
            assert earlier == round(ROWS * 0.25 / 0.75)
            assert earlier / (own + earlier) == pytest.approx(0.25, abs=0.01)
    # the language stage replays both earlier stages; nobody replays a row twice per pass
    assert {stage_of[r] for r in seen["language"]} == {"mnemo", "bridge"}
    assert len(set(seen["bridge"])) == len(seen["bridge"])
    # deterministic: same seed, same rows in the same order; another seed, another order
    again = _staged(published_dataset, dataset_tokenizer, replay=0.25).plan(BATCH)
    assert again.chunks == plan.chunks and again.fingerprint == plan.fingerprint
    other = _staged(published_dataset, dataset_tokenizer, replay=0.25, seed=1).plan(BATCH)
    assert other.chunks != plan.chunks


def test_replayed_rows_train_through_the_new_adapter(published_dataset, dataset_tokenizer):
    """Replayed rows keep their labels; rows only keep_core sees carry none."""
    staged = _staged(published_dataset, dataset_tokenizer, replay=0.25, keep_core=1.0)
    plan = staged.plan(BATCH)
    (mb,) = plan.micro_batches(plan.spans[1].start, 0)
    items = staged.dataset.__getitems__(mb)
    replayed = items[len(items) - mb.earlier :]
    assert replayed and all(it["labels"] == it["keep_core_labels"] for it in replayed)
    only_kl = _staged(published_dataset, dataset_tokenizer, keep_core=1.0)
    (mb,) = only_kl.plan(BATCH).micro_batches(plan.spans[1].start, 0)
    items = only_kl.dataset.__getitems__(mb)
    kl_rows = items[len(items) - mb.earlier :]
    assert kl_rows and all(set(it["labels"]) == {-100} for it in kl_rows)
    assert all(any(v != -100 for v in it["keep_core_labels"]) for it in kl_rows)


def test_core_dropout_switches_the_core_off_on_the_chosen_share(
    published_dataset, dataset_tokenizer
):
    staged = _staged(published_dataset, dataset_tokenizer, core_dropout=0.5)
    record = []

    def on_step(step, model):
        record.append((step.stage, step.core_off, "mnemo" in active_adapters(model)))

    model = _train(staged, dataset_tokenizer, on_step=on_step)
    for name in ("bridge", "language"):
        flags = [(off, core_on) for stage, off, core_on in record if stage == name]
        assert sum(off for off, _ in flags) == round(0.5 * len(flags)) > 0
        assert all(core_on != off for off, core_on in flags)  # off means really off
    assert not any(off for stage, off, _ in record if stage == "mnemo")
    assert "mnemo" in active_adapters(model)  # the run ends with the core on
    # seeded: the same steps again
    again = _staged(published_dataset, dataset_tokenizer, core_dropout=0.5).plan(BATCH)
    assert again.core_off == staged.plan(BATCH).core_off


def _kl_core_vs_full(staged, model, published_dataset) -> float:
    """KL(core alone || model) on the gloss positions of validation mnemo rows."""
    from datasets import load_from_disk

    from mnemophrase.train_plugin import set_active_adapters
    from mnemophrase.train_plugin.batching import PaddingCollator

    rows = load_from_disk(str(published_dataset / "arrow" / "mnemo"))["validation"].select(
        range(16)
    )
    ids, labels = staged.encoder().encode({c: rows[c] for c in ("prompt", "completion")})
    batch = PaddingCollator(0)([{"input_ids": i, "labels": lab} for i, lab in zip(ids, labels)])
    mask = (batch.pop("labels") != -100)[:, 1:]
    model.eval()
    with torch.no_grad():
        full = model(**batch).logits
        set_active_adapters(model, ["mnemo"])
        core = model(**batch).logits
    p, q = core[:, :-1][mask].log_softmax(-1), full[:, :-1][mask].log_softmax(-1)
    return float(torch.nn.functional.kl_div(q, p, log_target=True, reduction="batchmean"))


def test_a_large_keep_core_weight_leaves_the_cores_outputs_unchanged(
    published_dataset, dataset_tokenizer
):
    """Without keep_core the language adapter moves the outputs on gloss prompts away from
    the core's; with a large weight it barely moves them."""

    def run(weight):
        stages = [Stage("mnemo", rows=ROWS), Stage("language", rows=64, lr=2e-2)]
        staged = StagedLoRA(
            stages, dataset_tokenizer, source=published_dataset, lora=TINY_LORA,
            protection=Protection(keep_core=weight),
        )
        model = _train(staged, dataset_tokenizer)
        return _kl_core_vs_full(staged, model, published_dataset)

    free, kept = run(0.0), run(100.0)
    print(f"KL core vs core+language on gloss prompts: free {free:.4f}, keep_core {kept:.4f}")
    assert free > 0.008  # measured 0.016 (the language stage does move the gloss outputs)
    assert kept < free / 5  # measured 0.001


def _core_state(model):
    params = adapter_parameters(model)["mnemo"]
    return [p.detach().clone() for p in params]


def test_frozen_means_frozen_with_every_option_on(published_dataset, dataset_tokenizer):
    staged = _staged(published_dataset, dataset_tokenizer, **ALL_ON)
    snapshot = {}

    def on_step(step, model):
        if step.stage == "bridge" and "core" not in snapshot:
            snapshot["core"] = _core_state(model)  # the core as its stage left it
        if step.stage == "language" and "bridge" not in snapshot:
            snapshot["bridge"] = [p.detach().clone() for p in adapter_parameters(model)["bridge"]]

    model = _train(staged, dataset_tokenizer, lr=2e-2, on_step=on_step)
    after = _core_state(model)
    assert len(after) == len(snapshot["core"]) > 0
    assert all(torch.equal(a, b) for a, b in zip(after, snapshot["core"]))
    bridge = adapter_parameters(model)["bridge"]
    assert all(torch.equal(a, b) for a, b in zip(bridge, snapshot["bridge"]))
    lang = adapter_parameters(model)["language"]
    assert any(p.abs().sum() > 0 for p in lang)  # and the language adapter did learn


def test_an_evaluation_between_steps_leaves_training_as_it_was(
    published_dataset, dataset_tokenizer
):
    """A script that looks at the model between steps (core off, adapter weights) and goes on
    training gets the same weights as one that never looked."""
    from mnemophrase.train_plugin import generate_gloss, set_active_adapters, set_adapter_weights

    def look(step, model):
        if step.index % 3 == 0:
            set_adapter_weights(model, {"mnemo": 0.0, "language": 0.5})
        elif step.index % 3 == 1:
            set_active_adapters(model, [])
            generate_gloss(model, dataset_tokenizer, ["вода"], lang="ru", max_new_tokens=2)

    plain = _train(_staged(published_dataset, dataset_tokenizer, **ALL_ON), dataset_tokenizer)
    looked = _train(
        _staged(published_dataset, dataset_tokenizer, **ALL_ON), dataset_tokenizer, after=look
    )
    for name, params in adapter_parameters(plain).items():
        for a, b in zip(params, adapter_parameters(looked)[name]):
            torch.testing.assert_close(b, a, rtol=0, atol=1e-6, msg=name)


@pytest.mark.parametrize("option", ["replay", "keep_core", "core_dropout", "all"])
def test_resume_mid_stage_with_each_option_equals_uninterrupted(
    published_dataset, dataset_tokenizer, tmp_path, option
):
    kw = ALL_ON if option == "all" else {option: ALL_ON[option]}
    full = _train(_staged(published_dataset, dataset_tokenizer, **kw), dataset_tokenizer)
    staged = _staged(published_dataset, dataset_tokenizer, **kw)
    middle = staged.plan(BATCH).spans[2].start + 2  # inside the language stage
    _train(staged, dataset_tokenizer, stop_after=middle, save=tmp_path / "ckpt")
    resumed = _train(
        _staged(published_dataset, dataset_tokenizer, **kw),
        dataset_tokenizer,
        resume_from=tmp_path / "ckpt",
    )
    for name, params in adapter_parameters(full).items():
        for a, b in zip(params, adapter_parameters(resumed)[name]):
            torch.testing.assert_close(b, a, rtol=0, atol=1e-6, msg=name)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"replay": 1.0}, r"replay must be in \[0, 1\)"),
        ({"replay": -0.1}, r"replay must be in \[0, 1\)"),
        ({"keep_core": -1}, "keep_core must be a weight >= 0"),
        ({"keep_core": float("nan")}, "keep_core must be a number"),
        ({"core_dropout": 1.5}, r"core_dropout must be in \[0, 1\]"),
        ({"replay": "lots"}, "replay must be a number"),
        ({"core_dropout": True}, "core_dropout must be a number"),
    ],
)
def test_a_bad_protection_is_one_clear_sentence(kwargs, message):
    """Refused where it is made, before any dataset or model is touched."""
    with pytest.raises(StagePluginError, match=message) as refused:
        Protection(**kwargs)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"protection": {"replay": 0.25}},
         "protection must be a mnemophrase.train_plugin.Protection"),
        ({"max_length": 1}, "max_length must be an integer >= 2"),
    ],
)
def test_bad_options_are_one_clear_sentence(published_dataset, dataset_tokenizer, kwargs, message):
    with pytest.raises(StagePluginError, match=message):
        StagedLoRA.from_dataset(published_dataset, dataset_tokenizer, **kwargs)


@pytest.mark.parametrize(
    "stages, message",
    [
        ([Stage("mnemo", protection=Protection(replay=0.2))],
         "runs first: there are no earlier rows"),
        ([Stage("mnemo", protection=Protection(keep_core=1.0)), Stage("language")],
         "runs first"),
        ([Stage("language", protection=Protection(core_dropout=0.5)), Stage("mnemo")],
         "core_dropout needs the core"),
    ],
)
def test_options_where_they_mean_nothing_are_refused(
    published_dataset, dataset_tokenizer, stages, message
):
    with pytest.raises(StagePluginError, match=message):
        StagedLoRA(stages, dataset_tokenizer, source=published_dataset)


def test_run_wide_options_skip_the_stages_they_cannot_apply_to(
    published_dataset, dataset_tokenizer
):
    staged = StagedLoRA.from_dataset(
        published_dataset, dataset_tokenizer, regime="reverse", protection=Protection(**ALL_ON)
    )
    by_name = {s.name: s for s in staged.stages}
    assert not by_name["language"].protection  # first: nothing to replay, keep or drop
    assert by_name["mnemo"].protection == Protection(replay=0.25, keep_core=1.0)
    assert all(s.protection.core_dropout == 0.0 for s in staged.stages)  # the core trains last
    assert np.isclose(
        _staged(published_dataset, dataset_tokenizer, **ALL_ON).stages[2].protection.core_dropout,
        0.5,
    )


def test_a_stages_own_protection_replaces_the_runs(published_dataset, dataset_tokenizer):
    stages = [Stage("mnemo"), Stage("bridge"),
              Stage("language", protection=Protection(core_dropout=0.5))]
    staged = StagedLoRA(stages, dataset_tokenizer, source=published_dataset,
                        protection=Protection(replay=0.25, keep_core=1.0))
    assert [s.protection for s in staged.stages] == [
        Protection(), Protection(replay=0.25, keep_core=1.0), Protection(core_dropout=0.5)]
    with pytest.raises(StagePluginError, match="stage 'bridge': protection must be a"):
        Stage("bridge", protection={"replay": 0.25})
