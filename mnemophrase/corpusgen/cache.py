"""The project's on-disk cache: one root for every part, said aloud when first written.

The root is MNEMO_CACHE, else $XDG_CACHE_HOME/mnemo, else ~/.cache/mnemo. Inside it each kind
of entry has its own folder (`KINDS`): the inflected forms of a lexicon (inflecting a
thousand words through pymorphy3, lemminflect and inflect takes seconds, and the result only
changes when the lexicon, the grammar code or a library changes — all part of the key) and
the plug-ins' verdicts on its words and what datasets writes for the builds' schema (all
that a build's start needs), the languages' background word lists, and the base models
converted by `basemodel`.

An entry is written beside its final name and renamed into place, so a crash never leaves a
half entry; one that cannot be read back, or reads back as something else (a pickle of None,
a file cut short), is computed again and replaced — a cache is never a reason to fail. The
first entry of a kind prints one line on stderr saying where (once: later entries go
quietly); `corpusgen cache info` sizes the root and `corpusgen cache clear` empties it of
what the project put there.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

# The folders of the root the project writes, and what each holds. `cache clear` removes
# these and nothing else: a root the user pointed at an existing folder keeps their files.
KINDS = {
    "forms": "inflected forms and word checks of the lexicons, and datasets' Arrow metadata",
    "words": "frequency-ranked word lists of the languages",
    "smollm2-135m-instruct": "SmolLM2-135M-Instruct converted from its GGUF",
}

# What an entry of each kind is named (`cached` writes NAME-KEY.pkl through a hidden
# temporary file; basemodel's `cached_folder`, one folder per GGUF checksum). `cache clear`
# removes only names of this shape, so a root pointed at a folder that already held a
# `words/` of the user's keeps every file the project did not write.
_PICKLE_ENTRY = re.compile(r"(?:[\w.-]+-[0-9a-f]{32}\.pkl|\.[\w.-]+-\w+\.tmp)")
ENTRY_NAMES = {
    "forms": _PICKLE_ENTRY,
    "words": _PICKLE_ENTRY,
    "smollm2-135m-instruct": re.compile(r"\.?[0-9a-f]{16}(?:\.(?:tmp|stale)-\w+)?"),
}


def cache_root() -> Path:
    """MNEMO_CACHE, else $XDG_CACHE_HOME/mnemo, else ~/.cache/mnemo."""
    if os.environ.get("MNEMO_CACHE"):
        return Path(os.environ["MNEMO_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "mnemo"


def announce(what: str, where: Path) -> None:
    """The one stderr line said when a kind of entry is first cached on this machine."""
    print(f"corpusgen: caching {what} in {where} (`corpusgen cache info` sizes it, "
          "`corpusgen cache clear` removes it)", file=sys.stderr, flush=True)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


def key_of(*parts: bytes | str, libraries: tuple[str, ...] = ()) -> str:
    """A key that changes when any part or any library's installed version does."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else part.encode())
        h.update(b"\0")
    for lib in libraries:
        h.update(f"{lib}={_version(lib)}\0".encode())
    return h.hexdigest()[:32]


def cached(name: str, key: str, compute: Callable[[], T], *, kind: str = "forms",
           valid: Callable[[object], bool] | None = None) -> T:
    """`compute()`, or its pickled result from an earlier run with the same key.

    An entry that does not unpickle, or whose value `valid` rejects (by default: None), is
    computed again and replaced. A cache that cannot be written (a read-only home) is skipped.
    """
    folder = cache_root() / kind
    path = folder / f"{name}-{key}.pkl"
    ok = valid or (lambda value: value is not None)
    value = _read(path)
    if ok(value):
        return value
    value = compute()
    try:
        first = not folder.is_dir()
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, delete=False, prefix=f".{name}-",
                                         suffix=".tmp") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(f.name, path)
        if first:
            announce(KINDS.get(kind, kind), folder)
    except OSError:
        pass  # a read-only home is no reason to fail a build
    return value


def _read(path: Path):
    """The entry's value, or None when it is missing or cannot be unpickled."""
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except Exception:  # noqa: BLE001 - any unreadable entry is simply rebuilt
        return None


def _plugin_key(language, *parts: str) -> str:
    """A key that changes with `parts`, the project's version, the plug-in's code and the
    versions of the libraries it declares."""
    from mnemophrase.corpusgen import __version__

    module = sys.modules[type(language).__module__]
    grammar_files = sorted(Path(module.__file__).parent.glob("*.py"))
    return key_of(__version__, language.code, *parts, *(p.read_bytes() for p in grammar_files),
                  libraries=language.libraries)


def cached_forms(language, words: list[dict[str, str] | None], pos_of: list[str]):
    """The language's forms of `words` (one row per concept, None where the language has
    no word), from the cache when the lexicon rows, the plug-in's code and the versions of
    the libraries it declares are all unchanged."""
    from mnemophrase.corpusgen.lang.base import Forms

    def complete(value) -> bool:
        return (isinstance(value, Forms) and "lemma" in value.plain
                and len(value.plain["lemma"]) == len(words))

    return cached(f"forms-{language.code}", _plugin_key(language, repr(words), repr(pos_of)),
                  lambda: language.forms_of(words, pos_of), valid=complete)


def cached_checks(language, name: str, items: list, check) -> list[str | None]:
    """`check(item)` of every item (a problem, or None), from the cache entry `name` when the
    items, the plug-in's code and its libraries are unchanged. The checks are the slow part
    of loading a lexicon: the word checks load pymorphy3's and wordfreq's dictionaries (half
    of a build's start before any scene was drawn), Thai's classifier check pythainlp's
    (0.2 s)."""
    return cached(name, _plugin_key(language, repr(items)), lambda: [check(i) for i in items],
                  valid=lambda value: isinstance(value, list) and len(value) == len(items))


@dataclass(frozen=True)
class CacheEntry:
    name: str
    bytes: int
    files: int
    what: str | None  # None: not the project's, left alone


def folder_bytes(path: Path) -> int:
    return _size(path)[0]


def _size(path: Path) -> tuple[int, int]:
    if path.is_file():
        return path.stat().st_size, 1
    total = files = 0
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            total += p.stat().st_size
            files += 1
    return total, files


def cache_entries() -> list[CacheEntry]:
    """What the root holds, one entry per top-level name, the project's kinds first."""
    root = cache_root()
    if not root.is_dir():
        return []
    out = []
    for path in sorted(root.iterdir(), key=lambda p: (p.name not in KINDS, p.name)):
        size, files = _size(path)
        out.append(CacheEntry(path.name, size, files, KINDS.get(path.name)))
    return out


def clear_cache() -> tuple[list[CacheEntry], list[Path]]:
    """Remove the project's entries from the root: (what was removed, per kind, and the
    files found among them that the project did not make, which stay)."""
    root = cache_root()
    removed, kept = [], []
    for entry in cache_entries():
        if entry.what is None:
            continue
        path = root / entry.name
        if path.is_symlink() or not path.is_dir():
            continue  # a file or a link where a kind's folder should be: not ours to judge
        named = ENTRY_NAMES[entry.name]
        for child in sorted(path.iterdir()):
            if not named.fullmatch(child.name):
                kept.append(child)
            elif child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        if not any(path.iterdir()):
            path.rmdir()
        removed.append(entry)
    return removed, kept
