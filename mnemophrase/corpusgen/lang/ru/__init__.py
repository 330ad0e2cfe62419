"""Russian: pymorphy3 morphology, case government written into the frames."""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from mnemophrase.corpusgen.lang.base import ExtraColumn, Language, capitalise_sentences
from mnemophrase.corpusgen.lang.frame_language import Variant
from mnemophrase.corpusgen.lang.ru import frames

# A preposition right before a slot ("в {light.loct}") is folded into the slot's form, so
# the word can choose the preposition's shape (во сне, со льдом, ко мне, об одиночестве).
PREPOSITION_BEFORE_SLOT = re.compile(r"(^|[\s,])([вско]) $")
# a place noun brings its own в/на, which may meet an adjective: "в влажном" -> "во влажном"
V_BEFORE_CLUSTER = (r"(^|[\s,])([Вв]) ([вф][бвгджзклмнпрстфхцчшщ])", r"\1\2о \3")

class Russian(Language):
    code = "ru"
    name = "Russian"
    script = "Cyrillic"
    word_pattern = re.compile(r"[а-яё]+")
    script_pattern = re.compile(r"[а-яёА-ЯЁ]+")
    libraries = ("pymorphy3", "pymorphy3-dicts-ru", "spacy", "wordfreq")
    extra_columns = (
        ExtraColumn("place_prep", required_for="place", values=frozenset({"в", "на"})),
    )
    gloss_frames = frames.GLOSS
    sentence_frames = frames.SENTENCE

    def check_word(self, word: str, pos: str) -> str | None:
        from mnemophrase.corpusgen.lang.ru import grammar

        if grammar.lemma_parse(word, pos) is not None:
            return None
        known = sorted({p.tag.POS or "?" for p in grammar.analyzer().parse(word) if p.is_known})
        if not known:
            return f"pymorphy3 does not know the word {word!r}"
        return f"pymorphy3 knows {word!r} only as {'/'.join(known)}, not as a {pos} lemma"

    def background_words(self, limit: int) -> list[str]:
        """wordfreq's Russian ranking, each word folded to its lemma by pymorphy3 (its most
        likely parse), the first occurrence of a lemma kept."""
        import wordfreq

        from mnemophrase.corpusgen.lang.ru import grammar

        morph = grammar.analyzer()
        out: dict[str, None] = {}
        for word in wordfreq.iter_wordlist("ru"):
            if len(out) >= limit:
                break
            if self.word_pattern.fullmatch(word):
                lemma = morph.parse(word)[0].normal_form
                if self.word_pattern.fullmatch(lemma):
                    out.setdefault(lemma, None)
        return list(out)

    def inflect(self, words, pos_of):
        from mnemophrase.corpusgen.lang.ru import grammar  # heavy: only when forms are needed

        return grammar.inflect_words(words, pos_of)

    def rewrite(self, variant: Variant) -> Variant:
        pieces = list(variant.pieces)
        for i in range(len(pieces) - 1):
            here, after = pieces[i], pieces[i + 1]
            if here.slot is None and after.slot is not None:
                m = PREPOSITION_BEFORE_SLOT.search(here.text)
                if m:
                    pieces[i] = here._replace(text=here.text[: m.start(2)])
                    pieces[i + 1] = after._replace(form=f"{m.group(2)}+{after.form}")
        return variant._replace(pieces=tuple(pieces))

    def finish(self, texts: pa.Array, sentence: bool) -> pa.Array:
        texts = pc.replace_substring_regex(texts, *V_BEFORE_CLUSTER)
        return capitalise_sentences(texts) if sentence else texts

    def names_words(self, texts, words, vocabulary=None):
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
