"""keep_core: a KL term keeping the model's outputs on earlier-stage rows where the core had them.

On the earlier-stage rows of a micro-batch (replayed rows, or rows only this term sees),
the loss gains

    weight * KL( p_earlier || p_model )

averaged over the positions those rows were trained on, where p_earlier is the same model
with this stage's adapter switched off (the frozen core, and any other earlier adapter,
alone) and p_model the model as it trains. One extra forward pass without gradient, on
the earlier rows only, and no second copy of the model. (A forward that returns no logits,
as TRL's fused LM head, costs one more pass over those rows, with gradient.)

The term is added inside the model's forward (forward.py). The collators mark the
positions (`keep_core_mask`) and where the earlier rows begin (`keep_core_from`: a token
offset in a flattened batch, a row index in a padded one).
"""

from __future__ import annotations

from .adapters import active_adapters, set_active_adapters

_FLASH_KEYS = ("cu_seq_lens_q", "cu_seq_lens_k", "max_length_q", "max_length_k")


def _picked(logits, kept, want):
    """The rows of `logits` at the positions `want` (B, L) marks, in row-major order;
    `logits` is (B, L, V), or (B, K, V) computed at the positions `kept` only."""
    return logits[want] if kept is None else logits[want[:, kept]]


def kl_to_reference(peft_model, inner, reference, kwargs, logits, kept, want, start,
                    trims: bool):
    """KL(core alone || model) over the positions `want` (B, L) marks — those predicting a
    token of the collator's keep_core mask — or None when there are none. `logits` are the
    model's (at `kept` positions, or all)."""
    import torch
    import torch.nn.functional as F

    if not bool(want.any()):
        return None
    ids = kwargs["input_ids"]
    if "attention_mask" in kwargs and kwargs["attention_mask"] is not None:  # padded rows
        sub = {"input_ids": ids[start:], "attention_mask": kwargs["attention_mask"][start:]}
        sub_want = want[start:]
    elif any(k in kwargs for k in _FLASH_KEYS):  # varlen boundaries: keep the whole batch
        sub = {k: v for k, v in kwargs.items() if k not in ("labels", "fused_lm_head")}
        sub_want = want
    else:  # flattened rows: positions restart per row, so a suffix stands alone
        sub = {"input_ids": ids[:, start:], "position_ids": kwargs["position_ids"][:, start:]}
        sub_want = want[:, start:]
    sub["use_cache"] = False
    sub_kept = None
    if trims:  # the reference's LM head only where the KL reads it
        sub_kept = sub_want.any(0).nonzero().flatten()
        sub["logits_to_keep"] = sub_kept
    if logits is None:
        # a forward that returns no logits (TRL's fused LM head scores labels only): the
        # earlier rows once more, with gradient, as the model stands
        model_logits = _picked(inner(**sub).logits, sub_kept, sub_want)
    else:  # the rows before the earlier ones mark nothing: the same order as the sub-batch
        model_logits = _picked(logits, kept, want)
    before = active_adapters(peft_model)
    try:
        set_active_adapters(peft_model, reference)
        with torch.no_grad():
            ref_logits = _picked(inner(**sub).logits, sub_kept, sub_want)
    finally:
        set_active_adapters(peft_model, before)
    model_logp = F.log_softmax(model_logits.float(), dim=-1)
    ref_logp = F.log_softmax(ref_logits.float(), dim=-1)
    return F.kl_div(model_logp, ref_logp, log_target=True, reduction="batchmean")
