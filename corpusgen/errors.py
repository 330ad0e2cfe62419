"""The errors corpusgen's library raises. The CLI turns each into one line and exit 1."""

from __future__ import annotations


class CorpusgenError(Exception):
    """A user-facing failure; its message is one line that says what and where."""
