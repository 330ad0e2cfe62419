"""The training side is an extra (`mnemo-corpus[train]`): say so when it is missing."""

from __future__ import annotations

import importlib.util
from importlib import import_module

# import names of the `train` extra's libraries that loading or training a model needs
TRAINING_LIBRARIES = ("torch", "transformers", "peft", "accelerate", "safetensors")
INSTALL = "pip install 'mnemo-corpus[train]'"


def missing_training_libraries() -> list[str]:
    """The training libraries that are not installed (find_spec: nothing is imported)."""
    return [name for name in TRAINING_LIBRARIES if importlib.util.find_spec(name) is None]


def training_extra_message(what: str) -> str | None:
    """One sentence naming the extra when a library `what` needs is missing, else None."""
    missing = missing_training_libraries()
    if not missing:
        return None
    return f"{what} needs the training extra ({', '.join(missing)} missing): {INSTALL}"


def lazy_attribute(namespace: dict, package: str, modules: dict[str, str], name: str,
                   error: type[Exception], light: frozenset[str] = frozenset()):
    """A package's `__getattr__` body: import `name` from its module `modules[name]` on first
    use and keep it in the package's `namespace`; a module not in `light` needs the training
    extra, and its absence raises `error` with the one sentence that names it."""
    module = modules[name]
    if module not in light:
        message = training_extra_message(f"{package}.{name}")
        if message:
            raise error(message)
    value = getattr(import_module(module, package), name)
    namespace[name] = value
    return value
