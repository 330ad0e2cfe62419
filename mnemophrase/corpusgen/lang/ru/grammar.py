"""Russian morphology through pymorphy3, computed once per word at load time.

Nouns get every case in both numbers (plus the second locative that "в лесу", "на берегу"
need), adjectives every case for each agreement class, verbs their present and past forms.
Agreement classes of a head noun: 0 masculine inanimate, 1 masculine animate, 2 feminine,
3 neuter — the distinctions a Russian adjective or past-tense verb can see.
"""

from __future__ import annotations

from functools import cache, partial

import numpy as np
import pymorphy3

from mnemophrase.corpusgen.lang.base import Forms, FormTable

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
    table = FormTable(len(words), classes=len(CLASSES))
    for i, (row, pos) in enumerate(zip(words, pos_of)):
        word = row["word"]
        table.put("lemma", i, word)
        parse = lemma_parse(word, pos)
        if parse is None:  # the lexicon check rejects such words; keep the lemma usable
            continue
        put = partial(_put_at, table.put, i)
        agree = partial(_put_at, table.agree, i)
        if pos == "noun":
            table.agree_class[i] = _noun_forms(parse, row, put)
        elif pos == "adj":
            _adjective_forms(parse, agree)
        elif pos == "verb":
            _verb_forms(parse, put, agree)
    forms = table.forms()
    _add_prepositions(forms.plain)
    _add_prepositions(forms.agreeing)
    return forms


def _put_at(setter, i: int, name: str, *value) -> None:
    setter(name, i, *value)


def _add_prepositions(forms: dict[str, np.ndarray]) -> None:
    """Every form again behind each preposition whose shape depends on the next word."""
    for prep in PREPOSITIONS:
        for name, values in list(forms.items()):
            if "+" not in name:
                forms[f"{prep}+{name}"] = _with_preposition(prep, values)


def _noun_forms(parse, row: dict[str, str], put) -> int:
    """A noun's cases in both numbers, its place phrase, relative pronoun, "two X" and the
    past of the verbs that agree with it; returns its agreement class."""
    word = row["word"]
    k = _noun_class(parse)
    forms: dict[str, str] = {}
    for case in CASES:
        forms[case] = _form(parse, {case, "sing"}) or word
        forms[f"{case}_pl"] = _form(parse, {case, "plur"}) or forms[case]
    # second locative where the language has it (в лесу, на берегу), else the first
    forms["loc"] = _form(parse, {"loc2", "sing"}) or forms["loct"]
    prep = row.get("place_prep") or "в"
    forms["prep"] = prep
    forms["at"] = f"{preposition_before(prep, forms['loc'])} {forms['loc']}"
    forms["which"] = RELATIVE[k]
    forms["num2"] = f"{TWO[k]} {forms['gent']}"
    for key, verb in PAST_VERBS.items():
        forms[key] = _past(verb, k)
    for name, value in forms.items():
        put(name, value)
    return k


def _adjective_forms(parse, agree) -> None:
    """An adjective in every case, agreeing with each noun class, singular and plural."""
    for case in CASES:
        for c, grammemes in enumerate(CLASSES):
            gram = {case, "sing"} | grammemes
            if case != "accs":
                gram -= {"anim", "inan"}
            fallback = {case, "sing"} | (grammemes - {"anim", "inan"})
            agree(case, c, _form(parse, gram) or _form(parse, fallback))
        for c, _grammemes in enumerate(CLASSES):
            anim = {"anim"} if c == 1 else {"inan"}
            plural = {case, "plur"} | (anim if case == "accs" else set())
            agree(f"{case}_pl", c, _form(parse, plural))


def _verb_forms(parse, put, agree) -> None:
    """Present (or perfective future) third person, past plural, and the past singular
    agreeing with each noun class."""
    for name, number in (("pres3sg", "sing"), ("pres3pl", "plur")):
        put(name, _form(parse, {"pres", "3per", number}) or _form(parse, {"futr", "3per", number}))
    put("past_pl", _form(parse, {"past", "plur"}))
    for c, gender in enumerate(("masc", "masc", "femn", "neut")):
        agree("past", c, _form(parse, {"past", gender, "sing"}))


VOWELS = set("аеёиоуыэюя")
PREPOSITIONS = ("в", "с", "к", "о")


def preposition_before(prep: str, word: str) -> str:
    """в/с/к/о as they are written before `word`: во сне, со льдом, ко мне, об одиночестве."""
    w = word.lower()
    second_is_consonant = len(w) > 1 and w[1] not in VOWELS and w[1] not in "ьъ"
    if prep == "в" and (w[:1] in ("в", "ф") and second_is_consonant):
        return "во"
    if prep == "с" and ((w[:1] in "сзшжщ" and second_is_consonant)
                       or w.startswith(("льд", "льн", "мно", "рж"))):
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
