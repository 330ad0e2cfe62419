"""A small on-disk cache for inflected forms.

Inflecting a thousand words through pymorphy3, lemminflect and inflect takes seconds (most of
it importing those libraries), and the result only changes when the lexicon, the grammar code
or a library changes — all part of the key. Set CORPUSGEN_CACHE to move it, or to `off`.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def cache_dir() -> Path | None:
    value = os.environ.get("CORPUSGEN_CACHE", "")
    if value.lower() in ("off", "0", "none"):
        return None
    if value:
        return Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "corpusgen"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


def key_of(*parts: bytes | str, libraries: tuple[str, ...] = ()) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else part.encode())
        h.update(b"\0")
    for lib in libraries:
        h.update(f"{lib}={_version(lib)}\0".encode())
    return h.hexdigest()[:32]


def cached(name: str, key: str, compute: Callable[[], T]) -> T:
    """`compute()`, or its pickled result from an earlier run with the same key."""
    root = cache_dir()
    if root is None:
        return compute()
    path = root / f"{name}-{key}.pkl"
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass
    value = compute()
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, delete=False, suffix=".tmp") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(f.name, path)
    except OSError:
        pass  # a read-only home is no reason to fail a build
    return value
