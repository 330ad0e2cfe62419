"""The data's own limit on words a build never used: the fewest tokens per word any
tokenizer whose pieces are substrings of the training words could reach, and the best
boundary F1 that allows."""

from __future__ import annotations

MAX_PIECE = 16        # SentencePiece's max_sentencepiece_length in LOSSLESS


def substring_floor(types: set[str], words: list[str]) -> float:
    """Fewest tokens per word for `words` if pieces may be any substring (up to MAX_PIECE
    characters) of one of `types` — a bound set by the data, not by a training method.
    A character no type holds costs one token."""
    alphabet = {c for w in words for c in w}
    substrings = set()
    for w in types:
        if not set(w) & alphabet:
            continue
        for i in range(len(w)):
            for j in range(i + 2, min(len(w), i + MAX_PIECE) + 1):
                substrings.add(w[i:j])
    total = 0
    for w in words:
        best = [0] + [len(w) + 1] * len(w)
        for j in range(1, len(w) + 1):
            for i in range(max(0, j - MAX_PIECE), j):
                if (j - i == 1 or w[i:j] in substrings) and best[i] + 1 < best[j]:
                    best[j] = best[i] + 1
        total += best[-1]
    return total / len(words) if words else 0.0


def floor_and_ceiling(types: set[str], hyperwords: list[list[str]]) -> dict:
    """The substring floor on a set's words, and the best boundary F1 it allows: even with
    every join found (recall 1), a tokenizer at the floor predicts floor x words - 1
    boundaries per hyperword, so its precision is at most joins / those boundaries."""
    words = sum(len(h) for h in hyperwords)
    joins = sum(len(h) - 1 for h in hyperwords)
    per_word = substring_floor(types, [w for h in hyperwords for w in h])
    boundaries = per_word * words - len(hyperwords)
    precision = joins / boundaries if boundaries > 0 else 1.0
    return {"tokens_per_word": round(per_word, 3),
            "f1_ceiling": round(2 * precision / (1 + precision), 3)}
