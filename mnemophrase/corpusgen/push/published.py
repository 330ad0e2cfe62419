"""The two files a push sends otherwise than they lie in DIR: the card, whose code then loads
from the repo instead of a local folder, and stats.json, whose record of the card follows it
(so `corpusgen check` of a download of the repo still finds every file as recorded). DIR
itself is never changed."""

from __future__ import annotations

import hashlib
import json

from mnemophrase.corpusgen.contract import CARD, STATS
from mnemophrase.corpusgen.output.card import card_for_repo
from mnemophrase.corpusgen.push.plan import PushPlan


def published_bytes(plan: PushPlan, repo: str) -> dict[str, bytes]:
    """path in repo -> the bytes sent instead of the local file's; empty when the card does
    not name a local source (a card written by hand, or by an older corpusgen)."""
    local = (plan.build_dir / CARD).read_bytes()
    card = card_for_repo(local.decode("utf-8"), repo).encode("utf-8")
    if card == local:
        return {}
    out = {CARD: card}
    record = plan.stats.get("files")
    entry = record.get(CARD) if isinstance(record, dict) else None
    # only a record that holds the local card is brought along; any other was off already
    if isinstance(entry, dict) and entry.get("sha256") == hashlib.sha256(local).hexdigest():
        files = {**record, CARD: {"bytes": len(card), "sha256": hashlib.sha256(card).hexdigest()}}
        out[STATS] = (json.dumps({**plan.stats, "files": files}, ensure_ascii=False, indent=2)
                      + "\n").encode("utf-8")
    return out
