"""Thai forms: no inflection; counted nouns take their classifier after the number."""

from __future__ import annotations

import numpy as np

from corpusgen.lang.base import Forms

TWO = "สอง"
AT = "ที่"


def inflect_words(words: list[dict[str, str]], pos_of: list[str]) -> Forms:
    n = len(words)
    plain: dict[str, list] = {}

    def put(name, i, value):
        plain.setdefault(name, [None] * n)[i] = value

    for i, (row, pos) in enumerate(zip(words, pos_of)):
        word = row["word"]
        put("lemma", i, word)
        put("bare", i, word)
        if pos == "noun":
            classifier = row.get("classifier") or "อัน"
            put("clf", i, classifier)
            put("num2", i, f"{word}{TWO}{classifier}")
            put("at", i, f"{AT}{word}")
    return Forms(
        plain={k: np.array(v, dtype=object) for k, v in plain.items()},
        agreeing={},
        agree_class=np.zeros(n, dtype=np.int8),
    )
