"""Measuring one model under one adapter combination: losses, KL to the core, concept recall.

Rows are tokenised by the plugin's RowEncoder in the arm's format (the labels the plugin
trains with: completion only) and batched by its FlatteningCollator; glosses are decoded by
its `generate_gloss`, and concept words are matched by the language plug-in's own
`names_words` (its lemmatiser). What is left here is arithmetic: per-row sums of
negative log-likelihood, of KL, and of recalled words, kept per row so that the report can
bootstrap over rows. A batch's layers below every adapter run once for all its combinations
(lower_layers.py), the first tokens every row of a set shares (chat template, system turn,
task words) once per combination, and the forced choice's prompt once for all the candidate
glosses that follow it (shared_prefix.py).

An adapter combination is (core on?, weight of every other adapter): "core" is (on, 0),
"language" (off, 1), "core+language" (on, 1), "core+0.5language" (on, 0.5), "none" (off, 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnemophrase.train_plugin.formats import IGNORE_INDEX

from .data import GLOSS_SETS, Data
from .knowledge import choice_hits, control_order
from .lower_layers import SharedLowerLayers
from .shared_prefix import PromptGroups, SharedPrefix, mask_attention


@dataclass(frozen=True)
class Combo:
    core: bool
    others: float  # weight of every adapter but the core (0: off)

    @property
    def name(self) -> str:
        if not self.core and not self.others:
            return "none"
        if not self.core:
            return "language" if self.others == 1 else f"{self.others:g}language"
        if not self.others:
            return "core"
        return "core+language" if self.others == 1 else f"core+{self.others:g}language"


def apply_combo(model, combo: Combo, core: str | None) -> None:
    """Set the adapters of `model` to `combo` through the plugin's switches."""
    from mnemophrase.train_plugin import set_active_adapters, set_adapter_weights
    from mnemophrase.train_plugin.adapters import peft_model_of

    if not hasattr(model, "peft_config"):  # the base model itself: nothing to switch
        if combo.core or combo.others:
            raise ValueError(f"the base model has no adapters for {combo.name}")
        return
    names = list(peft_model_of(model).peft_config)
    weights = {}
    for n in names:
        w = (1.0 if combo.core else 0.0) if n == core else combo.others
        if core is None:  # one adapter and no core (mixed): the adapter is "the others"
            w = combo.others or (1.0 if combo.core else 0.0)
        if w > 0:
            weights[n] = w
    if weights:
        set_adapter_weights(model, weights)
    else:
        set_active_adapters(model, [])


