"""Russian: pymorphy3 morphology, case government written into the frames."""

from __future__ import annotations

import re

import numpy as np
import polars as pl

from corpusgen.lang.base import ExtraColumn, Language, capitalise_sentences
from corpusgen.lang.ru import frames

# в/с/к/о before some consonant clusters or vowels take their long forms: во сне, со льдом
EUPHONY = (
    (r"(^|[\s,])([Вв]) ([вф][бвгджзклмнпрстфхцчшщ])", "${1}${2}о ${3}"),
    (r"(^|[\s,])([Сс]) ([сзшжщ][бвгджзклмнпрстфхцчшщ]|льд|льн|мно)", "${1}${2}о ${3}"),
    (r"(^|[\s,])([Кк]) ([кг][бвгджзклмнпрстфхцчшщ]|мне)", "${1}${2}о ${3}"),
    (r"(^|[\s,])([Оо]) ([аоуэиы])", "${1}${2}б ${3}"),
)


class Russian(Language):
    code = "ru"
    name = "Russian"
    script = "Cyrillic"
    word_pattern = re.compile(r"[а-яё]+")
    extra_columns = (ExtraColumn("place_prep", required_for="place", values=frozenset({"в", "на"})),)
    gloss_frames = frames.GLOSS
    sentence_frames = frames.SENTENCE
    instruction = "Что значит это слово?"

    def check_word(self, word: str, pos: str) -> str | None:
        from corpusgen.lang.ru import grammar

        if grammar.lemma_parse(word, pos) is not None:
            return None
        known = sorted({p.tag.POS or "?" for p in grammar.analyzer().parse(word) if p.is_known})
        if not known:
            return f"pymorphy3 does not know the word {word!r}"
        return f"pymorphy3 knows {word!r} only as {'/'.join(known)}, not as a {pos} lemma"

    def inflect(self, words, pos_of):
        from corpusgen.lang.ru import grammar  # heavy: only when forms are needed

        return grammar.inflect_words(words, pos_of)

    def finish(self, texts: np.ndarray, sentence: bool) -> np.ndarray:
        s = pl.Series(texts, dtype=pl.String)
        for pattern, repl in EUPHONY:
            s = s.str.replace_all(pattern, repl)
        out = s.to_numpy().astype(object)
        return capitalise_sentences(out) if sentence else out

    def names_words(self, texts, words, vocabulary):
        nlp = _pipeline()
        lemmatizer = nlp.get_pipe("lemmatizer")
        out = []
        known: dict[str, set[str]] = {}  # a token's candidate lemmas, computed once
        for doc, wanted in zip(nlp.pipe(texts), words):
            lemmas: set[str] = set()
            for token in doc:
                if token.text not in known:
                    found = {token.lower_}
                    # a blank pipeline has no tagger: ask the lemmatizer for each open class
                    for pos in ("NOUN", "ADJ", "VERB"):
                        token.pos_ = pos
                        found.update(lemmatizer.lemmatize(token))
                    known[token.text] = {x.replace("ё", "е") for x in found}
                lemmas |= known[token.text]
            out.append([w.replace("ё", "е") in lemmas for w in wanted])
        return out


_NLP = None


def _pipeline():
    global _NLP
    if _NLP is None:
        import spacy

        _NLP = spacy.blank("ru")
        _NLP.add_pipe("lemmatizer", config={"mode": "pymorphy3"})
        _NLP.initialize()
    return _NLP


LANGUAGE = Russian()
