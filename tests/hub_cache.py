"""A Hub repo without the Hub: a folder laid into a huggingface_hub cache as the snapshot of a
repo's main branch, which huggingface_hub (and transformers and datasets through it) resolves
offline exactly as it resolves a repo it downloaded."""

from __future__ import annotations

import shutil
from pathlib import Path

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def cache_as_hub(folder: Path, cache: Path, repo_id: str, repo_type: str = "model",
                 skip: tuple[str, ...] = ()) -> Path:
    """Copy `folder` (less the names in `skip`) into `cache` as `repo_id`; returns the
    snapshot folder."""
    kind = {"model": "models", "dataset": "datasets"}[repo_type]
    repo = cache / f"{kind}--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / COMMIT
    shutil.copytree(folder, snapshot, ignore=shutil.ignore_patterns(*skip))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(COMMIT)
    return snapshot
