"""keep_core: a KL term keeping the model's outputs on earlier-stage rows where the core had them.

On the earlier-stage rows of a micro-batch (replayed rows, or rows only this term sees),
the loss gains

    weight * KL( p_earlier || p_model )

averaged over the positions those rows were trained on, where p_earlier is the same model
with this stage's adapter switched off (the frozen core, and any other earlier adapter,
alone) and p_model the model as it trains. One extra forward pass without gradient, on
the earlier rows only, and no second copy of the model. (A forward that returns no logits,
as TRL's fused LM head, costs one more pass over those rows, with gradient.)

The term is added inside the model's forward, so every training loop that reads
`model(**batch).loss` gets it: HF Trainer, TRL SFTTrainer and a plain loop alike. The
collators mark the positions (`keep_core_mask`) and where the earlier rows begin
(`keep_core_from`: a token offset in a flattened batch, a row index in a padded one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .adapters import active_adapters, set_active_adapters

_FLASH_KEYS = ("cu_seq_lens_q", "cu_seq_lens_k", "max_length_q", "max_length_k")


@dataclass
class StepState:
    """What the current optimizer step asks of the forward pass (set by the plugin)."""

    keep_core: float = 0.0  # weight of the KL term this step (0: off)
    reference: list[str] = field(default_factory=list)  # adapters of the "core alone" pass
    kl: float | None = None  # the last KL value computed, for logging


def install_keep_core(peft_model, state: StepState) -> None:
    """Wrap `peft_model.forward` (its instance attribute) to add the KL term when asked."""
    if getattr(peft_model, "_mnemo_keep_core", None) is not None:
        return
    inner = peft_model.forward

    def forward(*args, keep_core_mask=None, keep_core_from=None, **kwargs):
        out = inner(*args, **kwargs)
        if keep_core_mask is None or state.keep_core == 0 or getattr(out, "loss", None) is None:
            return out
        kl = _kl_to_reference(peft_model, inner, state.reference, kwargs,
                              getattr(out, "logits", None), keep_core_mask, keep_core_from)
        state.kl = float(kl.detach())
        out.loss = out.loss + state.keep_core * kl
        return out

    peft_model._mnemo_keep_core = inner
    peft_model.forward = forward


def _kl_to_reference(peft_model, inner, reference, kwargs, logits, mask, start):
    import torch
    import torch.nn.functional as F

    ids = kwargs["input_ids"]
    if "attention_mask" in kwargs and kwargs["attention_mask"] is not None:  # padded rows
        sub = {"input_ids": ids[start:], "attention_mask": kwargs["attention_mask"][start:]}
        mask, logits = mask[start:], None if logits is None else logits[start:]
    elif any(k in kwargs for k in _FLASH_KEYS):  # varlen boundaries: keep the whole batch
        sub = {k: v for k, v in kwargs.items() if k not in ("labels", "fused_lm_head")}
    else:  # flattened rows: positions restart per row, so a suffix stands alone
        sub = {"input_ids": ids[:, start:], "position_ids": kwargs["position_ids"][:, start:]}
        mask, logits = mask[:, start:], None if logits is None else logits[:, start:]
    sub["use_cache"] = False
    if logits is None:
        # a forward that returns no logits (TRL's fused LM head scores labels only): the
        # earlier rows once more, with gradient, as the model stands
        logits = inner(**sub).logits
    before = active_adapters(peft_model)
    try:
        set_active_adapters(peft_model, reference)
        with torch.no_grad():
            ref = inner(**sub).logits
    finally:
        set_active_adapters(peft_model, before)
    # logits at t-1 predict the token at t, which the mask marks
    picked = mask[..., 1:]
    model_logp = F.log_softmax(logits[..., :-1, :][picked].float(), dim=-1)
    ref_logp = F.log_softmax(ref[..., :-1, :][picked].float(), dim=-1)
    if model_logp.shape[0] == 0:
        return logits.sum() * 0.0
    return F.kl_div(model_logp, ref_logp, log_target=True, reduction="batchmean")
