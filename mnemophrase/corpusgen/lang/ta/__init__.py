"""Tamil: hand-written morphology (cases on oblique stems, plurals, verb agreement), words
checked against wordfreq's frequency-ranked Tamil list."""

from __future__ import annotations

import re
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

from mnemophrase.corpusgen.lang.base import ExtraColumn, Language
from mnemophrase.corpusgen.lang.frame_language import Variant
from mnemophrase.corpusgen.lang.ta import frames
from mnemophrase.corpusgen.lang.ta.verbs import CONJUGATIONS, GENDERS

# wordfreq's Tamil list ends near Zipf 3.0 (about 68,000 forms, inflected ones among them):
# a lexicon word must be on it, that is, occur about once per million words or more
TOP_N = 100_000
# Tamil letters: vowels, consonants (with the Grantha ஜ ஷ ஸ ஹ), vowel signs, pulli, ஃ;
# no Tamil digits or number signs
LETTERS = "\u0b82\u0b83\u0b85-\u0b90\u0b92-\u0b95\u0b99\u0b9a\u0b9c\u0b9e\u0b9f\u0ba3\u0ba4" \
          "\u0ba8-\u0baa\u0bae-\u0bb9\u0bbe-\u0bc2\u0bc6-\u0bc8\u0bca-\u0bcd\u0bd7"
# a case form that doubles the hard consonant a following word begins with
DOUBLING_FORMS = frozenset({"acc", "dat", "pl_acc", "pl_dat"})
HARD_START = re.compile(r"^ ([கசதப])")
# endings no noun lemma has: finite verbs, participles, adverbs
VERB_ENDINGS = ("கிறது", "கின்றன", "ந்தது", "த்தது", "ியது", "கிறான்", "கிறாள்", "கிறார்")


@cache
def _ranked() -> tuple[str, ...]:
    import wordfreq

    return tuple(wordfreq.top_n_list("ta", TOP_N))


@cache
def _known() -> frozenset[str]:
    return frozenset(_ranked())


class Tamil(Language):
    code = "ta"
    name = "Tamil"
    script = "Tamil"
    word_pattern = re.compile(f"[{LETTERS}]+")
    script_pattern = re.compile(f"[{LETTERS}]+")  # Tamil letters only: no digits or signs
    libraries = ("wordfreq",)
    extra_columns = (
        ExtraColumn("gender", required_for="creature", values=frozenset(GENDERS)),
        ExtraColumn("conj", required_for="verb", values=frozenset(CONJUGATIONS)),
    )
    gloss_frames = frames.GLOSS
    sentence_frames = frames.SENTENCE

    def check_word(self, word: str, pos: str) -> str | None:
        from mnemophrase.corpusgen.lang.ta import nouns, script, verbs

        if pos == "verb":
            if word.endswith(VERB_ENDINGS):
                return f"{word!r} is a finite verb form, not a root"
            # a root is rarely written alone: its finite forms and participles are
            if word not in _known() and not verbs.any_verb_forms(word) & _known():
                return f"neither {word!r} nor a form of it is in wordfreq's Tamil list"
            return None
        if word not in _known():
            return f"{word!r} is not in wordfreq's Tamil list (Zipf 3 and above)"
        if pos == "adj" and nouns.adjective_forms(word) is None:
            return (f"{word!r} is neither a participle (அழகான, பெரிய, குளிர்ந்த) nor a noun "
                    "that modifies as a noun (நீலம், பச்சை), as a Tamil adjective is")
        if pos == "noun" and word.endswith(VERB_ENDINGS):
            return f"{word!r} ends like a verb form, not a noun"
        if pos == "noun" and script.vowel_of(script.letters(word)[-1]) == "அ":
            return f"{word!r} ends in -அ, as adjectives and participles do, not nouns"
        return None

    def inflect(self, words, pos_of):
        from mnemophrase.corpusgen.lang.ta import grammar

        return grammar.inflect_words(words, pos_of)

    def rewrite(self, variant: Variant) -> Variant:
        """An accusative or dative before a word in க ச த ப doubles it: the pulli consonant
        is written onto the case form's end (பெட்டியைக் கண்டுபிடிக்கிறது). The next word is
        a literal, or a verb the frame makes agree ({creature.saw}: பார்த்தது)."""
        from mnemophrase.corpusgen.lang.ta.grammar import AGREEING_VERBS

        pieces = list(variant.pieces)
        for i in range(len(pieces) - 1):
            here, after = pieces[i], pieces[i + 1]
            if here.slot is None or here.form not in DOUBLING_FORMS or after.slot is not None:
                continue
            following = after.text
            if following == " " and i + 2 < len(pieces) and pieces[i + 2].form in AGREEING_VERBS:
                following += AGREEING_VERBS[pieces[i + 2].form][0]
            m = HARD_START.match(following)
            if m:
                pieces[i + 1] = after._replace(text=f"{m.group(1)}\u0bcd{after.text}")
        return variant._replace(pieces=tuple(pieces))

    def finish(self, texts: pa.Array, sentence: bool) -> pa.Array:
        if not sentence:
            return texts
        return pc.binary_join_element_wise(texts, pa.scalar("."), pa.scalar(""))

    def background_words(self, limit: int) -> list[str]:
        """wordfreq's Tamil ranking (it counts written tokens, inflected ones among them),
        each word folded to the most frequent of the strings the lemma reader finds for it
        that wordfreq also lists (மரத்தில் -> மரம்; a word more frequent than any of them,
        as the function words are, stays itself), the first occurrence of a lemma kept."""
        from mnemophrase.corpusgen.lang.ta.lemmas import lemma_candidates

        rank = {w: i for i, w in enumerate(_ranked())}
        out: dict[str, None] = {}
        for word in _ranked():
            if len(out) >= limit:
                break
            if self.word_pattern.fullmatch(word):
                known = (c for c in lemma_candidates(word) | {word} if c in rank)
                out.setdefault(min(known, key=rank.get), None)
        return list(out)

    def names_words(self, texts, words, vocabulary=None):
        """A word is named when some token of the text reads back to it (lemmas.py), among
        the lexicon's words when `vocabulary` is given."""
        from mnemophrase.corpusgen.lang.ta.lemmas import lemma_candidates

        out = []
        for text, wanted in zip(texts, words):
            lemmas: set[str] = set()
            for token in TOKEN.findall(text):
                found = lemma_candidates(token)
                lemmas |= found & vocabulary if vocabulary is not None else found
            out.append([w in lemmas for w in wanted])
        return out


TOKEN = re.compile(f"[{LETTERS}]+")

LANGUAGE = Tamil()
