"""Progress lines of the tokenizer's long steps, on stderr (stdout is the commands' result)."""

from __future__ import annotations

import sys


def say(quiet: bool, message: str) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)
