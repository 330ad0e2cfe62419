"""Schedules, budgets and the batch plan: pure logic, no model."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mnemophrase.train_plugin import Stage, StagePluginError, StageSchedule, read_stage_order
from mnemophrase.train_plugin.batching import BatchPlan
from mnemophrase.train_plugin.data import select_rows
from mnemophrase.train_plugin.lr import stage_lr

pytest_plugins = ["train_fixtures"]  # published_dataset, dataset_tokenizer


def test_import_is_light():
    code = (
        "import sys, mnemophrase.train_plugin; print(sorted(m for m in ('torch', 'transformers', "
        "'peft', 'datasets') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_stage_order_comes_from_the_published_dataset(published_dataset, tmp_path):
    assert read_stage_order(published_dataset) == ["mnemo", "bridge", "language"]
    # without stats.json the card's YAML header says it
    (tmp_path / "README.md").write_text((published_dataset / "README.md").read_text())
    assert read_stage_order(tmp_path) == ["mnemo", "bridge", "language"]
    (tmp_path / "stats.json").write_text(json.dumps({"stage_order": ["bridge", "mnemo"]}))
    assert read_stage_order(tmp_path) == ["bridge", "mnemo"]


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "not a published mnemo dataset"),
        ("---\nconfigs: [\n---\n", "README.md:"),
    ],
)
def test_unreadable_datasets_are_named(tmp_path, content, message):
    if content is not None:
        (tmp_path / "README.md").write_text(content)
    with pytest.raises(StagePluginError, match=message):
        read_stage_order(tmp_path)
    with pytest.raises(StagePluginError, match="no such dataset folder"):
        read_stage_order(tmp_path / "missing")


def test_regimes_order_the_stages(published_dataset):
    seq = StageSchedule.from_dataset(published_dataset)
    assert [s.name for s in seq.ordered()] == ["mnemo", "bridge", "language"]
    assert seq.adapters() == ["mnemo", "bridge", "language"]
    rev = StageSchedule.from_dataset(published_dataset, regime="reverse")
    assert [s.name for s in rev.ordered()] == ["language", "bridge", "mnemo"]
    mixed = StageSchedule.from_dataset(published_dataset, regime="mixed", lr={"mnemo": 1e-3})
    (only,) = mixed.ordered()
    assert only.name == "mixed" and [s.name for s in only.mix] == ["mnemo", "bridge", "language"]
    assert only.lr == 1e-3 and mixed.adapters() == ["mixed"]
    picked = StageSchedule.from_dataset(published_dataset, stages=["language", "mnemo"])
    assert [s.name for s in picked.ordered()] == ["language", "mnemo"]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Stage("1st"), "must start with a letter"),
        (lambda: Stage("a.b"), "must start with a letter"),
        (lambda: Stage("a", rows=3, tokens=5), "one of rows, epochs, tokens"),
        (lambda: Stage("a", rows=0), "rows must be positive"),
        (lambda: Stage("a", lr=-1.0), "lr must be positive"),
        (lambda: StageSchedule((Stage("a"), Stage("a"))), "unique"),
        (lambda: StageSchedule((Stage("a"),), regime="shuffled"), "not one of"),
    ],
)
def test_bad_schedules_say_what_is_wrong(make, message):
    with pytest.raises(StagePluginError, match=message):
        make()


def test_unknown_stage_names_the_ones_that_exist(published_dataset):
    with pytest.raises(StagePluginError, match="no stage 'poetry' .has mnemo, bridge, language"):
        StageSchedule.from_dataset(published_dataset, stages=["poetry"])


def test_budgets_select_rows_in_order_and_wrap():
    lengths = np.array([10, 20, 30, 40])
    assert select_rows(Stage("a"), lengths).tolist() == [0, 1, 2, 3]
    assert select_rows(Stage("a", rows=6), lengths).tolist() == [0, 1, 2, 3, 0, 1]
    assert select_rows(Stage("a", epochs=1.5), lengths).tolist() == [0, 1, 2, 3, 0, 1]
    # tokens: the shortest prefix reaching the budget
    assert select_rows(Stage("a", tokens=30), lengths).tolist() == [0, 1]
    assert select_rows(Stage("a", tokens=31), lengths).tolist() == [0, 1, 2]
    assert select_rows(Stage("a", tokens=110), lengths).tolist() == [0, 1, 2, 3, 0]


class _S:  # the bits of a Stage the plan reads
    def __init__(self, name, lr=None):
        self.name, self.adapter_name, self.lr = name, name, lr


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 60), min_size=1, max_size=4),
    batch=st.integers(1, 9),
    accum=st.integers(1, 3),
    world=st.integers(1, 4),
)
def test_plan_gives_every_row_to_exactly_one_rank_once(sizes, batch, accum, world):
    stage_rows, start = [], 0
    for i, n in enumerate(sizes):
        stage_rows.append((_S(f"s{i}"), np.arange(start, start + n)))
        start += n
    if min(sizes) < world * accum:
        with pytest.raises(StagePluginError, match="need at least"):
            BatchPlan(stage_rows, batch_size=batch, grad_accum=accum, world_size=world)
        return
    plan = BatchPlan(stage_rows, batch_size=batch, grad_accum=accum, world_size=world)
    per_rank = [plan.rows_of_rank(r) for r in range(world)]
    everything = sorted(r for rows in per_rank for r in rows)
    assert everything == list(range(start))  # none lost, none repeated
    for span, (_, rows) in zip(plan.spans, stage_rows):
        steps_rows = [
            r
            for s in range(span.start, span.end)
            for rk in range(world)
            for mb in plan.micro_batches(s, rk)
            for r in mb
        ]
        assert sorted(steps_rows) == rows.tolist()  # a step never mixes stages
        # fewest steps that fit the batch size, unless rows are too few to fill every rank
        assert span.steps == min(
            -(-len(rows) // (batch * world * accum)), len(rows) // (world * accum)
        )
    sizes_seen = [
        len(mb)
        for s in range(plan.total_steps)
        for rk in range(world)
        for mb in plan.micro_batches(s, rk)
    ]
    assert min(sizes_seen) >= 1  # no rank ever waits on an empty micro-batch
    for rank in range(world):  # the sampler yields exactly the plan, in step order
        sampler = plan.batch_sampler(rank)
        assert [r for mb in sampler for r in mb] == per_rank[rank]
        assert len(sampler) == plan.total_steps * accum


def test_plan_fingerprint_tracks_every_input():
    rows = [(_S("a"), np.arange(16)), (_S("b"), np.arange(16, 40))]
    base = BatchPlan(rows, batch_size=4).fingerprint
    assert BatchPlan(rows, batch_size=4).fingerprint == base
    assert BatchPlan(rows, batch_size=8).fingerprint != base
    assert BatchPlan(rows, batch_size=4, world_size=2).fingerprint != base
    assert BatchPlan(rows[::-1], batch_size=4).fingerprint != base
    assert BatchPlan([(_S("a", lr=1.0), rows[0][1]), rows[1]], batch_size=4).fingerprint != base


def test_each_stage_gets_its_own_warmup_and_decay():
    plan = BatchPlan(
        [(_S("a", lr=1.0), np.arange(40)), (_S("b"), np.arange(40, 80))], batch_size=4
    )  # 10 steps each
    linear = [stage_lr(plan, s, 0.5, "linear", warmup=0.2) for s in range(20)]
    assert linear[:3] == pytest.approx([1 / 3, 2 / 3, 1.0])  # warmup in stage a, peak 1.0
    assert linear[10:13] == pytest.approx([0.5 / 3, 1.0 / 3, 0.5])  # b starts over, peak 0.5
    assert all(x > 0 for x in linear)  # the last step of a stage still learns
    assert linear[9] < linear[3] and linear[19] < linear[13]
    const = [stage_lr(plan, s, 0.5, "constant") for s in range(20)]
    assert const == [1.0] * 10 + [0.5] * 10
    cos = [stage_lr(plan, s, 0.5, "cosine") for s in range(20)]
    assert cos[0] == 1.0 and cos[10] == 0.5 and cos[9] < cos[5] < cos[0]
