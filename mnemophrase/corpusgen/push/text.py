"""Words and numbers of a push: one-line messages, sizes, the version that pushed."""

from __future__ import annotations


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def corpusgen_version() -> str:
    from mnemophrase.corpusgen import __version__

    return __version__


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"  # pragma: no cover
