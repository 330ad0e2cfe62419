"""A build whose `--out` is a URL (`s3://bucket/mnemo-100m`, `gs://…`, `file:///shared/…`):
any filesystem fsspec knows, so that Ray tasks on many machines write into one place.

Object stores have no folders to lock and no rename that swaps a folder in one step, so a
URL build cannot be atomic the way a local one is. What it keeps instead:

- it is refused at once when the target holds anything but an earlier corpusgen build (or
  a build that died before it finished); `--overwrite` replaces only those, and deletes
  only the files their record lists or their provisional parts;
- the shards are written by the tasks under provisional names, then given their Hub names;
  `stats.json` is written last, so a build without it is unfinished (`corpusgen check`
  says so), and a reader that waits for it never sees a half-written build;
- a build that fails or is interrupted removes everything it wrote, and the folders above
  the target it had to make (while they are empty).

Two builds of the same URL at once are not detected (nothing to lock): do not start them.

Each task writes its shard on its own machine with the same writers as a local build (so
the bytes are the same) and uploads the finished files; the small files (card, Arrow
metadata, stats.json) are made by the driver in a local temporary folder and uploaded.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from mnemophrase.corpusgen.contract import ARROW_DIR, CARD, DATA_DIR, STATS
from mnemophrase.corpusgen.output.folder import BUILD_ENTRIES, OutputError, build_refusal


def is_url(out: str | Path) -> bool:
    """True for `scheme://…` (an fsspec URL); plain paths, relative or absolute, are not."""
    text = str(out)
    scheme, sep, _ = text.partition("://")
    return bool(sep) and scheme.isidentifier() and not isinstance(out, Path)


def open_url(url: str):
    """(fsspec filesystem, path inside it); OutputError naming what is missing."""
    from fsspec.core import url_to_fs

    try:
        return url_to_fs(url)
    except ImportError as exc:  # fsspec names the package, e.g. "Install s3fs to access S3"
        raise OutputError(f"--out {url}: {exc}") from None
    except ValueError as exc:
        raise OutputError(f"--out {url}: {exc}") from None


def upload_files(local_root: Path, url: str, relative: list[str]) -> None:
    """Copy `local_root/rel` to `url/rel` for each rel, creating parents where the
    filesystem has them (an object store has none)."""
    fs, root = open_url(url)
    for rel in relative:
        target = f"{root}/{rel}"
        fs.makedirs(fs._parent(target), exist_ok=True)
        fs.put_file(str(local_root / rel), target)


def _unfinished_build_file(rel: str) -> bool:
    top, _, rest = rel.partition("/")
    return rel == CARD or (top == DATA_DIR and rest.endswith(".parquet")) or (
        top == ARROW_DIR and rest.endswith((".arrow", ".json")))


class UrlFiles:
    """The build's files while it runs (a `BuildFiles`): shards at the URL, small files in
    `small`."""

    def __init__(self, url: str, fs, root: str, small: Path):
        self.fs, self.root, self.small = fs, root, small
        self.shard_root = url  # what the writing tasks get: they resolve it themselves

    def make_folders(self) -> None:
        from mnemophrase.corpusgen.output.writers import make_folders

        make_folders(self.small)  # the Arrow metadata is made here; parts go to the URL

    def rename(self, src: str, dst: str) -> None:
        self.fs.mv(f"{self.root}/{src}", f"{self.root}/{dst}")

    def remove(self, rel: str) -> None:
        self.fs.rm(f"{self.root}/{rel}")

    def remove_dir(self, rel: str) -> None:
        shutil.rmtree(self.small / rel, ignore_errors=True)
        if self.fs.exists(f"{self.root}/{rel}"):
            self.fs.rm(f"{self.root}/{rel}", recursive=True)

    def open(self, rel: str):
        return self.fs.open(f"{self.root}/{rel}", "rb")

    def record(self, written: dict[str, tuple[int, str]]) -> dict:
        """The build's file record: the shards as their writers hashed them, the small
        files read back here."""
        from mnemophrase.corpusgen.output.records import file_record

        files = {rel: {"bytes": size, "sha256": digest}
                 for rel, (size, digest) in written.items()}
        files.update(file_record(self.small))
        return dict(sorted(files.items()))


class UrlOutput:
    """A claimed URL target; the same context-manager use as `Output`:

        with UrlOutput(url, overwrite) as output:
            ... write through output.files ...
            output.publish()
    """

    def __init__(self, url: str, overwrite: bool = False):
        self.shown = url.rstrip("/")
        self.overwrite = overwrite
        self.fs, self.root = open_url(url)
        self.root = self.root.rstrip("/")
        if not self.root.strip("/"):
            raise OutputError(f"--out {url}: name a folder inside the filesystem, not its root")
        self.files: UrlFiles | None = None
        self.published = False
        self.tmp: Path | None = None  # the driver's local folder (small files, scratch)
        self.existed = False  # a folder the user made stays, emptied, after a failure
        self.made_parents: list[str] = []  # folders above the target that were not there

    def check(self) -> list[str]:
        """Refuse a target the build may not write; the files an --overwrite removes."""
        fs, root = self.fs, self.root
        if fs.isfile(root):
            raise OutputError(f"output {self.shown} is a file, not a folder")
        if not fs.isdir(root):
            self.made_parents = self._missing_parents()
            return []
        self.existed = True
        found = sorted(fs.find(root, withdirs=False))
        relative = [p[len(root) + 1:] for p in found]
        if not relative:
            return []
        if not self.overwrite:
            raise OutputError(f"output {self.shown} exists; pass --overwrite to replace it")
        reason = self._refusal(relative)
        if reason:
            raise OutputError(
                f"output {self.shown} {reason}; --overwrite replaces only a corpusgen build or "
                "an empty folder: move those files away or choose another --out")
        return relative

    def _missing_parents(self) -> list[str]:
        """The target's ancestors that do not exist yet, nearest first: the build makes
        them (on a filesystem with folders), so a failed build removes them again."""
        missing, path = [], self.fs._parent(self.root)
        while path and path not in missing and not self.fs.exists(path):
            missing.append(path)
            path = self.fs._parent(path)
        return missing

    def _refusal(self, relative: list[str]) -> str | None:
        entries = sorted({r.split("/")[0] for r in relative})
        if STATS not in relative and set(entries) <= BUILD_ENTRIES:
            # a build that died before its record: shards, Arrow metadata, the card
            unknown = [r for r in relative if not _unfinished_build_file(r)]
            return (f"holds files that are neither a finished build's nor an unfinished "
                    f"one's ({', '.join(unknown[:3])})") if unknown else None
        try:
            stats = json.loads(self.fs.cat_file(f"{self.root}/{STATS}").decode("utf-8"))
        except (OSError, ValueError):
            stats = None
        if isinstance(stats, dict) and not isinstance(stats.get("files"), dict):
            # --overwrite deletes what the record lists: without one, nothing is known ours
            return "is not a corpusgen build (no file record in stats.json)"
        # every file, the top level's too, must be in the record
        return build_refusal(entries, lambda: [r for r in relative if r != STATS], stats)

    def __enter__(self) -> UrlOutput:  # noqa: PYI034 - not meant to be subclassed
        old = self.check()
        # the record goes first: a replaced build stops being a build before its files go
        for rel in sorted(old, key=lambda r: r != STATS):
            self.fs.rm(f"{self.root}/{rel}")
        self.tmp = Path(tempfile.mkdtemp(prefix="corpusgen-url-build-"))
        self.files = UrlFiles(self.shown, self.fs, self.root, self.tmp)
        return self

    def publish(self) -> None:
        """Upload the small files, stats.json last: from then on the build is finished."""
        small = sorted(p.relative_to(self.tmp).as_posix() for p in self.tmp.rglob("*")
                       if p.is_file() and not p.relative_to(self.tmp).parts[0].startswith("."))
        upload_files(self.tmp, self.shown, [r for r in small if r != STATS])
        upload_files(self.tmp, self.shown, [STATS])
        self.published = True

    def __exit__(self, kind, value, traceback) -> None:
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
        if self.published or not self.fs.exists(self.root):
            return
        # everything under the target was written by this build: check() let it start only
        # on an empty target, or one whose files it removed
        if self.existed:
            for path in self.fs.ls(self.root, detail=False):
                self.fs.rm(path, recursive=True)
        else:
            self.fs.rm(self.root, recursive=True)
        for parent in self.made_parents:  # only while empty: another writer may use one now
            try:
                if self.fs.exists(parent) and not self.fs.ls(parent, detail=False):
                    self.fs.rmdir(parent)
            except (OSError, NotImplementedError):
                break
