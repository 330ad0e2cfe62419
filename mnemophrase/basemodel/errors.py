"""The one error type of the model loaders; scripts print it as a single line."""

from mnemophrase.corpusgen.errors import MnemoError


class BaseModelError(MnemoError, ValueError):
    """A base model that cannot be loaded: its package is missing or its file unreadable."""
