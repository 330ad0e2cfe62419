"""Russian morphology through pymorphy3, computed once per word at load time.

Nouns get every case in both numbers (plus the second locative that "в лесу", "на берегу"
need), adjectives every case for each agreement class, verbs their present and past forms.
Agreement classes of a head noun: 0 masculine inanimate, 1 masculine animate, 2 feminine,
3 neuter — the distinctions a Russian adjective or past-tense verb can see.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pymorphy3

from corpusgen.lang.base import Forms

CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")
POS_TAGS = {"noun": "NOUN", "adj": "ADJF", "verb": "INFN"}
CLASSES = ({"masc", "inan"}, {"masc", "anim"}, {"femn"}, {"neut"})
# literal verbs a frame can make agree with a noun in the past tense: {noun.lay} -> лежала
PAST_VERBS = {
    "was": "быть", "lay": "лежать", "stood": "стоять", "lived": "жить", "came": "прийти",
    "saw": "увидеть", "sounded": "звучать", "flooded": "заливать", "found": "найти",
}
RELATIVE = ("который", "который", "которая", "которое")  # by class
TWO = ("два", "два", "две", "два")


@cache
def analyzer() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


def lemma_parse(word: str, pos: str):
    """The dictionary parse of `word` as a lemma of `pos`, or None if pymorphy3 has none."""
    want = POS_TAGS[pos]
    plain = word.replace("ё", "е")
    # pymorphy3 writes lemmas with ё; the lexicon may spell them either way
    parses = [
        p for p in analyzer().parse(word)
        if p.is_known and p.tag.POS == want and p.normal_form.replace("ё", "е") == plain
    ]
    if pos == "noun":
        # the nominative singular reading, not a plural or oblique one of the same spelling
        parses = [p for p in parses if "nomn" in p.tag and "Pltm" not in p.tag] or parses
    if pos == "verb":
        parses = [p for p in parses if "impf" in p.tag] or parses
    return parses[0] if parses else None


def _form(parse, grammemes: set[str]) -> str | None:
    inflected = parse.inflect(grammemes)
    return inflected.word if inflected is not None else None


def _noun_class(parse) -> int:
    tag = parse.tag
    if tag.gender == "femn":
        return 2
    if tag.gender == "neut":
        return 3
    return 1 if tag.animacy == "anim" else 0


def inflect_words(words: list[dict[str, str]], pos_of: list[str]) -> Forms:
    n = len(words)
    plain: dict[str, list] = {}
    agreeing: dict[str, list] = {}

    def put(table, name, i, value):
        table.setdefault(name, [None] * n)[i] = value

    klass = np.zeros(n, dtype=np.int8)
    for i, (row, pos) in enumerate(zip(words, pos_of)):
        word = row["word"]
        put(plain, "lemma", i, word)
        parse = lemma_parse(word, pos)
        if parse is None:  # the lexicon check rejects such words; keep the lemma usable
            continue
        if pos == "noun":
            k = _noun_class(parse)
            klass[i] = k
            for case in CASES:
                put(plain, case, i, _form(parse, {case, "sing"}) or word)
                put(plain, f"{case}_pl", i, _form(parse, {case, "plur"}) or plain[case][i])
            # second locative where the language has it (в лесу, на берегу), else the first
            put(plain, "loc", i, _form(parse, {"loc2", "sing"}) or plain["loct"][i])
            prep = row.get("place_prep") or "в"
            put(plain, "prep", i, prep)
            put(plain, "at", i, f"{preposition_before(prep, plain['loc'][i])} {plain['loc'][i]}")
            put(plain, "which", i, RELATIVE[k])
            gen_sg = plain["gent"][i]
            put(plain, "num2", i, f"{TWO[k]} {gen_sg}")
            for key, verb in PAST_VERBS.items():
                put(plain, key, i, _past(verb, k))
        elif pos == "adj":
            for case in CASES:
                for c, grammemes in enumerate(CLASSES):
                    gram = {case, "sing"} | grammemes
                    if case != "accs":
                        gram -= {"anim", "inan"}
                    value = _form(parse, gram) or _form(parse, {case, "sing"} | (grammemes - {"anim", "inan"}))
                    agreeing.setdefault(case, np.full((n, 4), None, dtype=object))[i, c] = value
                for c, grammemes in enumerate(CLASSES):
                    anim = {"anim"} if c == 1 else {"inan"}
                    gram = {case, "plur"} | (anim if case == "accs" else set())
                    agreeing.setdefault(f"{case}_pl", np.full((n, 4), None, dtype=object))[i, c] = _form(parse, gram)
        elif pos == "verb":
            put(plain, "pres3sg", i, _form(parse, {"pres", "3per", "sing"}) or _form(parse, {"futr", "3per", "sing"}))
            put(plain, "pres3pl", i, _form(parse, {"pres", "3per", "plur"}) or _form(parse, {"futr", "3per", "plur"}))
            put(plain, "past_pl", i, _form(parse, {"past", "plur"}))
            for c, gender in enumerate(("masc", "masc", "femn", "neut")):
                table = agreeing.setdefault("past", np.full((n, 4), None, dtype=object))
                table[i, c] = _form(parse, {"past", gender, "sing"})
    plain_arrays = {k: np.array(v, dtype=object) for k, v in plain.items()}
    # every form again behind each preposition whose shape depends on the next word
    for prep in PREPOSITIONS:
        for name, values in list(plain_arrays.items()):
            if "+" not in name:
                plain_arrays[f"{prep}+{name}"] = _with_preposition(prep, values)
        for name, values in list(agreeing.items()):
            if "+" not in name:
                agreeing[f"{prep}+{name}"] = _with_preposition(prep, values)
    return Forms(plain=plain_arrays, agreeing=agreeing, agree_class=klass)


VOWELS = set("аеёиоуыэюя")
PREPOSITIONS = ("в", "с", "к", "о")


def preposition_before(prep: str, word: str) -> str:
    """в/с/к/о as they are written before `word`: во сне, со льдом, ко мне, об одиночестве."""
    w = word.lower()
    second_is_consonant = len(w) > 1 and w[1] not in VOWELS and w[1] not in "ьъ"
    if prep == "в" and (w[:1] in ("в", "ф") and second_is_consonant):
        return "во"
    if prep == "с" and ((w[:1] in "сзшжщ" and second_is_consonant) or w.startswith(("льд", "льн", "мно", "рж"))):
        return "со"
    if prep == "к" and ((w[:1] in "кг" and second_is_consonant) or w.startswith("мне")):
        return "ко"
    if prep == "о" and w[:1] in "аоуэиы":
        return "об"
    return prep


def _with_preposition(prep: str, values: np.ndarray) -> np.ndarray:
    out = np.empty(values.shape, dtype=object)
    flat_in, flat_out = values.reshape(-1), out.reshape(-1)
    for i, w in enumerate(flat_in):
        flat_out[i] = None if w is None else f"{preposition_before(prep, w)} {w}"
    return out


@cache
def _past(verb: str, klass: int) -> str:
    parse = lemma_parse(verb, "verb") or next(
        p for p in analyzer().parse(verb) if p.tag.POS == "INFN"
    )
    gender = ("masc", "masc", "femn", "neut")[klass]
    return _form(parse, {"past", gender, "sing"}) or verb
