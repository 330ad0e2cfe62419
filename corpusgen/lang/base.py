"""What a language plug-in provides to the core.

The core asks a language three things: is this lexicon word acceptable (script, dictionary),
what are the inflected forms of every word (computed once, at load time, into arrays the
generator gathers from), and which frames realise a scene as a gloss or a sentence.
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


class Language:
    """Base class of a language plug-in. Subclasses fill the class attributes."""

    code: str = ""
    name: str = ""
    script: str = ""  # human name of the script, for messages
    word_pattern: re.Pattern[str] = re.compile(r".+")
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

    def finish(self, texts: pa.Array, sentence: bool) -> pa.Array:
        """Whole-text touches after slots are filled (euphony, capitals, full stop), on a
        whole Arrow column at once."""
        return texts

    def names_words(
        self, texts: list[str], words: list[list[str]], vocabulary: set[str]
    ) -> list[list[bool]]:
        """For `corpusgen check`: which of `words[i]` (lemmas) text `i` names, by lemma,
        as this language's spaCy pipeline reads the text. `vocabulary` holds every lexicon
        word of the language."""
        raise NotImplementedError


def capitalise_sentences(texts: pa.Array) -> pa.Array:
    """First letter upper case and a full stop, for a whole column at once."""
    first = pc.utf8_upper(pc.utf8_slice_codeunits(texts, 0, 1))
    rest = pc.utf8_slice_codeunits(texts, 1)
    return pc.binary_join_element_wise(first, rest, pa.scalar("."), pa.scalar(""))
