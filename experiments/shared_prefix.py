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
    import torch

    pos = position_ids[0]
    row = (pos == 0).cumsum(0)
    t = pos.shape[0]
    own = torch.tril(torch.ones(t, t, dtype=torch.bool)) & (row[:, None] == row[None, :])
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


class SharedPrefix:
    """One evaluation set's shared prefix: its length, and its KV cache per combination."""

    def __init__(self, model, ids: list[list[int]], labels: list[list[int]], device):
        attn = str(getattr(model.config, "_attn_implementation", "") or "")
        self.model, self.device, self.attn = model, device, attn
        n = shared_prefix_length(ids, labels)
        self.length = n if n >= MIN_PREFIX and attn in ("sdpa", "eager") else 0
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
