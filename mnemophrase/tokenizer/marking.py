"""Hyperwords written so that an extended tokenizer reads them with our pieces.

A hyperword is cut by our SentencePiece model (the cut the evaluation scores), and each
piece is written between two private-use characters, OPEN piece CLOSE. The extended
tokenizer knows every such string as one added token (extend_tokenizer.py), so a marked hyperword
becomes exactly our pieces, while text without the markers — all ordinary text — never
meets an added token and is cut by the base tokenizer alone. Characters our model only
knows as bytes are left unmarked, for the base tokenizer to spell.

Private-use characters (U+E000, U+E001) are assigned by Unicode to no character, so no
ordinary text holds them; `unmark` removes them from decoded text.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import TokenizerError

OPEN, CLOSE = "\ue000", "\ue001"
SPACE = "▁"
_BYTE = re.compile(r"<0x([0-9A-F]{2})>")


def marked(piece: str) -> str:
    """The added token's text for one of our pieces."""
    return f"{OPEN}{piece}{CLOSE}"


def unmark(text: str) -> str:
    """Decoded text without the markers: what the model said, as plain text."""
    return text.replace(OPEN, "").replace(CLOSE, "")


class HyperwordMarker:
    """Cuts hyperwords with a trained SentencePiece model and writes them marked.

    `pieces` limits marking to the pieces the extended tokenizer holds (all normal pieces
    without a space when None); any other piece is left as plain text for the base
    tokenizer.
    """

    def __init__(self, model_file: Path, pieces: set[str] | None = None):
        import sentencepiece as spm

        model_file = Path(model_file)
        if not model_file.is_file():
            raise TokenizerError(f"{model_file}: no such SentencePiece model")
        self.sp = spm.SentencePieceProcessor(model_file=str(model_file))
        self.pieces = pieces

    def segment(self, hyperword: str) -> list[str]:
        """Our pieces of `hyperword`, as text; runs of byte pieces become the characters
        they spell."""
        return self.segment_many([hyperword])[0]

    def segment_many(self, hyperwords: list[str]) -> list[list[str]]:
        """`segment` for many hyperwords at once (SentencePiece encodes a batch in C++)."""
        return [_join_bytes(pieces) for pieces in self.sp.encode(list(hyperwords), out_type=str)]

    def mark(self, hyperword: str) -> str:
        """`hyperword` as marked pieces (pieces the extension lacks stay plain)."""
        return self.mark_many([hyperword])[0]

    def mark_many(self, hyperwords: list[str]) -> list[str]:
        for hyperword in hyperwords:
            if OPEN in hyperword or CLOSE in hyperword:
                raise TokenizerError(f"{hyperword!r} is already marked")
        known = self.pieces
        return ["".join(marked(p) if (known is None or p in known) and " " not in p else p
                        for p in pieces) for pieces in self.segment_many(hyperwords)]

    def mark_in(self, text: str, hyperwords) -> str:
        """`text` with every occurrence of each of `hyperwords` marked, in one pass (the
        longest first where two overlap, so nothing is marked twice)."""
        words = sorted({h for h in hyperwords if h}, key=len, reverse=True)
        if not words:
            return text
        table = dict(zip(words, self.mark_many(words)))
        pattern = re.compile("|".join(map(re.escape, words)))
        return pattern.sub(lambda m: table[m.group()], text)

    def mark_row(self, row: dict) -> dict:
        """A published row with its hyperword marked wherever the row holds it (prompt,
        text, the messages' turns); a row without a hyperword comes back unchanged."""
        hyperword = row.get("hyperword")
        if not hyperword:
            return row
        out = dict(row)
        for column in ("prompt", "text", "completion"):
            if isinstance(out.get(column), str):
                out[column] = self.mark_in(out[column], [hyperword])
        if isinstance(out.get("messages"), list):
            out["messages"] = [dict(m, content=self.mark_in(m["content"], [hyperword]))
                               for m in out["messages"]]
        return out


def _join_bytes(pieces: list[str]) -> list[str]:
    """SentencePiece pieces as text: "▁" back to a space, each run of byte pieces as the
    characters it spells."""
    out: list[str] = []
    pending = bytearray()
    for piece in pieces:
        byte = _BYTE.fullmatch(piece)
        if byte:
            pending.append(int(byte.group(1), 16))
            continue
        if pending:
            out.append(pending.decode("utf-8", errors="replace"))
            pending.clear()
        out.append(piece.replace(SPACE, " "))
    if pending:
        out.append(pending.decode("utf-8", errors="replace"))
    return out
