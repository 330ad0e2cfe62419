"""The one error type of the model loaders; scripts print it as a single line."""


class BaseModelError(ValueError):
    """A base model that cannot be loaded: its package is missing or its file unreadable."""
