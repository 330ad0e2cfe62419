"""Frames: the small template language glosses and sentences are written in.

A frame is text with slots and choice groups:

    {slot.form}         the concept in `slot`, in form `form`             {element.gent}
    {slot>head.form}    the concept in `slot`, agreeing with `head`       {quality>light.loct}
    [a|b|]              one of the alternatives (an empty one = optional) [, в {light.loct}|]

A slot's role is its name without trailing digits (`quality2` is a second `quality`).
Expanding every choice gives the frame's variants; each variant needs exactly the set of
slots it mentions, and that set is the *plan* it can realise.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

SLOT = re.compile(r"\{([a-z]+[0-9]*)(?:>([a-z]+[0-9]*))?\.([a-z0-9_]+)\}")


class FrameError(ValueError):
    pass


@dataclass(frozen=True)
class Piece:
    """A literal (slot is None) or a slot reference."""

    text: str = ""
    slot: str | None = None
    form: str = ""
    head: str | None = None


@dataclass(frozen=True)
class Variant:
    frame: int  # index of the frame it came from
    slots: frozenset[str]
    pieces: tuple[Piece, ...]


def role_of(slot: str) -> str:
    return slot.rstrip("0123456789")


def _parse(text: str, pos: int, depth: int) -> tuple[list[list], int]:
    """Parse up to the end of a group; returns alternatives, each a list of items."""
    alternatives: list[list] = [[]]
    buf = []
    while pos < len(text):
        ch = text[pos]
        if ch == "[":
            if buf:
                alternatives[-1].append("".join(buf))
                buf = []
            group, pos = _parse(text, pos + 1, depth + 1)
            alternatives[-1].append(group)
            continue
        if ch == "]":
            if depth == 0:
                raise FrameError(f"unbalanced ']' in frame {text!r}")
            if buf:
                alternatives[-1].append("".join(buf))
            return alternatives, pos + 1
        if ch == "|" and depth > 0:
            if buf:
                alternatives[-1].append("".join(buf))
                buf = []
            alternatives.append([])
            pos += 1
            continue
        buf.append(ch)
        pos += 1
    if depth > 0:
        raise FrameError(f"unclosed '[' in frame {text!r}")
    if buf:
        alternatives[-1].append("".join(buf))
    return alternatives, pos


def _expand(items: list) -> list[str]:
    """All strings an item list can produce."""
    options: list[list[str]] = []
    for item in items:
        if isinstance(item, str):
            options.append([item])
        else:  # a group: list of alternatives
            options.append([s for alt in item for s in _expand(alt)])
    return ["".join(combo) for combo in itertools.product(*options)]


def _pieces(text: str) -> tuple[Piece, ...]:
    out: list[Piece] = []
    last = 0
    for m in SLOT.finditer(text):
        if m.start() > last:
            out.append(Piece(text=text[last : m.start()]))
        slot, head, form = m.group(1), m.group(2), m.group(3)
        out.append(Piece(slot=slot, form=form, head=head))
        last = m.end()
    if last < len(text):
        out.append(Piece(text=text[last:]))
    if any("{" in p.text or "}" in p.text for p in out if p.slot is None):
        raise FrameError(f"malformed slot in frame {text!r}")
    return tuple(out)


def compile_frames(frames: tuple[str, ...] | list[str]) -> list[Variant]:
    """Every variant of every frame. Heads must be slots of the same variant."""
    variants = []
    for index, frame in enumerate(frames):
        alternatives, _ = _parse(frame, 0, 0)
        for text in _expand(alternatives[0]):
            pieces = _pieces(text)
            slots = frozenset(p.slot for p in pieces if p.slot)
            for p in pieces:
                if p.head and p.head not in slots:
                    raise FrameError(f"{frame!r}: head {p.head!r} not in variant {text!r}")
            variants.append(Variant(index, slots, pieces))
    return variants
