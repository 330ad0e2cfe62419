"""Knowing against guessing: the forced choice and recall's shuffled chance control."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from experiments.knowledge import (
    ChoiceItem,
    choice_candidates,
    choice_hits,
    control_order,
    forced_choice,
)
from tests.test_experiment import run

K = 4
torch.set_num_threads(1)  # tiny models: one thread is fastest on a shared machine


def test_control_order_is_a_derangement_within_each_language():
    langs = ["ru"] * 7 + ["en"] * 5 + ["th"] * 2
    order = control_order(langs, seed=3)
    assert sorted(order) == list(range(len(langs)))  # a permutation
    assert all(order[i] != i for i in range(len(langs)))  # never a row's own words
    assert all(langs[order[i]] == langs[i] for i in range(len(langs)))
    assert control_order(langs, seed=3) == order  # seeded


def test_choice_hits_needs_the_gold_strictly_best():
    items = [ChoiceItem(0, 3, True, "ru>ru"), ChoiceItem(3, 3, False, "en>ru")]
    assert choice_hits(np.array([1.0, 2.0, 3.0, 5.0, 4.0, 6.0]), items).tolist() == [1, 0]
    assert choice_hits(np.array([1.0, 1.0, 3.0, 1.0, 2.0, 2.0]), items).tolist() == [0, 1]


@pytest.fixture(scope="module")
def candidates(small_build):
    """Forced-choice candidates of 40 mnemo rows of the shared small build."""
    from datasets import load_from_disk

    from mnemophrase.corpusgen.cache import cached_forms
    from mnemophrase.corpusgen.contract import ARROW_DIR
    from mnemophrase.corpusgen.lang import get_language
    from mnemophrase.corpusgen.lexicon import load_lexicon

    rows = load_from_disk(str(small_build / ARROW_DIR / "mnemo"))["train"].select(range(40))
    rows = rows.to_list()
    lex = load_lexicon(None, ["ru", "en", "th"])
    pos = lex.concepts["pos"].to_list()
    forms = {lang: cached_forms(get_language(lang), lex.word_rows(lang), pos)
             for lang in lex.words}
    concepts = {r["concept"]: {"index": i, "field": r["field"], "pos": r["pos"]}
                for i, r in enumerate(lex.concepts.select("concept", "field", "pos").to_dicts())}
    trained = set(concepts)
    cands, items = choice_candidates(rows, forms, concepts, trained, K, seed=0)
    return rows, cands, items, concepts


def _diff_span(a: str, b: str) -> tuple[int, int, int]:
    """Start and the ends in a and b of the one span where two strings differ."""
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end_a, end_b = len(a), len(b)
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a, end_b = end_a - 1, end_b - 1
    return start, end_a, end_b


def test_distractors_replace_one_word_and_never_repeat_the_gold(candidates):
    rows, cands, items, _ = candidates
    gold_of = {r["completion"]: r for r in rows}
    # most constituents of most rows make an item, in every gloss language
    assert len(items) >= len(rows)
    assert {p.split(">")[1] for p in (it.pair for it in items)} == {"ru", "en", "th"}
    for it in items:
        group = cands[it.start: it.start + it.size]
        assert it.size == K + 1
        gold = group[0]["completion"]
        row = gold_of[gold]
        assert it.spelled == (it.pair.split(">")[0] == row["lang"])
        seen = {gold}
        for d in group[1:]:
            text = d["completion"]
            assert text not in seen  # no distractor is the gold gloss, none repeats
            seen.add(text)
            assert d["prompt"] == row["prompt"]
            assert d["messages"][-1] == {"role": "assistant", "content": text}
            assert d["messages"][:-1] == row["messages"][:-1]
            # one word (with the preposition a place phrase keeps) swapped, the rest kept
            start, end_gold, end_text = _diff_span(gold, text)
            assert end_gold - start <= 24 and end_text - start <= 24
            assert len(gold) - (end_gold - start) >= 3


def test_a_model_that_knows_the_glosses_wins_the_choice_and_ties_lose_it(candidates):
    """A tiny model trained on the gold glosses picks them; untrained it is near chance;
    a distractor equal to the gold (a broken choice) never counts as a hit."""
    from mnemophrase.basemodel import char_tokenizer, tiny_llama
    from mnemophrase.train_plugin import RowEncoder

    _, cands, items, _ = candidates
    items = items[:12]
    cands_used = [c for it in items for c in cands[it.start: it.start + it.size]]
    items = [ChoiceItem(i * (K + 1), K + 1, it.spelled, it.pair) for i, it in enumerate(items)]
    texts = [m["content"] for c in cands_used for m in c["messages"]]
    tok = char_tokenizer(texts, bos=False, chat=True)
    torch.manual_seed(0)
    model = tiny_llama(len(tok), seed=0)
    before = forced_choice(model, tok, cands_used, items)

    gold = [cands_used[it.start] for it in items]
    ids, labels = RowEncoder(tok, "chat").encode(
        {c: [g[c] for g in gold] for c in ("messages", "prompt", "completion")})
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    model.train()
    for step in range(30 * len(gold)):
        i = step % len(gold)
        loss = model(input_ids=torch.tensor([ids[i]]), labels=torch.tensor([labels[i]])).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    after = forced_choice(model, tok, cands_used, items)
    assert after.mean() >= 0.9 > before.mean()

    broken = [c for it in items for c in [cands_used[it.start]] * it.size]
    assert forced_choice(model, tok, broken, items).sum() == 0


def test_quick_core_only_run_reports_knowledge_and_a_learning_curve(tmp_path):
    out = tmp_path / "out"
    proc = run("--quick", "--core-only", "--rows", "32", "--curve", "8,16", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    units = {p.stem: json.loads(p.read_text(encoding="utf-8"))
             for p in (out / "units").glob("*.json")}
    assert sorted(units) == ["base-chat", "root-core-chat-s0", "root-core-chat-s1"]
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))
    items = res["data"]["choice_items"]
    core = units["root-core-chat-s0"]
    assert [p["rows"] for p in core["curve_points"]] == [8, 16]
    for m in (core["points"][0]["measures"]["core"], units["base-chat"]["points"][0]["measures"]
              ["none"]):
        assert len(m["choice"]["hits"]) == items > 0
        assert m["choice"]["chance"] == pytest.approx(1 / 5)
        rec = m["recall"]
        assert sum(rec["control_words"]) > 0
        assert len(rec["control_words"]) == len(rec["words"])
    # the exposures of each curve point grow with its rows
    curve = res["learning_curve"]
    assert [p["rows"] for p in curve] == [8, 16, 32]
    means = [p["exposures"]["mean"] for p in curve]
    assert means == sorted(means) and means[0] < means[-1]
    md = (out / "results.md").read_text(encoding="utf-8")
    assert "## Knowing or guessing" in md and "## Learning curve" in md
    assert (out / "learning_curve.png").read_bytes()[:4] == b"\x89PNG"


def test_exposures_count_every_word_of_the_training_lexicon():
    import polars as pl

    from experiments.data import exposures

    lex = SimpleNamespace(words={"ru": pl.DataFrame({"concept": ["a", "b", "c"]}),
                                 "en": pl.DataFrame({"concept": ["a", "b", "c"]})})

    rows = [{"constituents": [{"concept": "a", "lang": "ru"}, {"concept": "b", "lang": "en"}]},
            {"constituents": [{"concept": "a", "lang": "ru"}, {"concept": "c", "lang": "ru"}]}]
    e = exposures(rows, lex, {"a", "b"})  # c is held out: not a word of the training lexicon
    assert e["words"] == 4 and e["never"] == 2 and e["max"] == 2 and e["min"] == 0


def test_min_occurrences_reaches_the_training_build(tmp_path):
    """--min-occurrences K: every word of the training lexicon occurs at least K times in
    the training build's mnemo stage (corpusgen's balanced draw), as its stats record."""
    out = tmp_path / "out"
    proc = run("--quick", "--core-only", "--seeds", "0", "--rows", "32", "--scenes", "400",
               "--min-occurrences", "3", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    stats = json.loads((out / "data" / "build-train" / "stats.json").read_text("utf-8"))
    assert stats["exposure"]["balanced"] and stats["exposure"]["mnemo"]["min"] >= 3
    assert "--min-occurrences" in (out / "log.txt").read_text("utf-8")


def _choice_scores(cands, patch=None):
    """(the experiment's batched scores of `cands`, gloss_nll's one-row scores, evaluator)."""
    from experiments.knowledge import gloss_nll
    from experiments.measure import CHOICE, Evaluator
    from experiments.units import NONE
    from mnemophrase.basemodel import char_tokenizer, tiny_llama

    texts = [m["content"] for c in cands for m in c["messages"]] + ["You help."]
    tok = char_tokenizer(texts, bos=False, chat=True)
    model = tiny_llama(len(tok), seed=1).eval()
    data = SimpleNamespace(sets={}, choice_rows=cands)
    sizes = SimpleNamespace(max_length=None, system="You help.", eval_tokens=512)
    ev = Evaluator(tok, data, "chat", sizes, "cpu")
    batched = ev.losses(model, [(NONE, (CHOICE,))], None)[NONE.name][CHOICE]["nll"]
    return batched, gloss_nll(model, tok, cands, system="You help."), ev


def test_the_experiments_batched_choice_scores_equal_forced_choices_own(candidates):
    """The experiment scores the candidates flattened, each prompt run once for all the
    candidates that share it (Evaluator.losses); a user scores them one row at a time
    (gloss_nll): the same sums, so the same choice."""
    from experiments.measure import CHOICE
    from experiments.shared_prefix import PromptGroups

    cands = candidates[1][: 8 * (K + 1)]
    batched, alone, ev = _choice_scores(cands)
    assert ev.grouping_ok is True and ev.prefix_ok is True
    np.testing.assert_allclose(batched, alone, rtol=0, atol=3e-4)  # float sums alike
    assert len(set(np.round(alone, 3))) > len(alone) // 2  # real, distinct scores
    ids, labels, _ = ev.sets[CHOICE]
    packed = PromptGroups(ids, labels, 512, "sdpa")
    assert packed.tokens < 0.6 * sum(map(len, ids))  # each prompt once


def test_a_mask_that_lets_candidates_see_each_other_falls_back_to_rows(candidates,
                                                                       monkeypatch):
    from experiments import shared_prefix

    def causal(segment, parent, prefix, attn):  # every earlier token: other candidates too
        t = segment.shape[0]
        return torch.tril(torch.ones(t, prefix + t, dtype=torch.bool), diagonal=prefix)[None,
                                                                                          None]

    monkeypatch.setattr(shared_prefix, "tree_mask", causal)
    batched, alone, ev = _choice_scores(candidates[1][: 8 * (K + 1)])
    assert ev.grouping_ok is False
    np.testing.assert_allclose(batched, alone, rtol=0, atol=3e-4)  # float sums alike
