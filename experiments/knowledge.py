"""Telling knowing from guessing: a forced choice by likelihood and a shuffled chance control.

With a small lexicon, a model that names any word of its world in a gloss hits a gold word
by chance now and then, so greedy recall alone cannot say whether a model knows what a
hyperword means. Two measures can:

- forced choice: for each constituent of a gold gloss, the gold gloss against the same gloss
  with that word replaced, in the same inflected form, by each of k distractor words (same
  field and part of speech where the lexicon has enough, trained words only). A hit is the
  gold gloss scoring the highest total log-likelihood; chance is 1 / (k + 1).
- chance control for recall: each decoded gloss scored against the words of another
  hyperword of the same gloss language (a derangement), leaving out the words the two
  share. Recall minus this control is what naming the right words adds over naming words.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ChoiceItem:
    start: int  # index of the gold candidate in the flat candidate list
    size: int  # candidates: the gold one first, then the distractors
    spelled: bool  # the word is spelled in the gloss language inside the hyperword
    pair: str  # "<word's language>><gloss language>", e.g. "en>ru"


def concept_forms(forms, index: int) -> dict[str, str]:
    """Every form of concept `index` in one language's `Forms`: form key -> text."""
    out = {}
    for name, table in forms.plain.items():
        value = table[index]
        if isinstance(value, str) and value:
            out[name] = value
    for name, table in forms.agreeing.items():
        for klass in range(table.shape[1]):
            value = table[index, klass]
            if isinstance(value, str) and value:
                out[f"{name}/{klass}"] = value
    return out


def find_form(text: str, forms: dict[str, str], spaced: bool) -> tuple[str, int, int] | None:
    """(form key, start, end) of the longest form of a concept found in `text`."""
    for key, value in sorted(forms.items(), key=lambda kv: -len(kv[1])):
        pattern = re.escape(value)
        if spaced:
            pattern = rf"(?<!\w){pattern}(?!\w)"
        m = re.search(pattern, text, flags=re.IGNORECASE if spaced else 0)
        if m:
            return key, m.start(), m.end()
    return None


def _swap(text: str, start: int, end: int, new: str) -> str:
    old = text[start:end]
    if old[:1].isupper():
        new = new[:1].upper() + new[1:]
    return text[:start] + new + text[end:]


def choice_candidates(rows: list[dict], forms: dict[str, object], concepts: dict[str, dict],
                      trained: set[str], k: int, seed: int = 0
                      ) -> tuple[list[dict], list[ChoiceItem]]:
    """Candidate rows (gold first, then k distractors) for each constituent of each row.

    rows: gloss rows (messages, prompt, completion, lang, constituents); forms: language ->
    its `Forms` over the lexicon's concepts; concepts: concept -> {"index", "field", "pos"};
    trained: concepts the training lexicon has. A constituent whose word cannot be found in
    its gloss, or that has fewer than k distractors with the same form, is left out.
    """
    from mnemophrase.corpusgen.lang import get_language

    rng = random.Random(seed)
    by_pos: dict[str, list[str]] = {}
    for c, info in sorted(concepts.items()):
        if c in trained:
            by_pos.setdefault(info["pos"], []).append(c)
    candidates: list[dict] = []
    items: list[ChoiceItem] = []
    for row in rows:
        lang, gloss = row["lang"], row["completion"]
        table = forms.get(lang)
        if table is None:
            continue
        own = {c["concept"] for c in row["constituents"]}
        for part in row["constituents"]:
            concept = part["concept"]
            info = concepts.get(concept)
            if info is None:
                continue
            # in a spaced script a form is replaced only where it stands as a whole word
            found = find_form(gloss, concept_forms(table, info["index"]),
                              get_language(lang).spaced)
            if found is None:
                continue
            key, start, end = found
            gold_class = _agree_class(table, info["index"])
            pool = [c for c in by_pos.get(info["pos"], []) if c not in own]
            rng.shuffle(pool)
            # same field first, then the same agreement class (a gender an adjective agrees
            # with), so a distractor differs from the gold word in meaning, not in grammar
            pool.sort(key=lambda c: (concepts[c]["field"] != info["field"],
                                     _agree_class(table, concepts[c]["index"]) != gold_class))
            picked = []
            for c in pool:
                form = concept_forms(table, concepts[c]["index"]).get(key)
                if form and form.lower() != gloss[start:end].lower():
                    picked.append(form)
                if len(picked) == k:
                    break
            if len(picked) < k:
                continue
            items.append(ChoiceItem(len(candidates), k + 1, part["lang"] == lang,
                                    f"{part['lang']}>{lang}"))
            candidates.append(_with_gloss(row, gloss))
            candidates += [_with_gloss(row, _swap(gloss, start, end, f)) for f in picked]
    return candidates, items


