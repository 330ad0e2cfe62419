"""SmolLM2-135M-Instruct's tokenizer read from its GGUF with the gguf package alone, for
`corpusgen tokenizer eval` in the corpus-only install: transformers' own GGUF reader imports
torch, which that install does not have. The GGUF holds a byte-level BPE (`gpt2` model); it
is rebuilt here with the tokenizers library as transformers builds it, and a test holds the
two to the same ids."""

from __future__ import annotations

import importlib.util

from .errors import BaseModelError
from .smollm2 import smollm2_gguf_path

# GGUF's token types (llama.cpp's vocabulary): the control tokens are the special ones
_CONTROL = 3


def smollm2_backend_tokenizer():
    """A `tokenizers.Tokenizer` equal to the one transformers converts from the GGUF."""
    if importlib.util.find_spec("gguf") is None:
        raise BaseModelError("reading SmolLM2's tokenizer needs the gguf package: "
                             "pip install gguf")
    from gguf import GGUFReader
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    fields = GGUFReader(str(smollm2_gguf_path())).fields
    model = fields["tokenizer.ggml.model"].contents()
    if model != "gpt2":
        raise BaseModelError(f"SmolLM2's GGUF holds a {model!r} tokenizer, not the byte-level "
                             "BPE this reader knows")
    tokens = fields["tokenizer.ggml.tokens"].contents()
    kinds = fields["tokenizer.ggml.token_type"].contents()
    merges = [tuple(m.split(" ", 1)) for m in fields["tokenizer.ggml.merges"].contents()]
    tok = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False)
                            for t, kind in zip(tokens, kinds) if kind == _CONTROL])
    return tok
