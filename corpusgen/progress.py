"""The build's progress bar on stderr."""

from __future__ import annotations

import sys


def progress_bar(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="rows", desc="building", file=sys.stderr, leave=False,
                dynamic_ncols=True)
