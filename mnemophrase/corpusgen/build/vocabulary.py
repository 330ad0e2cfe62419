"""`--concepts SPEC`: which of the lexicon's concepts a build draws from.

SPEC is a count (`40`: a seeded choice spread over the semantic fields), a file of concept
ids one a line (`chosen.txt`; blank lines and `#` comments skipped), or fields
(`field:element,emotion`: every concept of those fields). The choice is resolved to a sorted
tuple of ids once, so a build records what it drew from, not how it was asked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mnemophrase.corpusgen.build.options import BuildError
from mnemophrase.corpusgen.lexicon import Lexicon

FIELD_PREFIX = "field:"


def choose_concepts(lexicon: Lexicon, spec: str, seed: int) -> tuple[str, ...]:
    """The concept ids SPEC names (see the module's note), sorted; BuildError in one line
    for a SPEC no build can use."""
    spec = spec.strip()
    ids = lexicon.concepts["concept"].to_list()
    fields = lexicon.concepts["field"].to_list()
    if spec.startswith(FIELD_PREFIX):
        asked = [f.strip() for f in spec[len(FIELD_PREFIX):].split(",") if f.strip()]
        known = sorted(set(fields))
        unknown = [f for f in asked if f not in known]
        if not asked or unknown:
            raise BuildError(f"--concepts: no field {', '.join(map(repr, unknown)) or 'named'} "
                             f"in the lexicon (fields: {', '.join(known)})")
        return tuple(sorted(c for c, f in zip(ids, fields) if f in asked))
    if spec.isdigit():
        return _spread(ids, fields, int(spec), seed)
    return _from_file(Path(spec), set(ids))


def _spread(ids: list[str], fields: list[str], count: int, seed: int) -> tuple[str, ...]:
    """`count` concepts, a seeded shuffle of each field taken in turn, so that every field
    gets its share (a field smaller than its share gives its place to the others)."""
    if not 1 <= count <= len(ids):
        raise BuildError(f"--concepts: {count} is outside 1..{len(ids)} (the lexicon's "
                         "concepts)")
    rng = np.random.default_rng([seed, len(ids), count])
    by_field: dict[str, list[str]] = {}
    for concept, field in zip(ids, fields):
        by_field.setdefault(field, []).append(concept)
    queues = [[members[i] for i in rng.permutation(len(members))]
              for _, members in sorted(by_field.items())]
    chosen: list[str] = []
    turn = 0
    while len(chosen) < count:
        queue = queues[turn % len(queues)]
        if queue:
            chosen.append(queue.pop(0))
        turn += 1
    return tuple(sorted(chosen))


def _from_file(path: Path, known: set[str]) -> tuple[str, ...]:
    if not path.is_file():
        raise BuildError(f"--concepts: {path} is neither a count, field:NAMES nor a file")
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BuildError(f"--concepts: cannot read {path} as UTF-8 text ({exc})") from None
    asked = [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    if not asked:
        raise BuildError(f"--concepts: {path} names no concept")
    unknown = sorted({c for c in asked if c not in known})
    if unknown:
        shown = ", ".join(unknown[:10]) + (f" and {len(unknown) - 10} more"
                                           if len(unknown) > 10 else "")
        raise BuildError(f"--concepts: {path} names concepts the lexicon does not have: "
                         f"{shown}")
    return tuple(sorted(set(asked)))