def _agree_class(forms, index: int) -> int:
    return int(forms.agree_class[index]) if forms.agree_class is not None else 0


def _with_gloss(row: dict, gloss: str) -> dict:
    """`row` with its completion (and the assistant turn) replaced by `gloss`."""
    messages = [dict(m, content=gloss) if m["role"] == "assistant" else m
                for m in row["messages"]]
    return {"messages": messages, "prompt": row["prompt"], "completion": gloss,
            "hyperword": row["hyperword"]}


def choice_hits(nll: np.ndarray, items: list[ChoiceItem]) -> np.ndarray:
    """1 where the gold candidate has a lower total NLL than every distractor, else 0
    (a tie counts as a miss)."""
    hits = np.zeros(len(items))
    for i, it in enumerate(items):
        scores = nll[it.start: it.start + it.size]
        hits[i] = float(scores[0] < scores[1:].min())
    return hits


def gloss_nll(model, tokenizer, rows: list[dict], *, format: str = "chat",
              system: str | None = None, max_length: int | None = None, device=None
              ) -> np.ndarray:
    """Total NLL of each row's completion under `model` as its adapters are set now, the
    rows tokenised by the plugin's RowEncoder exactly as they are trained. One row at a
    time: for any model and adapter; the experiment's Evaluator batches the same sums."""
    import torch
    import torch.nn.functional as F

    from mnemophrase.train_plugin import RowEncoder
    from mnemophrase.train_plugin.formats import IGNORE_INDEX

    encoder = RowEncoder(tokenizer, format, max_length, system)
    cols = ("messages", "prompt", "completion")
    ids, labels = encoder.encode({c: [r[c] for r in rows] for c in cols}, stage="choice")
    out = np.zeros(len(rows))
    for i, (x, y) in enumerate(zip(ids, labels)):
        x = torch.tensor([x], device=device)
        y = torch.tensor(y[1:], device=device)
        with torch.no_grad():
            logp = F.log_softmax(model(input_ids=x).logits[0, :-1].float(), dim=-1)
        keep = y != IGNORE_INDEX
        out[i] = -logp[keep].gather(1, y[keep][:, None]).sum().item()
    return out


def forced_choice(model, tokenizer, candidates: list[dict], items: list[ChoiceItem],
                  **encoding) -> np.ndarray:
    """Hits (1/0) of the forced choice for `model`: `choice_hits` of `gloss_nll`."""
    return choice_hits(gloss_nll(model, tokenizer, candidates, **encoding), items)


def control_order(langs: list[str], seed: int = 0) -> list[int]:
    """A derangement of row indices within each language: row i is scored against the words
    of row order[i], never its own (a language with one row keeps it and is scored 0)."""
    rng = random.Random(seed)
    order = list(range(len(langs)))
    groups: dict[str, list[int]] = {}
    for i, lang in enumerate(langs):
        groups.setdefault(lang, []).append(i)
    for idx in groups.values():
        shuffled = idx[:]
        rng.shuffle(shuffled)
        for a, b in zip(shuffled, shuffled[1:] + shuffled[:1]):
            order[a] = b
    return order
