"""Turning a chunk of scenes into the three stages' Arrow rows (the published schema)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from corpusgen.generate import CONSTITUENT, MESSAGE, SCHEMA, Chunk


def _messages(user: np.ndarray | None, assistant: np.ndarray) -> pa.ListArray:
    m = len(assistant)
    if user is None:
        roles = np.full(m, "assistant", dtype=object)
        contents = assistant
        offsets = np.arange(m + 1, dtype=np.int32)
    else:
        roles = np.tile(np.array(["user", "assistant"], dtype=object), m)
        contents = np.empty(2 * m, dtype=object)
        contents[0::2], contents[1::2] = user, assistant
        offsets = np.arange(0, 2 * m + 1, 2, dtype=np.int32)
    values = pa.StructArray.from_arrays(
        [pa.array(roles, pa.string()), pa.array(contents, pa.string())], fields=list(MESSAGE)
    )
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def stage_tables(
    chunk: Chunk, keep: np.ndarray, ids: np.ndarray, langs: list[str], concept_names: np.ndarray
) -> dict:
    """The mnemo, bridge and language rows of the kept scenes, in order."""
    m = len(keep)
    lang = np.array(langs, dtype=object)[chunk.lang[keep]]
    hyper = chunk.hyperword[keep]
    gloss, sentence, plain = chunk.gloss[keep], chunk.sentence[keep], chunk.plain[keep]

    # constituents of the kept rows: slice the flat arrays by each row's offsets
    starts, ends = chunk.offsets[keep], chunk.offsets[keep + 1]
    counts = ends - starts
    flat = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends)]) if m else np.zeros(0, int)
    offsets = np.zeros(m + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    values = pa.StructArray.from_arrays(
        [
            pa.array(concept_names[chunk.flat_concepts[flat]], pa.string()),
            pa.array(np.array(langs, dtype=object)[chunk.flat_langs[flat]], pa.string()),
            pa.array(chunk.flat_surfaces[flat], pa.string()),
            pa.array(chunk.flat_start[flat], pa.int32()),
            pa.array(chunk.flat_end[flat], pa.int32()),
        ],
        fields=list(CONSTITUENT),
    )
    constituents = pa.ListArray.from_arrays(pa.array(offsets), values)
    empty_parts = pa.array([[]] * m, pa.list_(CONSTITUENT))
    blank = np.full(m, "", dtype=object)
    prompt = hyper + "\n"

    def table(stage, hw, parts, g, s, pr, comp, user, text):
        cols = {
            "id": pa.array(np.full(m, "", dtype=object) if ids is None
                           else np.char.add(f"{stage}-", ids).astype(object), pa.string()),
            "stage": pa.array(np.full(m, stage, dtype=object), pa.string()),
            "lang": pa.array(lang, pa.string()),
            "hyperword": pa.array(hw, pa.string()),
            "constituents": parts,
            "gloss": pa.array(g, pa.string()),
            "sentence": pa.array(s, pa.string()),
            "prompt": pa.array(pr, pa.string()),
            "completion": pa.array(comp, pa.string()),
            "messages": _messages(user, comp),
            "text": pa.array(text, pa.string()),
        }
        return pa.Table.from_pydict(cols, schema=SCHEMA)

    return {
        "mnemo": table("mnemo", hyper, constituents, gloss, sentence, prompt, gloss, hyper,
                       prompt + gloss),
        "bridge": table("bridge", hyper, constituents, gloss, sentence, prompt, sentence, hyper,
                        prompt + sentence),
        "language": table("language", blank, empty_parts, blank, plain, blank, plain, None, plain),
    }


def with_ids(table: pa.Table, stage: str, ids: np.ndarray) -> pa.Table:
    """The table with its `id` column set to `<stage>-<number>`."""
    column = pa.array(np.char.add(f"{stage}-", ids).astype(object), pa.string())
    return table.set_column(0, "id", column)
