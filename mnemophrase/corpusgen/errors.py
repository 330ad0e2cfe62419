"""The errors the project's libraries raise. The CLI turns each into one line and exit 1."""

from __future__ import annotations


class MnemoError(Exception):
    """A user-facing failure of any part (corpusgen, tokenizer, train_plugin, basemodel); its
    message is one line that says what and where. The command line catches this one class."""


class CorpusgenError(MnemoError):
    """A failure of the generator, its build, check or push."""


class PushError(CorpusgenError):
    """A push that cannot go ahead. The message is one line, holds no token, and is meant for
    the user as is; `kind` lets scripts tell the cases apart without parsing it:
    "invalid" (DIR), "repo" (name), "argument", "offline", "no-token", "auth" (401),
    "permission" (403, read-only token), "visibility", "not-found", "network", "hub",
    "interrupted"."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
