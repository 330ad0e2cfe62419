"""English inflection: plurals and verb forms from lemminflect, a/an from inflect.

Agreement classes of a head noun: 0 countable, 1 uncountable. An adjective before a countable
noun carries the article ("an old stone"); before an uncountable one it stands bare ("old
water"); a present verb after a plural subject is plural unless the noun is uncountable.
"""

from __future__ import annotations

from functools import cache

import inflect
from lemminflect import getInflection

from mnemophrase.corpusgen.lang.base import Forms, FormTable


@cache
def _engine() -> inflect.engine:
    return inflect.engine()


def _inflection(word: str, tag: str) -> str:
    forms = getInflection(word, tag=tag)
    return forms[0] if forms else word


def with_article(word: str) -> str:
    return _engine().a(word)


def inflect_words(words: list[dict[str, str]], pos_of: list[str]) -> Forms:
    table = FormTable(len(words), classes=2)
    put, klass = table.put, table.agree_class

    def agree(name, i, values):
        for c, value in enumerate(values):
            table.agree(name, i, c, value)

    for i, (row, pos) in enumerate(zip(words, pos_of)):
        word = row["word"]
        put("lemma", i, word)
        put("bare", i, word)
        if pos == "noun":
            countable = row.get("countable") == "yes"
            klass[i] = 0 if countable else 1
            plural = _inflection(word, "NNS") if countable else word
            put("sg", i, word)
            put("pl", i, plural)
            put("a", i, with_article(word) if countable else word)
            put("the", i, f"the {word}")
            put("the_pl", i, f"the {plural}")
            prep = row.get("place_prep") or "in"
            put("prep", i, prep)
            put("at", i, f"{prep} the {word}")
        elif pos == "adj":
            agree("a", i, [with_article(word), word])
        elif pos == "verb":
            third = _inflection(word, "VBZ")
            put("base", i, word)
            put("3sg", i, third)
            put("past", i, _inflection(word, "VBD"))
            put("ing", i, _inflection(word, "VBG"))
            agree("pres_pl", i, [word, third])
    return table.forms()
