"""What a language plug-in provides to the core and to the other parts.

A language is one folder `mnemophrase/corpusgen/lang/<code>/` whose `__init__.py` defines
`LANGUAGE`, an instance of a `Language` subclass, plus one lexicon file
`mnemophrase/lexicons/<code>.tsv`; nothing else in the project names it. The generator asks a
language: is this lexicon word acceptable (script, dictionary), what are the inflected forms of
every word (computed once, at load time, into arrays the generator gathers from), and which frames
realise a scene as a gloss or a sentence. `corpusgen check` and the experiment ask which words a
text names (by lemma); the tokenizer asks for the language's script and its frequency-ranked words;
the build records the versions of the libraries it declares, which also key the forms cache.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class ExtraColumn:
    """A lexicon column a language needs because its library cannot tell it.

    `required_for` names the concepts that must fill it: "noun" (every noun), or a role
    ("place": every noun that can be a place). Other rows must leave it empty.
    """

    name: str
    required_for: str
    values: frozenset[str] | None = None  # allowed values; None = free text checked by `check`
    check: Callable[[str], str | None] | None = None  # returns a problem, or None


@dataclass
class Forms:
    """Every form of every concept of one language, as arrays indexed by concept number.

    `plain[name]` is a 1-d object array (None where the form does not apply to the concept);
    `agreeing[name]` is 2-d, (concept, agreement class): the form a modifier or verb takes
    when it agrees with a head noun whose class is `agree_class[head]`.
    """

    plain: dict[str, np.ndarray] = field(default_factory=dict)
    agreeing: dict[str, np.ndarray] = field(default_factory=dict)
    agree_class: np.ndarray | None = None

    def spread(self, positions: np.ndarray, total: int) -> Forms:
        """These forms, made for the concepts at `positions` only, as tables over all `total`
        concepts: a concept the language has no word for has no form at all (None), so every
        pool the frames draw from leaves it out."""
        positions = np.asarray(positions, dtype=np.int64)
        plain = {}
        for name, values in self.plain.items():
            table = np.full(total, None, dtype=object)
            table[positions] = values
            plain[name] = table
        agreeing = {}
        for name, values in self.agreeing.items():
            table = np.full((total, values.shape[1]), None, dtype=object)
            table[positions] = values
            agreeing[name] = table
        agree_class = np.zeros(total, dtype=np.int8)
        if self.agree_class is not None:
            agree_class[positions] = self.agree_class
        return Forms(plain=plain, agreeing=agreeing, agree_class=agree_class)


class FormTable:
    """Forms filled in concept by concept, then frozen into `Forms` — the bookkeeping every
    grammar shares: a table per form name, None where the form does not apply."""

    def __init__(self, concepts: int, classes: int = 1) -> None:
        self.concepts = concepts
        self.classes = classes
        self.plain: dict[str, list] = {}
        self.agreeing: dict[str, np.ndarray] = {}
        self.agree_class = np.zeros(concepts, dtype=np.int8)

    def put(self, name: str, i: int, value: str | None) -> None:
        """Concept i's plain form `name`."""
        self.plain.setdefault(name, [None] * self.concepts)[i] = value

    def agree(self, name: str, i: int, klass: int, value: str | None) -> None:
        """Concept i's form `name` when it agrees with a head of agreement class `klass`."""
        table = self.agreeing.setdefault(
            name, np.full((self.concepts, self.classes), None, dtype=object))
        table[i, klass] = value

    def forms(self) -> Forms:
        plain = {name: np.array(values, dtype=object) for name, values in self.plain.items()}
        return Forms(plain=plain, agreeing=dict(self.agreeing), agree_class=self.agree_class)


class Language:
    """Base class of a language plug-in. Subclasses fill the class attributes and implement
    `inflect` and `names_words`; the rest has defaults."""

    code: str = ""  # the folder name and lexicon file name: "ru" for mnemophrase/lexicons/ru.tsv
    name: str = ""  # English name, for cards, chat instructions and messages: "Russian"
    script: str = ""  # human name of the script, for messages: "Cyrillic"
    # a lexicon word: one lower-case word of the script
    word_pattern: re.Pattern[str] = re.compile(r".+")
    # a run of the script's letters, either case: what a tokenizer counts as this language
    script_pattern: re.Pattern[str] = re.compile(r"\w+")
    # words stand apart with spaces between them (False: Thai, read by segmentation)
    spaced: bool = True
    # distribution names of the libraries the grammar and the checks use: their versions key
    # the forms cache and are recorded in stats.json
    libraries: tuple[str, ...] = ()
    extra_columns: tuple[ExtraColumn, ...] = ()
    gloss_frames: tuple[str, ...] = ()
    sentence_frames: tuple[str, ...] = ()

    def rewrite(self, variant):
        """A chance to adjust a compiled frame variant before use (e.g. to let a preposition
        take the form its next word asks for). Returns the variant to use."""
        return variant

    def check_word(self, word: str, pos: str) -> str | None:
        """A problem with `word` as a lemma of part of speech `pos`, or None."""
        return None

    def inflect(self, words: list[dict[str, str]], pos_of: list[str]) -> Forms:
        """All forms of the lexicon's words (one dict per concept, in concept order, with
        its part of speech in `pos_of`)."""
        raise NotImplementedError

    def forms_of(self, words: list[dict[str, str] | None], pos_of: list[str]) -> Forms:
        """All forms over every concept, where `words` has None for a concept this language
        leaves out of its lexicon: `inflect` sees the words there are, and a left-out
        concept gets no form (see `Forms.spread`)."""
        positions = [i for i, row in enumerate(words) if row is not None]
        if len(positions) == len(words):
            return self.inflect(words, pos_of)
        forms = self.inflect([words[i] for i in positions], [pos_of[i] for i in positions])
        return forms.spread(np.array(positions, dtype=np.int64), len(words))

    def background_words(self, limit: int) -> list[str]:
        """Up to `limit` words of the language, most frequent first, in their dictionary
        form: the tokenizer's background vocabulary and its unseen-word pools. A language
        without a frequency list returns []."""
        return []

    def finish(self, texts: pa.Array, sentence: bool) -> pa.Array:
        """Whole-text touches after slots are filled (euphony, capitals, full stop), on a
        whole Arrow column at once."""
        return texts

    def names_words(
        self, texts: list[str], words: list[list[str]], vocabulary: set[str] | None = None
    ) -> list[list[bool]]:
        """Which of `words[i]` (lemmas) text `i` names, in any inflected form, as this
        language's own tools read the text — for `corpusgen check` and for scoring a model's
        output. `vocabulary`, when given, holds every lexicon word of the language (a
        language written without spaces segments by it)."""
        raise NotImplementedError


def capitalise_sentences(texts: pa.Array) -> pa.Array:
    """First letter upper case and a full stop, for a whole column at once."""
    first = pc.utf8_upper(pc.utf8_slice_codeunits(texts, 0, 1))
    rest = pc.utf8_slice_codeunits(texts, 1)
    return pc.binary_join_element_wise(first, rest, pa.scalar("."), pa.scalar(""))
