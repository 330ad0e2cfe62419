"""Where converted models are kept, and how a cache folder is built once and trusted.

The root is the project's one cache root (mnemophrase.corpusgen.cache.cache_root: MNEMO_CACHE, then
XDG_CACHE_HOME/mnemo, else ~/.cache/mnemo), where `corpusgen cache info` sizes and
`corpusgen cache clear` removes it. A folder is
written beside its final place and renamed into it, so an interrupted conversion or two
processes converting at once never leave a half folder a later run would trust. A folder
that fails its check (a file cut short, a file missing) is rebuilt, never fatal: the cache
only ever holds what this module wrote, so replacing an entry loses nothing of the user's.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from mnemophrase.corpusgen.cache import cache_root

__all__ = ["cache_root", "cached_folder", "folder_size"]


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def cached_folder(target: Path, build: Callable[[Path], None],
                  valid: Callable[[Path], bool], what: str) -> Path:
    """`target`, built by `build(tmp_folder)` unless a valid copy is already there.

    `what` names the work in the one stderr line announcing the write, e.g. "converting
    SmolLM2 GGUF"; nothing is printed when the cache answers.
    """
    if target.is_dir() and valid(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"{what} to {target} (once; later runs reuse it)", file=sys.stderr, flush=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        build(tmp)
        if target.is_dir():  # a broken entry of ours: move it aside, then drop it
            stale = Path(tempfile.mkdtemp(prefix=f".{target.name}.stale-", dir=target.parent))
            target.rename(stale / "entry")
            shutil.rmtree(stale, ignore_errors=True)
        try:
            tmp.rename(target)
        except OSError:  # another process won the race; its copy is as good as ours
            if not (target.is_dir() and valid(target)):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{what}: done, {folder_size(target) / 1e6:.0f} MB in {target}", file=sys.stderr,
          flush=True)
    return target
