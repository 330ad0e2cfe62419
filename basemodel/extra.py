"""The training side is an extra (`mnemo-corpus[train]`): say so when it is missing."""

from __future__ import annotations

import importlib.util

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
