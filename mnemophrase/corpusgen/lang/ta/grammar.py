"""Tamil forms of the whole lexicon as the generator's tables (see nouns.py, verbs.py).

A verb or a modifier agrees with a noun through the noun's agreement class: its gender (for
a verb) and the hard consonant it begins with, if any (for a modifier, which may double it:
நீலக் கடல்).
"""

from __future__ import annotations

import numpy as np

from mnemophrase.corpusgen.lang.base import Forms
from mnemophrase.corpusgen.lang.ta.nouns import adjective_forms, noun_forms
from mnemophrase.corpusgen.lang.ta.script import HARD_STARTS
from mnemophrase.corpusgen.lang.ta.verbs import GENDERS, verb_forms

# literal verbs a frame makes agree with a creature noun: {creature.finds} -> கண்டுபிடிக்கிறான்
AGREEING_VERBS = {"finds": ("கண்டுபிடி", "strong-tt", "pres"), "saw": ("பார்", "strong-tt", "past"),
                  "came": ("வா", "irregular", "past")}


def agreement_class(gender: str, word: str) -> int:
    """What a verb or a modifier before the noun `word` agrees with: its gender, and which
    hard consonant it begins with, if any (a modifier may double it)."""
    start = HARD_STARTS.index(word[0]) + 1 if word[0] in HARD_STARTS else 0
    return GENDERS.index(gender) * (len(HARD_STARTS) + 1) + start


def _by_class(by_gender: dict[str, str] | None = None, by_start: dict | None = None,
              plain: str | None = None) -> list[str | None]:
    """One agreeing table row: every class's form, from forms by gender or by start."""
    row = []
    for gender in GENDERS:
        for start in ("",) + HARD_STARTS:
            if by_gender is not None:
                row.append(by_gender[gender])
            else:
                row.append(by_start[start] if start else plain)
    return row


def inflect_words(words: list[dict[str, str]], pos_of: list[str]) -> Forms:
    n = len(words)
    plain: dict[str, list] = {}
    agreeing: dict[str, np.ndarray] = {}
    klass = np.zeros(n, dtype=np.int8)
    literal = {key: verb_forms(root, conj) for key, (root, conj, _) in AGREEING_VERBS.items()}
    classes = len(GENDERS) * (len(HARD_STARTS) + 1)

    def agree(name: str, i: int, row: list) -> None:
        agreeing.setdefault(name, np.full((n, classes), None, dtype=object))[i] = row

    for i, (row, pos) in enumerate(zip(words, pos_of)):
        word = row["word"]
        found: dict[str, str] = {"lemma": word}
        if pos == "noun":
            gender = row.get("gender") if row.get("gender") in GENDERS else "n"
            klass[i] = agreement_class(gender, word)
            found |= noun_forms(word, gender)
            found |= {key: literal[key][tense][gender]
                      for key, (_, _, tense) in AGREEING_VERBS.items()}
        elif pos == "adj" and (forms := adjective_forms(word)):
            found |= {"adj": forms["adj"], "pred_um": forms["pred_um"]}
            agree("adj", i, _by_class(by_start=forms["before"], plain=forms["adj"]))
        elif pos == "verb":
            # None: the lexicon check reports such rows; the verb is left without forms
            for name, value in (verb_forms(word, row.get("conj") or "") or {}).items():
                if isinstance(value, dict):
                    agree(name, i, _by_class(by_gender=value))
                else:
                    found[name] = value
        for name, value in found.items():
            plain.setdefault(name, [None] * n)[i] = value
    return Forms(
        plain={k: np.array(v, dtype=object) for k, v in plain.items()},
        agreeing=agreeing,
        agree_class=klass,
    )
