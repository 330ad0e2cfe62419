"""Boundary scoring: does a tokenizer cut a hyperword where its words meet?

Per hyperword, the gold boundaries are the joins between its constituents (character
offsets) and the predicted ones are where a token starts inside the hyperword. Precision,
recall and F1 are summed over all hyperwords of a set (micro-average); tokens per word is
tokens / constituents. A tokenizer that splits one character into several bytes predicts no
boundary inside it: every token start is mapped to its character.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class BoundaryScore:
    hits: int = 0          # predicted boundaries that are gold joins
    predicted: int = 0     # boundaries the tokenizer put inside hyperwords
    gold: int = 0          # joins between words
    tokens: int = 0
    words: int = 0

    @property
    def precision(self) -> float:
        return self.hits / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.hits / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def tokens_per_word(self) -> float:
        return self.tokens / self.words if self.words else 0.0

    def summary(self) -> dict:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4), "tokens_per_word": round(self.tokens_per_word, 4),
                "hyperwords_words": self.words, "tokens": self.tokens}


def gold_joins(parts) -> set[int]:
    joins, at = set(), 0
    for part in parts[:-1]:
        at += len(part)
        joins.add(at)
    return joins


def predicted_boundaries(offsets, length: int) -> set[int]:
    """Token starts strictly inside the text (byte pieces of one character share a start)."""
    return {start for start, _ in offsets if 0 < start < length}


def score_boundaries(hyperwords: list, offsets: list) -> BoundaryScore:
    """hyperwords: lists of gold parts; offsets: per hyperword, the (start, end) of each
    token in characters of the joined hyperword."""
    score = BoundaryScore()
    for parts, spans in zip(hyperwords, offsets, strict=True):
        gold = gold_joins(parts)
        pred = predicted_boundaries(spans, sum(len(p) for p in parts))
        score.hits += len(gold & pred)
        score.predicted += len(pred)
        score.gold += len(gold)
        score.tokens += len(spans)
        score.words += len(parts)
    return score
