"""Thai: words checked against pythainlp's dictionary; text segmented by pythainlp."""

from __future__ import annotations

import re
from functools import cache

from mnemophrase.corpusgen.lang.base import ExtraColumn, Language
from mnemophrase.corpusgen.lang.th import frames


@cache
def _dictionary() -> frozenset[str]:
    from pythainlp.corpus import thai_words

    return frozenset(thai_words())


def _classifier_problem(value: str) -> str | None:
    if value not in _dictionary():
        return f"classifier {value!r} is not a word of pythainlp's dictionary"
    return None


@cache
def _frame_words() -> frozenset[str]:
    from pythainlp.tokenize import word_tokenize

    from mnemophrase.corpusgen.lang.frame_language import SLOT

    text = " ".join(frames.GLOSS + frames.SENTENCE + ("ที่", "สอง"))
    literal = SLOT.sub(" ", text.replace("[", " ").replace("]", " ").replace("|", " "))
    return frozenset(w for w in word_tokenize(literal, engine="newmm") if w.strip())


class Thai(Language):
    code = "th"
    name = "Thai"
    script = "Thai"
    word_pattern = re.compile(r"[\u0e01-\u0e5b]+")
    # letters, vowel signs and tone marks; not the Thai digits
    script_pattern = re.compile(r"[\u0e01-\u0e4e]+")
    spaced = False
    libraries = ("pythainlp",)
    extra_columns = (ExtraColumn("classifier", required_for="noun", check=_classifier_problem),)
    gloss_frames = frames.GLOSS
    sentence_frames = frames.SENTENCE

    def check_word(self, word: str, pos: str) -> str | None:
        if word not in _dictionary():
            return f"{word!r} is not one word of pythainlp's dictionary"
        return None

    def background_words(self, limit: int) -> list[str]:
        """The words of pythainlp's dictionary, most frequent first by the Thai National
        Corpus counts pythainlp ships (Thai has no wordfreq list); Thai does not inflect."""
        from pythainlp.corpus import tnc

        dictionary = _dictionary()
        counted = sorted(((n, w) for w, n in tnc.word_freqs()
                          if w in dictionary and self.word_pattern.fullmatch(w)),
                         key=lambda nw: (-nw[0], nw[1]))
        return [w for _, w in counted[:limit]]

    def inflect(self, words, pos_of):
        from mnemophrase.corpusgen.lang.th import grammar  # heavy: only when forms are needed

        return grammar.inflect_words(words, pos_of)

    def names_words(self, texts, words, vocabulary=None):
        # Thai writes no spaces between words, so a text can be read more than one way
        # ("แม่น้ำแข็ง" is river+hard or mother+ice). The text is segmented by pythainlp's
        # newmm over a closed dictionary — the lexicon's words and the frames' own words as
        # pythainlp segments them — and a word counts as named when it sits on token
        # boundaries of that segmentation, or of another complete segmentation of the text
        # by the same dictionary (a reader resolves such ambiguity by meaning).
        from pythainlp.tokenize import word_tokenize
        from pythainlp.util import Trie

        dictionary = set(vocabulary if vocabulary is not None else _dictionary()) | _frame_words()
        trie = Trie(dictionary)
        out = []
        for text, wanted in zip(texts, words):
            tokens = word_tokenize(text, custom_dict=trie, engine="newmm", keep_whitespace=True)
            bounds, pos = {0}, 0
            for tok in tokens:
                pos += len(tok)
                bounds.add(pos)
            reach = None
            found = []
            for w in wanted:
                hit = _aligned(text, w, lambda a, b, ok=bounds: a in ok and b in ok)
                if not hit:
                    reach = reach or _reachability(text, trie)
                    hit = _aligned(text, w, lambda a, b, ok=reach[0]: a in ok and b in ok)
                found.append(hit)
            out.append(found)
        return out


def _aligned(text: str, word: str, ok) -> bool:
    start = text.find(word)
    while start != -1:
        if ok(start, start + len(word)):
            return True
        start = text.find(word, start + 1)
    return False


def _reachability(text: str, trie) -> tuple[set[int], set[int]]:
    """Positions reachable from the start, and positions from which the end is reachable,
    stepping by dictionary words (or single spaces)."""
    n = len(text)
    steps: dict[int, list[int]] = {}
    for i in range(n):
        ends = [i + len(w) for w in trie.prefixes(text[i:])]
        if text[i].isspace():
            ends.append(i + 1)
        steps[i] = ends
    forward = {0}
    for i in range(n):
        if i in forward:
            forward.update(steps[i])
    backward = {n}
    for i in range(n - 1, -1, -1):
        if any(e in backward for e in steps[i]):
            backward.add(i)
    return forward & backward, forward & backward


LANGUAGE = Thai()
