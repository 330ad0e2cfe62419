"""Turning a chunk of scenes into the three stages' Arrow rows (the published schema).

Each text column is converted to Arrow once and shared by the stages that carry it; the
TRL columns (`prompt`, `text`, `messages`) are assembled with Arrow's own string kernels.
Every hyperword row names its task and output language (the contract's `TASKS`), in the
prompt's marker and in the chat instruction, so one model can learn every stage at once.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mnemophrase.corpusgen.contract import (
    CONSTITUENT,
    MESSAGE,
    SCHEMA,
    task_instruction,
    task_prompt,
)
from mnemophrase.corpusgen.grammar.draw import Chunk
from mnemophrase.corpusgen.lang import get_language

_ROLES = pa.array(["user", "assistant"], pa.string())


def _messages(user: pa.Array | None, assistant: pa.Array) -> pa.ListArray:
    m = len(assistant)
    if user is None:
        roles = pa.repeat(pa.scalar("assistant"), m)
        values = pa.StructArray.from_arrays([roles, assistant], fields=list(MESSAGE))
        return pa.ListArray.from_arrays(pa.array(np.arange(m + 1, dtype=np.int32)), values)
    # interleave user and assistant turns: take from their concatenation in turn order
    both = pa.concat_arrays([user, assistant])
    order = np.empty(2 * m, dtype=np.int64)
    order[0::2], order[1::2] = np.arange(m), np.arange(m, 2 * m)
    roles = _ROLES.take(np.tile(np.array([0, 1], dtype=np.int64), m))
    values = pa.StructArray.from_arrays([roles, both.take(pa.array(order))], fields=list(MESSAGE))
    return pa.ListArray.from_arrays(pa.array(np.arange(0, 2 * m + 1, 2, dtype=np.int32)), values)


def _constituents(chunk: Chunk, langs: pa.Array, concept_names: pa.Array) -> pa.ListArray:
    values = pa.StructArray.from_arrays(
        [
            concept_names.take(chunk.flat_concepts),
            langs.take(chunk.flat_langs),
            chunk.flat_surfaces,
            pa.array(chunk.flat_start, pa.int32()),
            pa.array(chunk.flat_end, pa.int32()),
        ],
        fields=list(CONSTITUENT),
    )
    return pa.ListArray.from_arrays(pa.array(chunk.offsets, pa.int32()), values)


def _around(lang: pa.Array, before: list[str], after: list[str], middle: pa.Array) -> pa.Array:
    """Per row: before[lang] + middle + after[lang], for a column of language numbers."""
    head = pa.array(before, pa.string()).take(lang)
    tail = pa.array(after, pa.string()).take(lang)
    return pc.binary_join_element_wise(head, middle, tail, pa.scalar(""))


def _task_text(stage: str, lang: pa.Array, langs: list[str], hyper: pa.Array,
               render) -> pa.Array:
    """`render(stage, language, hyperword)` for every row, with the per-language text around
    the hyperword computed once per language instead of once per row."""
    mark = "\x00"
    parts = [render(stage, code, mark).split(mark) for code in langs]
    return _around(lang, [p[0] for p in parts], [p[1] for p in parts], hyper)


def _interleave(tables: list[pa.Table]) -> pa.Table:
    """Equal-length tables' rows taken in turn: row 0 of each, then row 1 of each, ..."""
    m, k = tables[0].num_rows, len(tables)
    order = (np.arange(k, dtype=np.int64)[None, :] * m + np.arange(m)[:, None]).reshape(-1)
    return pa.concat_tables(tables).take(pa.array(order))


def language_table(ids: pa.Array | None, lang: pa.Array, text: pa.Array) -> pa.Table:
    """Language-stage rows: ordinary text in `lang`, with no hyperword and naming no task;
    `ids` as in `stage_tables`."""
    m = len(text)
    blank = pa.repeat(pa.scalar(""), m)
    id_col = blank if ids is None else pc.binary_join_element_wise(
        pa.scalar("language-"), ids, pa.scalar(""))
    no_parts = pa.ListArray.from_arrays(pa.array(np.zeros(m + 1, dtype=np.int32)),
                                        pa.array([], CONSTITUENT))
    columns = [id_col, pa.repeat(pa.scalar("language"), m), lang, blank, no_parts, blank, text,
               blank, text, _messages(None, text), text]
    return pa.Table.from_arrays(columns, schema=SCHEMA)


def row_numbers(first: int, count: int) -> pa.Array:
    """The scene numbers first..first+count-1 as the ids' zero-padded digits ("00000042")."""
    numbers = pa.array(np.arange(first, first + count, dtype=np.int64)).cast(pa.string())
    return pc.utf8_lpad(numbers, width=8, padding="0")


def stage_tables(chunk: Chunk, ids: pa.Array | None, langs: list[str],
                 concept_names: pa.Array) -> dict[str, pa.Table]:
    """The mnemo, bridge and language rows of the chunk's scenes, in order; `ids` are their
    numbers (`row_numbers`), or None for blank ids; `concept_names` the lexicon's concepts.
    With further glosses (--glosses-per-scene) each scene has that many mnemo rows, one after
    the other, their ids numbered on ("mnemo-00000042-0", "mnemo-00000042-1", ...)."""
    m = len(chunk.key)
    lang_names = pa.array(langs, pa.string())
    lang_number = pa.array(chunk.lang.astype(np.int32))
    lang = lang_names.take(lang_number)
    hyper, gloss, sentence, plain = chunk.hyperword, chunk.gloss, chunk.sentence, chunk.plain
    names = {code: get_language(code).name for code in langs}

    def prompt(stage):
        return _task_text(stage, lang_number, langs, hyper, task_prompt)

    def instruction(stage):
        return _task_text(stage, lang_number, langs, hyper,
                          lambda st, code, hw: task_instruction(st, names[code], hw))

    blank = pa.repeat(pa.scalar(""), m)
    constituents = _constituents(chunk, lang_names, concept_names)

    def table(stage, hw, parts, g, s, pr, completion, user, text, suffix=""):
        id_col = blank if ids is None else pc.binary_join_element_wise(
            pa.scalar(f"{stage}-"), ids, pa.scalar(suffix), pa.scalar(""))
        columns = [id_col, pa.repeat(pa.scalar(stage), m), lang, hw,
                   parts, g, s, pr, completion, _messages(user, completion), text]
        return pa.Table.from_arrays(columns, schema=SCHEMA)

    def joined(a, b):
        return pc.binary_join_element_wise(a, b, pa.scalar(""))

    mnemo_prompt, bridge_prompt = prompt("mnemo"), prompt("bridge")
    mnemo_instruction = instruction("mnemo")
    glosses = [gloss, *chunk.more_glosses]
    mnemo = [table("mnemo", hyper, constituents, g, sentence, mnemo_prompt, g, mnemo_instruction,
                   joined(mnemo_prompt, g), suffix=f"-{k}" if len(glosses) > 1 else "")
             for k, g in enumerate(glosses)]
    return {
        "mnemo": mnemo[0] if len(mnemo) == 1 else _interleave(mnemo),
        "bridge": table("bridge", hyper, constituents, gloss, sentence, bridge_prompt, sentence,
                        instruction("bridge"), joined(bridge_prompt, sentence)),
        "language": language_table(ids, lang, plain),
    }
