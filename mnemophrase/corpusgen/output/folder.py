"""Where a build goes: a claimed target, a temporary folder beside it, one atomic swap.

A build never writes into its target. It takes a lock beside the target first (a second
writer is refused at once, not when it is done), sweeps what dead builds left there, writes
into `.NAME.tmp-PID` and then exchanges that folder with the target in one `renameat2`
call, so readers see the old build or the new one and never a mix. A target that holds
anything the tool did not make is refused, `--overwrite` or not. A symlinked target is
followed: the link keeps pointing at the same, now new, folder.

Written by hand because no library covers it: `filelock` and `atomicwrites` lock or replace
single files, not a folder with a lock that dies with its process, and Python's
`os.replace` cannot exchange two folders. Only the standard library is imported, so the
claim happens before the build's heavy imports.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import re
import shutil
from pathlib import Path

from mnemophrase.corpusgen.contract import ARROW_DIR, CARD, DATA_DIR, STATS, TOKENIZER_DIR
from mnemophrase.corpusgen.errors import CorpusgenError

# What a build folder holds at its top level (the contract's layout plus what the Hub adds).
BUILD_ENTRIES = frozenset({CARD, STATS, DATA_DIR, ARROW_DIR, TOKENIZER_DIR, ".gitattributes"})

# What a tokenizer training into a build leaves beside DIR/tokenizer while it runs (see
# mnemophrase.tokenizer.train): corpusgen's own, so a build --overwrite may replace a folder
# holding them.
_CLAIM_LEFTOVER = re.compile(r"\.tokenizer\.(tmp-\d+|old-\d+|lock)")

_AT_FDCWD = -100
_RENAME_NOREPLACE, _RENAME_EXCHANGE = 1, 2


class OutputError(CorpusgenError):
    """The output folder cannot be claimed or replaced; the message says why and what to do."""


def refusal(folder: Path) -> str | None:
    """Why `folder` may not be replaced by a build, or None when it may (an empty folder or
    a corpusgen build holding only what a build makes)."""
    try:
        entries = sorted(os.listdir(folder))
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if not entries:
        return None
    busy = _held_claim(folder / ".tokenizer.lock")
    if busy:
        return f"is being written by a tokenizer training (pid {busy})"
    try:
        stats = json.loads((folder / STATS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stats = None

    def nested():  # walked only once the target looks like a build
        return [str(p.relative_to(folder)) for p in sorted(folder.rglob("*"))
                if p.is_file() and p.parent != folder]

    return build_refusal(entries, nested, stats)


def _held_claim(lock: Path) -> str | None:
    """The pid written in `lock` while a live process holds it (see Output._lock); None
    when nobody does. A claim left by a killed process is free: the kernel dropped it."""
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return os.read(fd, 32).decode(errors="replace").strip() or "?"
    finally:
        os.close(fd)  # and with it the shared lock just taken
    return None


def build_refusal(entries: list[str], files, stats) -> str | None:
    """Why a target may not be replaced, from its top-level `entries`, `files()` (the
    relative paths its build record must list; called only when it is needed) and its
    parsed stats.json (None: unreadable); None when it holds a corpusgen build and only
    what that build made. Shared by folder and URL targets."""
    foreign = [e for e in entries
               if e not in BUILD_ENTRIES and not _CLAIM_LEFTOVER.fullmatch(e)]
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        return f"holds files corpusgen did not make ({shown})"
    if stats is None:
        return "is not a corpusgen build (no readable stats.json)"
    if not isinstance(stats, dict) or "stage_order" not in stats or "rows" not in stats:
        return "is not a corpusgen build (stats.json is not a build record)"
    listed = stats.get("files")
    if isinstance(listed, dict):
        extra = [f for f in files()
                 if f not in listed and not _CLAIM_LEFTOVER.fullmatch(f.split("/")[0])]
        if extra:
            shown = ", ".join(extra[:3]) + (", ..." if len(extra) > 3 else "")
            return f"holds files this build did not make ({shown})"
    return None


def _rename(src: Path, dst: Path, flags: int) -> bool:
    """renameat2(src, dst, flags); False when the system or filesystem lacks it."""
    libc = ctypes.CDLL(None, use_errno=True)
    call = getattr(libc, "renameat2", None)
    if call is None:
        return False
    if call(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(dst))


class LocalFiles:
    """The build's files while it runs, all in the temporary folder on this machine (a
    `BuildFiles`, as a URL build's `UrlFiles` is)."""

    def __init__(self, root: Path):
        self.root = self.small = self.shard_root = root

    def make_folders(self) -> None:
        from mnemophrase.corpusgen.output.writers import make_folders

        make_folders(self.root)

    def rename(self, src: str, dst: str) -> None:
        (self.root / src).rename(self.root / dst)

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink()

    def remove_dir(self, rel: str) -> None:
        shutil.rmtree(self.root / rel)

    def open(self, rel: str):
        return open(self.root / rel, "rb")

    def record(self, written: dict[str, tuple[int, str]]) -> dict:
        from mnemophrase.corpusgen.output.records import file_record

        return file_record(self.root, known=written)


