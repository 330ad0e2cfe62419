"""Background vocabulary: frequency-ranked words of each language, beside the build's own.

A build holds a few thousand word types per language, so a tokenizer trained on it alone
meets most other words as letter soup. The language plug-ins supply a frequency-ranked list
(`Language.background_words(limit)`: wordfreq, or a dictionary where a language has no
frequency list); a user may give a file instead. Training counts these words so that they
become pieces of their own or are cut into sub-word units that other words reuse, and the
evaluation draws its second and third tiers from the same lists (words of the list the build
never used; words ranked beyond the list).

No language is named here: everything a language knows comes from its plug-in.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from .errors import TokenizerError

DEFAULT_WORDS = 10_000       # per language; `--background N`
# a background word is a word of its script of at least this many characters: one-letter
# entries of the lists are mostly letters and abbreviations
SHORTEST = 2


def _plugin(code: str):
    from mnemophrase.corpusgen.lang import get_language

    try:
        return get_language(code)
    except KeyError:
        raise TokenizerError(f"no language plug-in for {code!r}") from None


def script_pattern(code: str) -> re.Pattern[str]:
    """The characters of the language's script (its plug-in's `script_pattern`; a plug-in
    that declares none is read by its lexicon `word_pattern`)."""
    plugin = _plugin(code)
    pattern = getattr(plugin, "script_pattern", None) or plugin.word_pattern
    return pattern if isinstance(pattern, re.Pattern) else re.compile(pattern)


def language_name(code: str) -> str:
    return _plugin(code).name or code


def ranked_words(code: str, limit: int) -> list[str]:
    """The plug-in's `limit` most frequent words, lower-cased, NFC, words of its script only,
    in rank order without repeats (empty when the plug-in has no list).

    Kept in the project's cache (kind "words"), keyed by the plug-in's code and its
    libraries' versions: folding 10,000 wordfreq words to lemmas takes seconds.
    """
    import sys

    from mnemophrase.corpusgen.cache import cached, key_of

    plugin = _plugin(code)
    if limit <= 0:
        return []
    module = sys.modules[type(plugin).__module__]
    sources = sorted(Path(module.__file__).parent.glob("*.py"))
    key = key_of(code, str(limit), *(p.read_bytes() for p in sources),
                 libraries=tuple(getattr(plugin, "libraries", ())))
    words = cached(f"words-{code}-{limit}", key, lambda: list(plugin.background_words(limit)),
                   kind="words", valid=lambda value: isinstance(value, list))
    return clean_words(words, script_pattern(code))


def clean_words(words, pattern: re.Pattern[str]) -> list[str]:
    """Lower-cased NFC words that are wholly of `pattern`'s script, first occurrence kept."""
    out: dict[str, None] = {}
    for word in words:
        w = unicodedata.normalize("NFC", str(word).strip().lower())
        if len(w) >= SHORTEST and pattern.fullmatch(w):
            out.setdefault(w, None)
    return list(out)


def read_word_file(path: Path, code: str) -> list[str]:
    """A user's list: one word per line (UTF-8, a BOM or CRLF line ends are fine), most
    frequent first; lines that are not one word of the language's script are skipped."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TokenizerError(f"{path}: no such word list") from None
    except IsADirectoryError:
        raise TokenizerError(f"{path}: a folder, not a word list") from None
    except UnicodeDecodeError:
        raise TokenizerError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise TokenizerError(f"{path}: cannot read ({exc.strerror})") from None
    words = clean_words(text.splitlines(), script_pattern(code))
    if not words:
        raise TokenizerError(f"{path}: no {language_name(code)} words in it (one word a line)")
    return words


def background_lists(langs: list[str], limit: int,
                     files: dict[str, Path] | None = None) -> dict[str, list[str]]:
    """Per language, its first `limit` background words: from `files[code]` when given,
    else from the plug-in. Languages without a list are left out."""
    files = files or {}
    unknown = sorted(set(files) - set(langs))
    if unknown:
        raise TokenizerError(f"background list for {', '.join(unknown)}, which the build does "
                             f"not have (it has {', '.join(langs)})")
    out = {}
    for code in langs:
        words = read_word_file(files[code], code)[:limit] if code in files \
            else ranked_words(code, limit)
        if words:
            out[code] = words
    return out


PLUGIN = "language plug-in"


def ranked_or_file(code: str, limit: int, source: str | None = None) -> list[str]:
    """The first `limit` words of a language's list, from a file path `source` or (None or
    PLUGIN) from its plug-in — as training recorded it in its settings."""
    if source and source != PLUGIN:
        return read_word_file(Path(source), code)[:limit]
    return ranked_words(code, limit)