class Evaluator:
    """The evaluation sets of one format, tokenised once, measured under any combination."""

    def __init__(self, tokenizer, data: Data, fmt: str, sizes, device, clean=None):
        from mnemophrase.train_plugin import FlatteningCollator, RowEncoder

        self.tokenizer, self.data, self.format = tokenizer, data, fmt
        self.clean = clean  # decoded text -> plain text (an extension's markers removed)
        self.sizes, self.device = sizes, device
        self.prefix_ok: bool | None = None  # shared prefixes checked and usable?
        self.grouping_ok: bool | None = None  # rows packed by prompt checked and usable?
        encoder = RowEncoder(tokenizer, fmt, sizes.max_length, sizes.system)
        self.collate = FlatteningCollator()
        self.sets: dict[str, tuple[list, list, np.ndarray]] = {}
        for name, es in data.sets.items():
            cols = ("messages", "prompt", "completion") if name in GLOSS_SETS else (
                "messages", "text")
            ids, labels = encoder.encode({c: [r[c] for r in es.rows] for c in cols}, stage=name)
            chars = np.array([max(1, len(t)) for t in es.targets], dtype=np.float64)
            self.sets[name] = (ids, labels, chars)
        if data.choice_rows:  # the forced choice's candidate glosses, scored like a set
            cols = ("messages", "prompt", "completion")
            ids, labels = encoder.encode({c: [r[c] for r in data.choice_rows] for c in cols},
                                         stage=CHOICE)
            chars = np.array([max(1, len(r["completion"])) for r in data.choice_rows],
                             dtype=np.float64)
            self.sets[CHOICE] = (ids, labels, chars)

    def _batches(self, ids):
        """Consecutive rows up to `eval_tokens` tokens, to be flattened into one row each."""
        budget, start = self.sizes.eval_tokens, 0
        while start < len(ids):
            end, total = start, 0
            while end < len(ids) and (end == start or total + len(ids[end]) <= budget):
                total += len(ids[end])
                end += 1
            yield start, end
            start = end

    def losses(self, model, plan: list[tuple[Combo, tuple[str, ...]]], core: str | None,
               kl_reference: Combo | None = None) -> dict:
        """Per-row NLL sums and label counts of the sets each combo of `plan` asks for, and
        on gloss_seen the per-row KL from `kl_reference` (the core alone) to it."""
        import torch
        import torch.nn.functional as F

        out: dict[str, dict] = {c.name: {} for c, _ in plan}
        shared = SharedLowerLayers(model)
        for name in self.sets:
            combos = [c for c, sets in plan if name in sets]
            if not combos:
                continue
            with_kl = kl_reference is not None and name == "gloss_seen"
            order = ([kl_reference] if with_kl else []) + [
                c for c in combos if not (with_kl and c == kl_reference)]
            ids, labels, chars = self.sets[name]
            prefix = self._prefix(model, ids, labels)
            if prefix is not None:
                ids, labels = prefix.cut(ids, labels)
            n = len(ids)
            nll = {c.name: np.zeros(n) for c in order}
            kl = {c.name: np.zeros(n) for c in order}
            count = np.zeros(n)
            groups = self._groups(model, ids, labels, prefix) if name in GROUPED_SETS else None
            for inputs, target, keep, row_of in (
                    self._grouped_batches(groups, prefix) if groups is not None
                    else self._row_batches(ids, labels, prefix)):
                np.add.at(count, row_of, 1)
                gold = target[keep].to(self.device)[:, None]
                kept = keep.to(self.device)
                shared.start(inputs)
                ref = None
                for combo in order:
                    apply_combo(model, combo, core)
                    with torch.no_grad():
                        logits = shared.logits(
                            kept, prefix.cache(combo.name) if prefix is not None else None)
                    logp = F.log_softmax(logits.float(), dim=-1)
                    np.add.at(nll[combo.name], row_of, -logp.gather(1, gold)[:, 0].cpu().numpy())
                    if with_kl and combo == kl_reference:
                        ref = logp
                    elif with_kl:
                        np.add.at(kl[combo.name], row_of,
                                  (ref.exp() * (ref - logp)).sum(-1).cpu().numpy())
            for combo in combos:
                entry = {"nll": nll[combo.name].round(5).tolist(), "tokens": count.tolist(),
                         "chars": chars.tolist()}
                if with_kl and combo != kl_reference:
                    entry["kl"] = kl[combo.name].round(6).tolist()
                out[combo.name][name] = entry
        return out

    def _row_batches(self, ids, labels, prefix: SharedPrefix | None):
        """(model inputs, targets, labelled positions, row of each) per flattened batch."""
        import torch

        for a, b in self._batches(ids):
            batch = self.collate([{"input_ids": ids[i], "labels": labels[i]}
                                  for i in range(a, b)])
            # logits at position t predict the label at t + 1, which lies in the same row
            # (every row's first label is masked by the collator, and a shared prefix ends
            # before any label)
            target, keep = _labelled(batch)
            ends = torch.tensor([len(ids[i]) for i in range(a, b)]).cumsum(0)
            yield (self._inputs(batch, prefix), target, keep,
                   (torch.searchsorted(ends, keep + 1) + a).numpy())

    def _grouped_batches(self, groups: PromptGroups, prefix: SharedPrefix | None):
        """The same, for rows packed by their shared prompt (each label stays in the
        segment of its row, so the logits before it are that row's)."""
        for a, b in self._batches([r["ids"] for r in groups.packed]):
            batch = groups.batch(range(a, b), prefix.length if prefix else 0, self.device)
            target, keep = _labelled(batch)
            yield batch["inputs"], target, keep, batch["origin"][keep.numpy() + 1]

    def _groups(self, model, ids, labels, prefix: SharedPrefix | None) -> PromptGroups | None:
        """The rows packed by prompt, once packing has been seen to give the rows' own
        log-likelihoods (checked on the first packed batch; None: row by row)."""
        import torch

        attn = mask_attention(model)
        if self.grouping_ok is False or attn is None:
            return None
        groups = PromptGroups(ids, labels, self.sizes.eval_tokens, attn)
        if self.grouping_ok is None:
            inputs, target, keep, row_of = next(self._grouped_batches(groups, prefix))
            members = list(dict.fromkeys(row_of.tolist()))  # in the order they are packed
            rows = self.collate([{"input_ids": ids[i], "labels": labels[i]} for i in members])
            with torch.no_grad():
                self.grouping_ok = _same_logp(
                    self._gold_logp(model, *_labelled(rows), self._inputs(rows, prefix), prefix),
                    self._gold_logp(model, target, keep, inputs, prefix))
            if not self.grouping_ok:
                return None
        return groups

    def _prefix(self, model, ids, labels) -> SharedPrefix | None:
        """The set's shared prefix, once it has been seen to give the same log-likelihoods
        as whole rows (checked on the first set's first batch; None: whole rows)."""
        import torch

        if self.prefix_ok is False:
            return None
        prefix = SharedPrefix(model, ids, labels, self.device)
        if not prefix.length:
            return None
        if self.prefix_ok is None:  # the first batch as measured (several rows), and whole
            cut_ids, cut_labels = prefix.cut(ids, labels)
            a, b = next(self._batches(cut_ids))
            whole = self.collate([{"input_ids": ids[i], "labels": labels[i]}
                                  for i in range(a, b)])
            part = self.collate([{"input_ids": cut_ids[i], "labels": cut_labels[i]}
                                 for i in range(a, b)])
            with torch.no_grad():
                self.prefix_ok = _same_logp(
                    self._gold_logp(model, *_labelled(whole), self._inputs(whole, None)),
                    self._gold_logp(model, *_labelled(part), self._inputs(part, prefix), prefix))
            if not self.prefix_ok:
                return None
        return prefix

    def _gold_logp(self, model, target, keep, inputs: dict,
                   prefix: SharedPrefix | None = None):
        """Log-probabilities of a batch's labelled tokens under the adapters now active
        (the batch continues `prefix`, when given)."""
        import torch.nn.functional as F

        inputs = dict(inputs)
        if prefix is not None:  # the cache of the adapters active now, a name no combo has
            inputs["cache"] = prefix.cache("the check")
        logits = model(**inputs, use_cache=False, logits_to_keep=keep.to(self.device)).logits[0]
        if prefix is not None:
            prefix.trim("the check")
        gold = target[keep].to(self.device)[:, None]
        return F.log_softmax(logits.float(), dim=-1).gather(1, gold)[:, 0]

    def _inputs(self, batch, prefix: SharedPrefix | None) -> dict:
        """Model inputs of a collated batch, continuing `prefix` when given."""
        if prefix is not None:
            return prefix.inputs(batch)
        return {k: batch[k].to(self.device) for k in ("input_ids", "position_ids")}

    def recall(self, model, combo: Combo, core: str | None) -> dict:
        """Greedy glosses of the recall rows; per row, constituent words the gloss names."""
        from mnemophrase.train_plugin import generate_gloss

        apply_combo(model, combo, core)
        rows = self.data.recall_rows
        texts = generate_gloss(model, self.tokenizer, rows, format=self.format,
                               max_new_tokens=self.sizes.max_new_tokens,
                               batch_size=self.sizes.eval_batch, system=self.sizes.system,
                               device=self.device)
        if self.clean is not None:
            texts = [self.clean(t) for t in texts]
        # the chance control: each gloss scored against another hyperword's words (of the
        # same gloss language), leaving out the words the two hyperwords share
        other = control_order([r["lang"] for r in rows])
        own = [{c["concept"] for c in r["constituents"]} for r in rows]
        out = {}
        for key, targets in (("", list(range(len(rows)))), ("control_", other)):
            wanted_of = [[c for c in rows[j]["constituents"]
                          if key == "" or c["concept"] not in own[i]]
                         for i, j in enumerate(targets)]
            out.update({f"{key}{k}": v for k, v in self._score(texts, rows, wanted_of).items()})
        out["samples"] = [{"hyperword": r["hyperword"], "lang": r["lang"],
                           "gold": r["completion"], "output": t}
                          for r, t in zip(rows[:6], texts[:6])]
        return out

    def _score(self, texts: list[str], rows: list[dict], wanted_of: list[list[dict]]) -> dict:
        """Per row: the words of `wanted_of[i]` (constituents) that text i names, all and
        those spelled in the gloss language inside the hyperword (naming them can be
        copying; the others have to be translated)."""
        from mnemophrase.corpusgen.lang import get_language

        n = len(rows)
        hits, wanted, hits_spelled, spelled = (np.zeros(n) for _ in range(4))
        by_lang: dict[str, list[int]] = {}
        for i, r in enumerate(rows):
            by_lang.setdefault(r["lang"], []).append(i)
        for lang, idx in by_lang.items():
            words = self.data.lexicon_words.get(lang, {})
            wanted_words = [[(words[c["concept"]], c["lang"] == lang)
                             for c in wanted_of[i] if c["concept"] in words] for i in idx]
            named = get_language(lang).names_words([texts[i] for i in idx],
                                                   [[w for w, _ in want] for want in wanted_words],
                                                   self.data.vocabulary.get(lang, set()))
            for i, want, got in zip(idx, wanted_words, named):
                wanted[i], hits[i] = len(want), sum(got)
                spelled[i] = sum(in_hyperword for _, in_hyperword in want)
                hits_spelled[i] = sum(g for g, (_, in_hyperword) in zip(got, want)
                                      if in_hyperword)
        return {"hits": hits.tolist(), "words": wanted.tolist(),
                "hits_spelled": hits_spelled.tolist(), "words_spelled": spelled.tolist()}


