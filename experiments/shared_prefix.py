"""The first tokens every row of an evaluation set shares, run once per adapter combination.

A chat row opens with the template and the system turn, a gloss row also with the task's
words ("Gloss this hyperword in"): about 20 of a SmolLM2 gloss row's 67 tokens and 14 of a
sentence row's 27 are the same in every row of a set. Those run once per adapter combination
into a KV cache; each batch then runs only the rows' remainders, which attend to the cached
prefix and causally to their own row (a 4D mask), at positions that continue the prefix's.

The prefix stops one token before a set's first labelled token, so every loss position lies
in a remainder. The first batch is also run whole, and if the two ways disagree the sharing
is off for the evaluator (an attention implementation that ignores a 4D mask, say). Written
here because transformers shares a prefix only inside `generate`, not for scoring.

The forced choice's candidates go one step further (`PromptGroups`): the k + 1 glosses of an
item, and the items of one hyperword, share their whole prompt, about two thirds of each
row after the common prefix. Each prompt then runs once for all its candidates: a packed
row holds the prompt and, after it, each candidate's continuation, which sees the prompt and
itself but no other candidate (a tree-shaped mask) at the positions it has in its own row.
"""

from __future__ import annotations

from mnemophrase.train_plugin.formats import IGNORE_INDEX

MIN_PREFIX = 4  # fewer shared tokens are not worth a cache


def shared_prefix_length(ids: list[list[int]], labels: list[list[int]]) -> int:
    """Tokens every row starts with, up to one before any row's first labelled token."""
    if not ids:
        return 0
    first = ids[0]
    n = min(len(r) for r in ids)
    for row in ids[1:]:
        k = 0
        while k < n and row[k] == first[k]:
            k += 1
        n = k
    for lab in labels:
        labelled = next((t for t, v in enumerate(lab) if v != IGNORE_INDEX), len(lab))
        n = min(n, labelled - 1)
    return max(0, n)


def remainder_mask(position_ids, prefix: int, attn: str):
    """(1, 1, T, prefix + T): each token sees the whole prefix and its own row up to itself.

    Rows are flattened; a row starts where its position id is 0 (before the shift)."""
    row = (position_ids[0] == 0).cumsum(0)
    return tree_mask(row, row, prefix, attn)


def tree_mask(segment, parent, prefix: int, attn: str):
    """(1, 1, T, prefix + T): token i sees the prefix and every earlier token j of its own
    segment or of its parent segment (segment[j] == parent[i]); a segment with no parent
    is its own parent."""
    import torch

    t = segment.shape[0]
    own = torch.tril(torch.ones(t, t, dtype=torch.bool)) & (
        (segment[None, :] == segment[:, None]) | (segment[None, :] == parent[:, None]))
    mask = torch.cat([torch.ones(t, prefix, dtype=torch.bool), own], 1)[None, None]
    if attn == "eager":  # eager attention adds its mask
        return torch.zeros(mask.shape).masked_fill(~mask, torch.finfo(torch.float32).min)
    return mask


def cut_back(cache, length: int) -> None:
    """Every layer of a KV cache back to its first `length` tokens (a forward through the
    top layers alone grows only theirs; transformers' `crop` cuts all layers alike)."""
    for layer in cache.layers:
        extra = layer.get_seq_length() - length
        if extra > 0:
            layer.crop(-extra)


def mask_attention(model) -> str | None:
    """The model's attention implementation when it takes a 4D mask (None: it may not)."""
    attn = str(getattr(model.config, "_attn_implementation", "") or "")
    return attn if attn in ("sdpa", "eager") else None


