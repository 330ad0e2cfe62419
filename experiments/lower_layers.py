"""The decoder layers below every adapter, run once per batch for all adapter combinations.

The experiment measures each evaluation batch under up to six adapter combinations (the
core alone, core + w·language for several w, language alone). With LoRA on the top layers
only, the layers below the first adapted one compute the same hidden states under every
combination; this runs them once, keeps their output, and runs only the adapted layers for
the other combinations — through the model's own forward (its masks, rotary positions,
norm and head), given the kept hidden states as `inputs_embeds` and its layer list cut to
the adapted layers for that call.

That works for a decoder whose forward passes `inputs_embeds` to its first layer unchanged
(Llama, Qwen2, Mistral); a model that scales embeddings (Gemma) would not. So the first
batch is also run the long way, and if the two differ the sharing is switched off for the
run. Written here because neither transformers nor PEFT offers a forward from a layer's
input.
"""

from __future__ import annotations

import re

_LAYER = re.compile(r"\.layers\.(\d+)\.")


def first_adapted_layer(model) -> int:
    """Index of the lowest decoder layer holding an adapter module; 0 when an adapter sits
    outside the decoder layers (a trained embedding or head), where nothing can be shared."""
    from peft.tuners.tuners_utils import BaseTunerLayer

    first = None
    for name, module in model.named_modules():
        if not isinstance(module, BaseTunerLayer):
            continue
        found = _LAYER.search(f".{name}.")
        if found is None:
            return 0
        first = int(found.group(1)) if first is None else min(first, int(found.group(1)))
    return first or 0


def _decoder_body(model):
    """The module that owns the decoder layer list (LlamaModel inside the PEFT wrappers)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    body = getattr(base, "model", None)
    if body is None or not hasattr(body, "layers"):
        return None
    return body


class SharedLowerLayers:
    """Logits of one batch under several adapter combinations, the unadapted layers run once.

    Call `start(batch)` for each new batch (input_ids, position_ids, and an attention_mask
    when the batch continues a cached prefix), then `logits(keep, cache)` after switching the
    adapters to each combination in turn (`cache`: that combination's prefix, or None); the
    cache is left as it was given.
    """

    def __init__(self, model):
        import torch

        self.model = model
        self.body = _decoder_body(model)
        self.first = first_adapted_layer(model) if self.body is not None else 0
        self.enabled = self.first > 0
        self.checked = False
        self._lower: torch.Tensor | None = None
        self._batch: dict | None = None

    def start(self, batch: dict) -> None:
        self._batch, self._lower = batch, None

    def logits(self, keep, cache=None):
        """Logits at positions `keep` of the current batch under the adapters now active."""
        import torch

        if not self.enabled:
            return self._full(keep, cache)
        if self._lower is None:
            return self._full(keep, cache, capture=True)
        top = self._top(keep, cache)
        if not self.checked:
            self.checked = True
            full = self._full(keep, cache)
            if not torch.allclose(top, full, rtol=1e-4, atol=1e-4):
                self.enabled = False
            return full
        return top

    def _call(self, cache, **inputs):
        """The model's logits; a prefix cache is cut back to the prefix afterwards."""
        extra = {"attention_mask": self._batch["attention_mask"]} if (
            "attention_mask" in self._batch) else {}
        if cache is None:
            return self.model(**inputs, **extra, use_cache=False).logits[0]
        from .shared_prefix import cut_back

        length = cache.get_seq_length()
        try:
            return self.model(**inputs, **extra, cache=cache, use_cache=False).logits[0]
        finally:
            cut_back(cache, length)

    def _full(self, keep, cache, capture: bool = False):
        handle = None
        if capture and self.enabled:
            def keep_input(module, args, kwargs):
                self._lower = args[0] if args else kwargs["hidden_states"]

            handle = self.body.layers[self.first].register_forward_pre_hook(
                keep_input, with_kwargs=True)
        try:
            return self._call(cache, input_ids=self._batch["input_ids"],
                              position_ids=self._batch["position_ids"], logits_to_keep=keep)
        finally:
            if handle is not None:
                handle.remove()

    def _top(self, keep, cache):
        import torch

        layers = self.body.layers
        self.body.layers = torch.nn.ModuleList(list(layers)[self.first:])
        try:
            return self._call(cache, inputs_embeds=self._lower,
                              position_ids=self._batch["position_ids"], logits_to_keep=keep)
        finally:
            self.body.layers = layers
