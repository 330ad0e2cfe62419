"""Models for the examples and tests: the loaders live in `basemodel`, shared with the tokenizer.

What stays here reads a published dataset, which only the plugin knows how to do.
"""

from __future__ import annotations

from pathlib import Path

from mnemophrase.basemodel import char_tokenizer, tiny_llama


def dataset_texts(source: str | Path) -> list[str]:
    """Every string a tokenizer for this dataset must cover: prompts, completions, texts and
    the messages' contents."""
    from .data import load_stage_rows
    from .schedule import Stage, read_stage_order

    texts = []
    for name in read_stage_order(source):
        ds = load_stage_rows(Stage(name=name), source)
        for col in ("prompt", "completion", "text"):
            if col in ds.column_names:
                texts.extend(ds[col])
        if "messages" in ds.column_names:
            texts.extend(m["content"] for row in ds["messages"] for m in row)
    return texts


def tiny_model_and_tokenizer(source: str | Path, seed: int = 0):
    """--tiny in the examples: a char tokenizer over the dataset and a random tiny Llama."""
    tok = char_tokenizer(dataset_texts(source))
    return tiny_llama(len(tok), seed=seed), tok
