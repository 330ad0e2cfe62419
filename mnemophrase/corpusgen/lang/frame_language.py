"""Frames: the small template language glosses and sentences are written in.

A frame is text with slots and choice groups:

    {slot.form}         the concept in `slot`, in form `form`             {element.gent}
    {slot>head.form}    the concept in `slot`, agreeing with `head`       {quality>light.loct}
    [a|b|]              one of the alternatives (an empty one = optional) [, в {light.loct}|]

A slot's role is its name without trailing digits (`quality2` is a second `quality`).
Expanding every choice gives the frame's variants; each variant needs exactly the set of
slots it mentions, and that set is the *plan* it can realise. A variant's *skeleton* is its
text with every slot masked: what is left of a gloss once every lexicon word is hidden, the
measure of how many ways the corpus says a scene.

`<name>` stands for a group a language defines once and uses in many frames (a set of time
adverbials, say); `with_groups` writes the groups in before the frames are compiled.
"""

from __future__ import annotations

import itertools
import re
from functools import cache
from typing import NamedTuple

SLOT = re.compile(r"\{([a-z]+[0-9]*)(?:>([a-z]+[0-9]*))?\.([a-z0-9_]+)\}")


class FrameError(ValueError):
    pass


# tuples, not dataclasses: a language has tens of thousands of variants, and a build sends
# them to every worker (a frozen dataclass pickles about ten times slower)
class Piece(NamedTuple):
    """A literal (slot is None) or a slot reference."""

    text: str = ""
    slot: str | None = None
    form: str = ""
    head: str | None = None


class Variant(NamedTuple):
    frame: int  # index of the frame it came from
    slots: frozenset[str]
    pieces: tuple[Piece, ...]


MASK = "_"
GROUP = re.compile(r"<([a-z_]+)>")


def with_groups(frames: tuple[str, ...], **groups: str) -> tuple[str, ...]:
    """`frames` with every `<name>` replaced by `groups[name]`; an unknown name is an error
    (a typo would otherwise stay in the text)."""
    def fill(m: re.Match) -> str:
        if m.group(1) not in groups:
            raise FrameError(f"no group <{m.group(1)}> for frame {m.string!r}")
        return groups[m.group(1)]

    return tuple(GROUP.sub(fill, frame) for frame in frames)


def around(cores: tuple[str, ...], families: tuple[str, ...]) -> tuple[str, ...]:
    """Every core frame said in every family: a family is a frame with `<core>` where the
    core goes ("откуда <core>?"); cores and families are written once each."""
    return tuple(with_groups((family,), core=core)[0] for core in cores for family in families)


def skeleton(variant: Variant) -> str:
    """The variant's text with every slot masked (MASK), as written in the frame: a slot's
    own preposition or article is part of its form, so it is masked with it."""
    return "".join(MASK if p.slot else p.text for p in variant.pieces)


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


def _expand(items: list) -> list[tuple[Piece, ...]]:
    """All piece sequences an item list can produce (each literal text read once, however
    many variants share it; adjacent literals are merged by `_merged`)."""
    options: list[list[tuple[Piece, ...]]] = []
    for item in items:
        if isinstance(item, str):
            options.append([_pieces(item)])
        else:  # a group: list of alternatives
            options.append([s for alt in item for s in _expand(alt)])
    return [tuple(itertools.chain.from_iterable(combo)) for combo in itertools.product(*options)]


def _merged(pieces: tuple[Piece, ...]) -> tuple[Piece, ...]:
    """Adjacent literals joined into one, empty ones dropped: the pieces the variant's
    whole text would parse into."""
    out: list[Piece] = []
    for piece in pieces:
        if piece.slot is None:
            if not piece.text:
                continue
            if out and out[-1].slot is None:
                out[-1] = Piece(text=out[-1].text + piece.text)
                continue
        out.append(piece)
    return tuple(out)


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


def written(pieces: tuple[Piece, ...]) -> str:
    """A variant as frame text: "у {element.gent}", "{quality>light.loct}"."""
    return "".join(p.text if p.slot is None else
                   f"{{{p.slot}{'>' + p.head if p.head else ''}.{p.form}}}" for p in pieces)


def compile_frames(frames: tuple[str, ...] | list[str]) -> list[Variant]:
    """Every variant of every frame, each text once (two frames may both leave every option
    out and say the same). Heads must be slots of the same variant. Compiled once per
    process for each set of frames (a language's run to tens of thousands of variants)."""
    return list(_compiled(tuple(frames)))


@cache
def _compiled(frames: tuple[str, ...]) -> tuple[Variant, ...]:
    variants = []
    seen: set[tuple[Piece, ...]] = set()
    for index, frame in enumerate(frames):
        alternatives, _ = _parse(frame, 0, 0)
        for expanded in _expand(alternatives[0]):
            pieces = _merged(expanded)
            if pieces in seen:
                continue
            seen.add(pieces)
            slots = frozenset(p.slot for p in pieces if p.slot)
            for p in pieces:
                if p.head and p.head not in slots:
                    raise FrameError(f"{frame!r}: head {p.head!r} not in variant "
                                     f"{written(pieces)!r}")
            variants.append(Variant(index, slots, pieces))
    return tuple(variants)
