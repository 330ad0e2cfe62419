"""Thai forms: no inflection; counted nouns take their classifier after the number."""

from __future__ import annotations

from mnemophrase.corpusgen.lang.base import Forms, FormTable

TWO = "สอง"
AT = "ที่"


def inflect_words(words: list[dict[str, str]], pos_of: list[str]) -> Forms:
    table = FormTable(len(words))
    put = table.put
    for i, (row, pos) in enumerate(zip(words, pos_of)):
        word = row["word"]
        put("lemma", i, word)
        put("bare", i, word)
        if pos == "noun":
            classifier = row.get("classifier") or "อัน"
            put("clf", i, classifier)
            put("num2", i, f"{word}{TWO}{classifier}")
            put("at", i, f"{AT}{word}")
    return table.forms()