class Output:
    """A claimed output folder. Use as a context manager around the whole build:

        with Output(out, overwrite) as output:
            ... write into output.tmp ...
            output.publish()

    Leaving the block without `publish()` (an error, an interrupt) removes the temporary
    folder, the lock and the parent folders the claim created.

    What may be replaced is the build's rule; a command claiming another kind of folder
    (tokenizer training, DIR/tokenizer) overrides `reason_not_to_replace`, `refused` and
    `busy`.
    """

    def __init__(self, out: str | Path, overwrite: bool = False):
        self.shown = Path(out)
        # a link is followed: the build replaces the folder it points at, and the link stays
        self.target = Path(os.path.realpath(out) if Path(out).is_symlink()
                           else os.path.abspath(out))
        self.overwrite = overwrite
        self.parent = self.target.parent
        self.tmp = self.parent / f".{self.target.name}.tmp-{os.getpid()}"
        self._lock_path = self.parent / f".{self.target.name}.lock"
        self._lock_fd: int | None = None
        self._created: list[Path] = []
        self.published = False
        self.files = LocalFiles(self.tmp)

    # --- what may be replaced ------------------------------------------------------------
    def reason_not_to_replace(self, folder: Path) -> str | None:
        return refusal(folder)

    def refused(self, reason: str) -> str:
        return (f"output {self.shown} {reason}; --overwrite replaces only a corpusgen build or "
                "an empty folder: move those files away or choose another --out")

    def busy(self, holder: str) -> str:
        return (f"another build (pid {holder}) is writing {self.shown}; wait for it to finish "
                "or choose another --out")

    # --- claiming ------------------------------------------------------------------------
    def check(self) -> None:
        """Refuse a target the build may not write, without touching anything."""
        out, target = self.shown, self.target
        if target.exists() and not target.is_dir():
            raise OutputError(f"output {out} is a file, not a folder")
        if target.is_dir():
            if not self.overwrite:
                raise OutputError(f"output {out} exists; pass --overwrite to replace it")
            reason = self.reason_not_to_replace(target)
            if reason:
                raise OutputError(self.refused(reason))
        ancestor = self.parent
        while not ancestor.exists():
            if ancestor.is_symlink():
                raise OutputError(f"cannot create {self.parent}: {ancestor} is a broken link")
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            raise OutputError(f"cannot create {self.parent}: {ancestor} is a file")
        if not os.access(ancestor, os.W_OK | os.X_OK):
            raise OutputError(f"cannot write into {ancestor}: permission denied")

    def __enter__(self) -> Output:  # noqa: PYI034 - not meant to be subclassed
        self.check()
        try:
            self._make_parents()
            self._lock()
            self.check()  # what the writer before us left is what we replace
            self._sweep()
            self.tmp.mkdir()
        except BaseException:
            self._abandon()
            raise
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if not self.published:
            self._abandon()
        else:
            self._unlock()

    def _make_parents(self) -> None:
        missing = []
        folder = self.parent
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for folder in reversed(missing):
            try:
                folder.mkdir()
            except OSError as exc:
                raise OutputError(f"cannot create {folder}: {exc.strerror}") from None
            self._created.append(folder)

    def _lock(self) -> None:
        """An exclusive lock on `.NAME.lock` beside the target. The kernel drops it when the
        process dies (even by SIGKILL), so a stale lock file is free to take."""
        while True:
            try:
                fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise OutputError(f"cannot write into {self.parent}: {exc.strerror}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
                os.close(fd)
                raise OutputError(self.busy(holder)) from None
            # the holder before us may have removed the file between our open and lock
            try:
                same = os.stat(self._lock_path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def _sweep(self) -> None:
        """With the lock held no other build of this target is alive: whatever a dead one
        left beside it (its temporary folder, or the old build it was swapping out) goes."""
        name = re.escape(self.target.name)
        leftover = re.compile(rf"\.{name}\.(tmp|old)-\d+")
        old = sorted(p for p in self.parent.iterdir()
                     if leftover.fullmatch(p.name) and ".old-" in p.name)
        if old and not self.target.exists():
            old[-1].rename(self.target)  # a swap without renameat2 died half-way: undo it
        for path in self.parent.iterdir():
            if leftover.fullmatch(path.name):
                shutil.rmtree(path, ignore_errors=True)

    # --- publishing ----------------------------------------------------------------------
    def publish(self) -> None:
        """Put the finished temporary folder in the target's place, atomically."""
        if self.target.exists():
            reason = self.reason_not_to_replace(self.target)
            if reason:  # something was added while we built
                raise OutputError(f"output {self.shown} {reason}; nothing was replaced")
            if _rename(self.tmp, self.target, _RENAME_EXCHANGE):
                shutil.rmtree(self.tmp)  # the old build, now under the temporary name
            else:
                old = self.parent / f".{self.target.name}.old-{os.getpid()}"
                self.target.rename(old)
                self.tmp.rename(self.target)
                shutil.rmtree(old)
        elif not _rename(self.tmp, self.target, _RENAME_NOREPLACE):
            self.tmp.rename(self.target)
        self.published = True

    # --- leaving -------------------------------------------------------------------------
    def _abandon(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)
        self._unlock()
        for folder in reversed(self._created):
            try:
                folder.rmdir()
            except OSError:
                break  # not empty: something else put files there

    def _unlock(self) -> None:
        if self._lock_fd is None:
            return
        try:
            self._lock_path.unlink()
        except FileNotFoundError:
            pass
        os.close(self._lock_fd)
        self._lock_fd = None
