"""Where a published dataset is read from: a local folder, or a Hub dataset id as
`datasets.load_dataset` takes it ("owner/name"), fetched into huggingface_hub's cache (the
card, stats.json and the Parquet shards; offline, the cached copy) and read as a folder."""

from __future__ import annotations

import re
from pathlib import Path

from mnemophrase.corpusgen.contract import CARD, DATA_DIR, STATS

from .errors import StagePluginError

# a Hub repo id: one owner, one name (huggingface_hub's rule for the characters)
_REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")
_PUBLISHED = [CARD, STATS, f"{DATA_DIR}/**"]


def is_hub_id(source) -> bool:
    """A string shaped like "owner/name" that names no local path."""
    return (isinstance(source, str) and bool(_REPO_ID.fullmatch(source))
            and not Path(source).exists())


def dataset_folder(source: str | Path) -> Path:
    """The local folder of a published dataset; a Hub id is fetched (or found in the cache)."""
    if not is_hub_id(source):
        return Path(source)
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(source, repo_type="dataset", allow_patterns=_PUBLISHED))
    except Exception as exc:  # noqa: BLE001 - every Hub failure is one line for the user
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise StagePluginError(f"{source}: no such local folder, and the Hub dataset of that "
                               f"id could not be had ({first})") from None
