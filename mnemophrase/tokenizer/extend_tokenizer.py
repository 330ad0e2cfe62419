"""Extend a base tokenizer with our pieces so that only marked hyperwords use them.

The mechanism, and why. SmolLM2's tokenizer is a byte-level BPE; ours is a SentencePiece
unigram. The alternatives each break something:

- our pieces as plain added tokens (the old way) are matched anywhere in raw text before
  the BPE runs, so ordinary words are re-cut (`with` -> ` wi` `th`) into untrained rows;
- new merges appended to the base BPE fire on ordinary text too once the base merges are
  exhausted (any word whose base tokens our merge joins changes), and merges can only join
  base tokens, never cut between them where our joins are;
- a pre-tokenizer or normalizer cannot route one span of a text to another model: a
  `tokenizers` pipeline has one model, and normalizers rewrite text without context.

So each of our pieces becomes one added token whose text is the piece between two
private-use characters (marking.py). Ordinary text holds no such character: it meets no
added token and gets the base ids unchanged. A hyperword is marked by cutting it with our
SentencePiece model, so it gets exactly the cut the evaluation measured (the byte-level BPE
could not reproduce a unigram's Viterbi cut). The result is a plain transformers tokenizer
(`save_pretrained`, chat templates, batching and offsets all work); only the text fed to it
must be marked (`HyperwordMarker.mark_row`).

Which pieces: the normal pieces of our model without a space (hyperwords have none; words
with a leading space belong to ordinary text, which must not change), and of those only the
ones SentencePiece can produce — a unigram piece whose own string is cut otherwise is never
on a best path, so it would be a dead row.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import TokenizerError
from .marking import CLOSE, OPEN, SPACE, marked

EXTENSION_FILE = "extension.json"
PIECES_MODEL = "hyperword.model"


@dataclass
class Extension:
    """What was added: our pieces, their new ids, and the base ids of the same strings."""

    pieces: list[str] = field(default_factory=list)
    new_ids: list[int] = field(default_factory=list)
    base_ids: list[list[int]] = field(default_factory=list)
    base_vocab_size: int = 0
    left_out: dict[str, int] = field(default_factory=dict)   # reason -> pieces not added
    init: str = ""

    def peft_kwargs(self) -> dict:
        """For `peft.LoraConfig(**ext.peft_kwargs(), ...)`: train only the new rows."""
        return {"trainable_token_indices": list(self.new_ids)}

    def save(self, folder: Path, **extra) -> Path:
        path = Path(folder) / EXTENSION_FILE
        # one line: the id lists are long
        path.write_text(json.dumps({**asdict(self), **extra}, ensure_ascii=False) + "\n",
                        encoding="utf-8")
        return path

    @classmethod
    def load(cls, folder: Path) -> Extension:
        path = Path(folder) / EXTENSION_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise TokenizerError(f"{folder}: no {EXTENSION_FILE}; not an extended model") \
                from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TokenizerError(f"{path}: unreadable ({str(exc).splitlines()[0]})") from None
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in names})


def candidate_pieces(model_file: Path) -> tuple[list[str], dict[str, int]]:
    """Our pieces that can become tokens (see the module docstring), in id order, and how
    many were left out for each reason."""
    import sentencepiece as spm

    model_file = Path(model_file)
    if not model_file.is_file():
        raise TokenizerError(f"{model_file.parent}: no tokenizer.model (train one first)")
    sp = spm.SentencePieceProcessor(model_file=str(model_file))
    keep: list[str] = []
    left_out = {"with a space": 0, "never produced": 0}
    for i in range(sp.get_piece_size()):
        if sp.is_control(i) or sp.is_unknown(i) or sp.is_byte(i) or sp.is_unused(i):
            continue
        piece = sp.id_to_piece(i)
        if SPACE in piece or OPEN in piece or CLOSE in piece:
            left_out["with a space"] += 1
        elif sp.encode(piece) != [i]:
            left_out["never produced"] += 1
        else:
            keep.append(piece)
    return keep, left_out


def extend_tokenizer(base_tokenizer, tokenizer_dir: Path) -> Extension:
    """Add our producible pieces to `base_tokenizer` in place, as marked added tokens."""
    from tokenizers import AddedToken

    pieces, left_out = candidate_pieces(Path(tokenizer_dir) / "tokenizer.model")
    ext = Extension(base_vocab_size=len(base_tokenizer), left_out=left_out)
    if not pieces:
        return ext
    base_ids = base_tokenizer(pieces, add_special_tokens=False)["input_ids"]
    # normalized=False: matched in the raw text, before the base pipeline runs
    base_tokenizer.add_tokens([AddedToken(marked(p), normalized=False, special=False,
                                          single_word=False, lstrip=False, rstrip=False)
                               for p in pieces])
    ids = base_tokenizer.convert_tokens_to_ids([marked(p) for p in pieces])
    for piece, new_id, old in zip(pieces, ids, base_ids):
        if new_id < ext.base_vocab_size:        # the base already had this marked string
            continue
        ext.pieces.append(piece)
        ext.new_ids.append(new_id)
        ext.base_ids.append(list(old))
    return ext


def unproducible(tokenizer, ext: Extension) -> list[str]:
    """The added pieces whose marked text does not come out as their one new id (empty when
    every added token can be produced)."""
    texts = [marked(p) for p in ext.pieces]
    got = tokenizer(texts, add_special_tokens=False)["input_ids"] if texts else []
    return [p for p, i, ids in zip(ext.pieces, ext.new_ids, got) if ids != [i]]