def _same_logp(a, b) -> bool:
    """Two ways of scoring the same labelled tokens agree (a shortcut's check)."""
    import torch

    return a.shape == b.shape and torch.allclose(a, b, rtol=1e-3, atol=1e-3)


def _labelled(batch):
    """A flattened batch's targets (the label at t + 1 for each position t) and the
    positions whose target is labelled."""
    target = batch["labels"][0, 1:]
    return target, (target != IGNORE_INDEX).nonzero().flatten()


# Part of every stored unit's settings key: raised when a change to the measuring would
# change what a stored unit holds, so that no run reuses units measured the old way.
# 2: recall decodes with the run's system turn (1 decoded with the chat template's default
# one, not the one the adapters were trained with). 3: the forced choice and recall's chance
# control.
MEASURES_VERSION = 3
CHOICE = "choice"  # the forced choice's candidate rows, measured with every recall combo
GROUPED_SETS = (CHOICE,)  # sets whose rows share whole prompts (k + 1 candidates an item)
FULL_SETS = ("gloss_seen", "gloss_unseen", "sentences", "language_data", "base_samples")
CORE_SETS = FULL_SETS  # the core alone, before language
REFERENCE_SETS = ("gloss_seen", "sentences", "language_data", "base_samples")
CORE_OFF_SETS = ("gloss_seen", "sentences")
SWEEP_SETS = ("gloss_seen", "sentences")
CURVE_SETS = ("gloss_seen",)  # a learning curve's points before the last


def measure(ev: Evaluator, model, plan: list[tuple[Combo, tuple[str, ...]]], core: str | None,
            kl_reference: Combo | None = None, recall: tuple[Combo, ...] = ()) -> dict:
    """Losses of the sets each combo of `plan` names (KL to `kl_reference` on gloss_seen),
    and concept recall and the forced choice for the `recall` combos."""
    if CHOICE in ev.sets:
        plan = [(c, sets + (CHOICE,) if c in recall else sets) for c, sets in plan]
        plan += [(c, (CHOICE,)) for c in recall if all(c != p for p, _ in plan)]
    result = ev.losses(model, plan, core, kl_reference)
    items = ev.data.choice_items
    for combo in recall:
        result[combo.name]["recall"] = ev.recall(model, combo, core)
        scored = result[combo.name].pop(CHOICE, None)
        if scored is not None:
            result[combo.name]["choice"] = {
                "hits": choice_hits(np.asarray(scored["nll"]), items).tolist(),
                "spelled": [it.spelled for it in items], "pair": [it.pair for it in items],
                "chance": 1 / items[0].size if items else None}
    return result
