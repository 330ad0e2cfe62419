"""The plugin's forward around the PEFT model: what one training step asks of `model(**batch)`.

Two things ride on the forward, so that every loop that reads `model(**batch).loss` gets
them — HF Trainer, TRL SFTTrainer and a plain loop alike:

- the keep_core term (keep_core.py), when the step asks for it;
- logits only where a loss reads them (`StepState.scored_logits`, on in the plain loop).
  With completion-only labels most positions of a row are prompt or chat template: a third
  of a SmolLM2 gloss row is labelled. The forward then projects only the positions that
  predict a labelled token (or a token the keep_core term compares) onto the vocabulary,
  through transformers' own `logits_to_keep` and `shift_labels`; the loss is the same (the
  same positions, the same mean), the LM head and its backward shrink with the share of
  unlabelled positions (bench/README.md measures `stepper` against `stepper-all-logits`).
  The returned logits then cover those positions only. The Trainer paths keep every
  position's logits, since their evaluation and TRL's token-accuracy metric read them.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

from .formats import IGNORE_INDEX
from .keep_core import kl_to_reference
from .protection import Protection


@dataclass
class StepState:
    """What the current optimizer step asks of the forward pass (set by the plugin)."""

    # this step's protection: its keep_core weighs the KL term
    protection: Protection = field(default_factory=Protection)
    reference: list[str] = field(default_factory=list)  # adapters of the "core alone" pass
    kl: float | None = None  # the last KL value computed, for logging
    scored_logits: bool = False  # logits only at positions a loss reads (the plain loop)


def predicting(marked):
    """(B, L) bool: the positions whose logits predict a marked token (the next one)."""
    import torch.nn.functional as F

    return F.pad(marked[..., 1:], (0, 1), value=False)


def install_forward(peft_model, state: StepState) -> None:
    """Wrap `peft_model.forward` (its instance attribute) as the module docstring says."""
    if getattr(peft_model, "_mnemo_forward", None) is not None:
        return
    inner = peft_model.forward
    trims = "logits_to_keep" in inspect.signature(peft_model.get_base_model().forward).parameters

    def forward(*args, keep_core_mask=None, keep_core_from=None, **kwargs):
        # the positions whose logits the KL reads (those predicting a marked token)
        want = (predicting(keep_core_mask) if keep_core_mask is not None
                and state.protection.keep_core != 0 else None)
        call, kept = kwargs, None
        labels = kwargs.get("labels")
        if (state.scored_logits and trims and labels is not None and not args
                and labels.ndim == 2
                and not any(k in kwargs for k in ("logits_to_keep", "shift_labels"))):
            shifted = labels.new_full(labels.shape, IGNORE_INDEX)  # the label at t + 1
            shifted[:, :-1] = labels[:, 1:]
            scored = shifted != IGNORE_INDEX
            if want is not None:
                scored = scored | want
            kept = scored.any(0).nonzero().flatten()  # the same positions in every row
            call = {**kwargs, "logits_to_keep": kept, "shift_labels": shifted[:, kept]}
        out = inner(*args, **call)
        if want is None or getattr(out, "loss", None) is None:
            return out
        kl = kl_to_reference(peft_model, inner, state.reference, kwargs,
                             getattr(out, "logits", None), kept, want, keep_core_from, trims)
        if kl is not None:
            state.kl = float(kl.detach())
            out.loss = out.loss + state.protection.keep_core * kl
        return out

    peft_model._mnemo_forward = inner
    peft_model.forward = forward
