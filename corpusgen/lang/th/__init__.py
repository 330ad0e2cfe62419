"""Thai: words checked against pythainlp's dictionary; text segmented by pythainlp."""

from __future__ import annotations

import re
from functools import cache

from corpusgen.lang.base import ExtraColumn, Language
from corpusgen.lang.th import frames, grammar


@cache
def _dictionary() -> frozenset[str]:
    from pythainlp.corpus import thai_words

    return frozenset(thai_words())


def _classifier_problem(value: str) -> str | None:
    if value not in _dictionary():
        return f"classifier {value!r} is not a word of pythainlp's dictionary"
    return None


class Thai(Language):
    code = "th"
    name = "Thai"
    script = "Thai"
    word_pattern = re.compile(r"[\u0e01-\u0e5b]+")
    extra_columns = (ExtraColumn("classifier", required_for="noun", check=_classifier_problem),)
    gloss_frames = frames.GLOSS
    sentence_frames = frames.SENTENCE
    instruction = "คำนี้หมายความว่าอะไร"

    def check_word(self, word: str, pos: str) -> str | None:
        if word not in _dictionary():
            return f"{word!r} is not one word of pythainlp's dictionary"
        return None

    def inflect(self, words, pos_of):
        return grammar.inflect_words(words, pos_of)

    def names_words(self, texts, words):
        # pythainlp's newmm segmenter over its dictionary plus the lexicon's words; a word is
        # named when it occurs with token boundaries on both sides (compounds may be split
        # into several dictionary tokens, so a run of tokens counts).
        from pythainlp.tokenize import word_tokenize
        from pythainlp.util import Trie

        vocab = set(_dictionary()) | {w for ws in words for w in ws}
        trie = Trie(vocab)
        out = []
        for text, wanted in zip(texts, words):
            tokens = word_tokenize(text, custom_dict=trie, engine="newmm", keep_whitespace=True)
            bounds, pos = {0}, 0
            for tok in tokens:
                pos += len(tok)
                bounds.add(pos)
            found = []
            for w in wanted:
                start, hit = text.find(w), False
                while start != -1 and not hit:
                    hit = start in bounds and start + len(w) in bounds
                    start = text.find(w, start + 1)
                found.append(hit)
            out.append(found)
        return out


LANGUAGE = Thai()
