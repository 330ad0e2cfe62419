"""Language plug-ins.

Each sub-package `mnemophrase.corpusgen.lang.<code>` exposes `LANGUAGE`, an instance of
`mnemophrase.corpusgen.lang.base.Language`. The registry finds them by walking this package, so the
core never names a language: adding one is a lexicon file plus one folder here (the wheel finds
the folder by package discovery).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from importlib import metadata

from mnemophrase.corpusgen.lang.base import Language


@cache
def available_languages() -> tuple[str, ...]:
    """Codes of every language folder shipped in this package, sorted."""
    return tuple(
        sorted(m.name for m in pkgutil.iter_modules(__path__) if m.ispkg and len(m.name) <= 3)
    )


@cache
def get_language(code: str) -> Language:
    """The plug-in for `code`; KeyError when no such folder exists."""
    if code not in available_languages():
        raise KeyError(code)
    return importlib.import_module(f"{__name__}.{code}").LANGUAGE


def language_libraries(langs: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The distribution names the plug-ins of `langs` declare, each once, sorted."""
    return tuple(sorted({lib for code in langs for lib in get_language(code).libraries}))


def language_versions(langs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Installed version of every library the plug-ins of `langs` use ("-" when missing):
    what a build records, and what keys the forms cache."""
    out = {}
    for dist in language_libraries(langs):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "-"
    return out


__all__ = ["Language", "available_languages", "get_language", "language_libraries",
           "language_versions"]
