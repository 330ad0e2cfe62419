"""Extend a base model's vocabulary with our pieces, for LoRA training with new token rows.

Our pieces that the base tokenizer cannot produce as one token are added to it (as added
tokens, matched in raw text before the base model runs), the model's embeddings grow by
that many rows, and each new row starts as the mean of the base rows the base tokenizer
used for the same string — so a new token first means what its pieces meant together.
The new ids go to PEFT as `trainable_token_indices`: only those rows train, next to LoRA.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import TokenizerError

SPACE = "▁"


@dataclass
class Extension:
    """What `extend_model` did: the strings added, their ids, the base ids each came from."""

    pieces: list[str] = field(default_factory=list)
    new_ids: list[int] = field(default_factory=list)
    base_ids: list[list[int]] = field(default_factory=list)
    base_vocab_size: int = 0

    def peft_kwargs(self) -> dict:
        """For `peft.LoraConfig(**ext.peft_kwargs(), ...)`: train only the new rows."""
        return {"trainable_token_indices": list(self.new_ids)}


def our_pieces(tokenizer_dir: Path, min_chars: int = 1) -> list[str]:
    """Our normal pieces as text ("▁" back to a space), in id order, without specials
    and byte-fallback pieces (every tokenizer can already say a byte)."""
    import sentencepiece as spm

    model = Path(tokenizer_dir) / "tokenizer.model"
    if not model.is_file():
        raise TokenizerError(f"{tokenizer_dir}: no tokenizer.model (train one first)")
    sp = spm.SentencePieceProcessor(model_file=str(model))
    out = []
    for i in range(sp.get_piece_size()):
        if sp.is_control(i) or sp.is_unknown(i) or sp.is_byte(i) or sp.is_unused(i):
            continue
        text = sp.id_to_piece(i).replace(SPACE, " ")
        if len(text.strip()) >= min_chars:
            out.append(text)
    return out


def missing_pieces(base_tokenizer, pieces: list[str]) -> tuple[list[str], list[list[int]]]:
    """The pieces the base tokenizer splits into more than one token, with those tokens."""
    encoded = base_tokenizer(pieces, add_special_tokens=False)["input_ids"]
    keep = [(p, ids) for p, ids in zip(pieces, encoded) if len(ids) > 1]
    return [p for p, _ in keep], [ids for _, ids in keep]


def extend_tokenizer(base_tokenizer, tokenizer_dir: Path, min_chars: int = 1) -> Extension:
    """Add our missing pieces to `base_tokenizer` in place; returns what was added."""
    from tokenizers import AddedToken

    pieces, base_ids = missing_pieces(base_tokenizer, our_pieces(tokenizer_dir, min_chars))
    ext = Extension(base_vocab_size=len(base_tokenizer))
    if not pieces:
        return ext
    # normalized=False: match the raw text, spaces included (" вода" is its own token)
    base_tokenizer.add_tokens([AddedToken(p, normalized=False, special=False,
                                          single_word=False, lstrip=False, rstrip=False)
                               for p in pieces])
    ids = base_tokenizer.convert_tokens_to_ids(pieces)
    for piece, new_id, old in zip(pieces, ids, base_ids):
        # a piece equal to a token added earlier keeps that id; only fresh rows count
        if new_id >= ext.base_vocab_size:
            ext.pieces.append(piece)
            ext.new_ids.append(new_id)
            ext.base_ids.append(old)
    return ext


def extend_model(model, base_tokenizer, tokenizer_dir: Path, min_chars: int = 1) -> Extension:
    """Extend tokenizer and model together: resize the embeddings to the new tokenizer and
    start every new row (input and, when untied, output) as the mean of its base rows."""
    import torch

    ext = extend_tokenizer(base_tokenizer, tokenizer_dir, min_chars)
    if not ext.new_ids:
        return ext
    old_rows = model.get_input_embeddings().weight.shape[0]
    model.resize_token_embeddings(len(base_tokenizer), mean_resizing=False)
    matrices = [model.get_input_embeddings().weight]
    output = model.get_output_embeddings()
    if output is not None and output.weight.data_ptr() != matrices[0].data_ptr():
        matrices.append(output.weight)
    with torch.no_grad():
        for weight in matrices:
            for new_id, old in zip(ext.new_ids, ext.base_ids):
                rows = [i for i in old if i < old_rows]
                weight[new_id] = weight[rows].mean(dim=0)
    return ext


def tokens_per_text(tokenizer, texts: list[str]) -> float:
    ids = tokenizer(texts, add_special_tokens=False)["input_ids"]
    return sum(len(i) for i in ids) / max(len(texts), 1)
