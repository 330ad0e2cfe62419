"""`corpusgen cache ...`: where the project's cache is, how large, and emptying it."""

from __future__ import annotations

import click


def _size(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


@click.group()
def cache() -> None:
    """The cache of inflected forms, word lists and converted models (MNEMO_CACHE, else
    $XDG_CACHE_HOME/mnemo, else ~/.cache/mnemo)."""


@cache.command("info")
def cache_info() -> None:
    """Print the cache folder and the size of each entry in it."""
    from mnemophrase.corpusgen.cache import cache_entries, cache_root

    root = cache_root()
    entries = cache_entries()
    if not entries:
        click.echo(f"{root}: empty (nothing cached yet)")
        return
    ours = [e for e in entries if e.what is not None]
    click.echo(f"{root}: {_size(sum(e.bytes for e in ours))} in {len(ours)} entries")
    for e in entries:
        what = e.what or "not made by corpusgen; `cache clear` leaves it alone"
        click.echo(f"  {e.name:<24} {_size(e.bytes):>9}  {e.files:>5} files  {what}")


@cache.command("clear")
def cache_clear() -> None:
    """Remove everything the project cached; the next run computes it again."""
    from mnemophrase.corpusgen.cache import cache_root, clear_cache

    removed, kept = clear_cache()
    if not removed:
        click.echo(f"{cache_root()}: nothing to remove")
        return
    total = sum(e.bytes for e in removed) - sum(_bytes(p) for p in kept)
    click.echo(f"removed {', '.join(e.name for e in removed)} ({_size(total)}) from "
               f"{cache_root()}")
    if kept:
        shown = ", ".join(str(p.relative_to(cache_root())) for p in kept[:3])
        more = f" and {len(kept) - 3} more" if len(kept) > 3 else ""
        click.echo(f"left {shown}{more}: not made by corpusgen")


def _bytes(path) -> int:
    from mnemophrase.corpusgen.cache import folder_bytes

    return folder_bytes(path)