class SharedPrefix:
    """One evaluation set's shared prefix: its length, and its KV cache per combination."""

    def __init__(self, model, ids: list[list[int]], labels: list[list[int]], device):
        attn = mask_attention(model)
        self.model, self.device, self.attn = model, device, attn
        n = shared_prefix_length(ids, labels)
        self.length = n if n >= MIN_PREFIX and attn else 0
        self.tokens = ids[0][: self.length] if self.length else []
        self._caches: dict[str, object] = {}

    def cut(self, ids: list[list[int]], labels: list[list[int]]):
        """The rows' remainders after the prefix."""
        n = self.length
        return [r[n:] for r in ids], [r[n:] for r in labels]

    def inputs(self, batch: dict) -> dict:
        """Model inputs of a flattened batch of remainders: shifted positions and the mask."""
        out = {"input_ids": batch["input_ids"].to(self.device),
               "position_ids": (batch["position_ids"] + self.length).to(self.device)}
        out["attention_mask"] = remainder_mask(batch["position_ids"], self.length,
                                               self.attn).to(self.device)
        return out

    def cache(self, combo_name: str):
        """The prefix's KV cache under the adapters now active (made once per combination)."""
        import torch

        if combo_name not in self._caches:
            with torch.no_grad():
                ids = torch.tensor([self.tokens], device=self.device)
                self._caches[combo_name] = self.model(input_ids=ids, use_cache=True).cache
        return self._caches[combo_name]

    def trim(self, combo_name: str) -> None:
        """Back to the prefix alone, after a forward appended a batch to the cache."""
        cut_back(self._caches[combo_name], self.length)


class PromptGroups:
    """Rows that share everything before their labels, packed one prompt to a row.

    A packed row is the prompt without its last token, then for each member row that last
    token again and the member's labelled remainder; the repeated token predicts the
    member's first label, as it did in the member's own row. `packed[g]` holds the token
    ids, labels, position ids and the member row of each token (`origin`, -1 for the
    prompt). A group grows only up to `budget` tokens (then a new packed row repeats the
    prompt), so a batch's dense attention stays as small as whole rows would make it.
    `attn`: the model's attention implementation (`mask_attention`), for the mask.
    """

    def __init__(self, ids: list[list[int]], labels: list[list[int]], budget: int,
                 attn: str):
        self.attn = attn
        by_prompt: dict[tuple, list[int]] = {}
        for i, lab in enumerate(labels):
            first = next((t for t, v in enumerate(lab) if v != IGNORE_INDEX), len(lab))
            by_prompt.setdefault(tuple(ids[i][:max(0, first - 1)]), []).append(i)
        self.packed: list[dict] = []
        for prompt, members in by_prompt.items():
            row, first = self._start(prompt), len(prompt) + 1
            for i in members:
                tail = ids[i][first - 1:]
                if len(row["ids"]) > len(prompt) and len(row["ids"]) + len(tail) > budget:
                    self.packed.append(row)
                    row = self._start(prompt)
                row["ids"] += tail
                row["labels"] += [IGNORE_INDEX] + labels[i][first:]
                row["positions"] += range(len(prompt), len(prompt) + len(tail))
                row["origin"] += [i] * len(tail)
            self.packed.append(row)
        self.tokens = sum(len(r["ids"]) for r in self.packed)

    @staticmethod
    def _start(prompt: tuple) -> dict:
        n = len(prompt)
        return {"ids": list(prompt), "labels": [IGNORE_INDEX] * n, "positions": list(range(n)),
                "origin": [-1] * n}

    def batch(self, rows: range, prefix: int, device) -> dict:
        """A flattened batch of packed rows: model inputs (positions after a `prefix` of
        cached tokens), the labels, and the member row of each token."""
        import torch

        cat = (lambda key: torch.tensor([v for g in rows for v in self.packed[g][key]]))
        origin = cat("origin")
        # segments: a member's tokens are its row number (unique in the set), a packed
        # row's prompt is -1 - g; every token's parent is its packed row's prompt
        parent = torch.tensor([-1 - g for g in rows for _ in self.packed[g]["origin"]])
        segment = torch.where(origin >= 0, origin, parent)
        return {"inputs": {"input_ids": cat("ids")[None].to(device),
                           "position_ids": (cat("positions")[None] + prefix).to(device),
                           "attention_mask": tree_mask(segment, parent, prefix,
                                                       self.attn).to(device)},
                "labels": cat("labels")[None], "origin": origin.numpy()}
