"""English: lemminflect plurals and verb forms, a/an from inflect."""

from __future__ import annotations

import re
from functools import cache

import pyarrow as pa

from mnemophrase.corpusgen.lang.base import ExtraColumn, Language, capitalise_sentences
from mnemophrase.corpusgen.lang.en import frames

TOP_N = 50_000


@cache
def _top_words() -> frozenset[str]:
    import wordfreq

    return frozenset(wordfreq.top_n_list("en", TOP_N))


class English(Language):
    code = "en"
    name = "English"
    script = "Latin"
    word_pattern = re.compile(r"[a-z]+")
    script_pattern = re.compile(r"[a-zA-Z]+")
    libraries = ("inflect", "lemminflect", "spacy", "spacy-lookups-data", "wordfreq")
    extra_columns = (
        ExtraColumn("countable", required_for="noun", values=frozenset({"yes", "no"})),
        ExtraColumn("place_prep", required_for="place", values=frozenset({"in", "on", "at"})),
    )
    gloss_frames = frames.GLOSS
    sentence_frames = frames.SENTENCE

    def check_word(self, word: str, pos: str) -> str | None:
        if word not in _top_words():
            return f"{word!r} is not among wordfreq's top {TOP_N:,} English words"
        return None

    def background_words(self, limit: int) -> list[str]:
        """wordfreq's English ranking, each word folded to its lemma by lemminflect (nouns
        first, then verbs, then adjectives), the first occurrence of a lemma kept."""
        import wordfreq
        from lemminflect import getLemma

        out: dict[str, None] = {}
        for word in wordfreq.iter_wordlist("en"):
            if len(out) >= limit:
                break
            if not self.word_pattern.fullmatch(word):
                continue
            lemma = next((lem[0] for upos in ("NOUN", "VERB", "ADJ")
                          if (lem := getLemma(word, upos=upos, lemmatize_oov=False))), word)
            if self.word_pattern.fullmatch(lemma):
                out.setdefault(lemma, None)
        return list(out)

    def inflect(self, words, pos_of):
        from mnemophrase.corpusgen.lang.en import grammar  # heavy: only when forms are needed

        return grammar.inflect_words(words, pos_of)

    def finish(self, texts: pa.Array, sentence: bool) -> pa.Array:
        return capitalise_sentences(texts) if sentence else texts

    def names_words(self, texts, words, vocabulary=None):
        lookup, rules = _pipeline("lookup"), _pipeline("rule")
        rule_lemmatizer = rules.get_pipe("lemmatizer")
        known: dict[str, set[str]] = {}  # a token's candidate lemmas, computed once
        out = []
        for doc, wanted in zip(lookup.pipe(texts), words):
            lemmas: set[str] = set()
            for token in doc:
                if token.text not in known:
                    found = {token.lower_, token.lemma_.lower()}
                    # the lookup table has one lemma per form ("thieves" -> "thieve"); the
                    # rule lemmatizer, asked for each open class, gives the others
                    for pos in ("NOUN", "VERB", "ADJ"):
                        token.pos_ = pos
                        found.update(x.lower() for x in rule_lemmatizer.rule_lemmatize(token))
                    known[token.text] = found
                lemmas |= known[token.text]
            out.append([w in lemmas for w in wanted])
        return out


@cache
def _pipeline(mode: str):
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": mode})
    nlp.initialize()
    return nlp


LANGUAGE = English()
