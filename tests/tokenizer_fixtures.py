"""Shared by the tokenizer tests (a helper, not a test module): one small real build, small
background word lists, a trained tokenizer, and a SmolLM2-shaped base tokenizer built here.

The build is made by `corpusgen build` (through click's CliRunner) once per session, the
tokenizer by `mnemophrase.tokenizer.train.train_tokenizer`; the tests read the published folder like
an outside user would. The base tokenizer is a byte-level BPE with SmolLM2's pipeline (ByteLevel
pre-tokenizer without a prefix space, ByteLevel decoder, its special tokens and a ChatML chat
template) trained on the build's text and some code: the same kind of tokenizer, small and
fast. The real SmolLM2 tokenizer is used by the tests marked slow.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

N_SCENES = 2000
VOCAB = 8000          # above a 2,000-scene build's lexicon words and background lists
BACKGROUND = 1500     # background words per language in the fixture
LANGS = ("ru", "en", "th")
CHATML = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + "
          "message['content'] + '<|im_end|>' + '\n' }}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
CODE = [
    "def add(a, b):\n    return a + b\n",
    "for (int i = 0; i < n; ++i) { sum += x[i]; }",
    "SELECT name, count(*) FROM users WHERE id > 10 GROUP BY name;",
    "import numpy as np\nx = np.zeros((3, 4), dtype=np.float32)  # comment",
    '{"key": [1, 2, 3], "nested": {"a": null}}',
]
_cache: dict[str, Path] = {}


def corpusgen(*args):
    from mnemophrase.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def small_build(tmp_path_factory) -> Path:
    """A 2,000-scene build of LANGS without a tokenizer (made once per session)."""
    if "build" not in _cache:
        out = tmp_path_factory.mktemp("tokenizer-builds") / "small"
        result = corpusgen("build", "--n", N_SCENES, "--out", out, "--quiet", "--seed", 3,
                           "--langs", ",".join(LANGS))
        assert result.exit_code == 0, result.output + result.stderr
        _cache["build"] = out
    return _cache["build"]


def word_lists(tmp_path_factory, size: int = BACKGROUND * 4) -> dict[str, Path]:
    """Frequency-ranked word lists per language, as files (wordfreq for ru and en, the
    pythainlp dictionary for th): the fixture's stand-in for the plug-ins' own lists, long
    enough that ranks past BACKGROUND form the `neither` tier."""
    if "lists" not in _cache:
        import random

        from pythainlp.corpus import thai_words
        from wordfreq import top_n_list

        folder = tmp_path_factory.mktemp("word-lists")
        thai = sorted(thai_words())
        random.Random(0).shuffle(thai)
        lists = {"ru": top_n_list("ru", size), "en": top_n_list("en", size), "th": thai[:size]}
        for code, words in lists.items():
            (folder / f"{code}.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
        _cache["lists"] = folder
    return {code: _cache["lists"] / f"{code}.txt" for code in LANGS}


def trained_build(tmp_path_factory) -> Path:
    """A copy of the small build with a unigram tokenizer and background lists."""
    if "trained" not in _cache:
        from mnemophrase.tokenizer.train import train_tokenizer

        src = small_build(tmp_path_factory)
        out = tmp_path_factory.mktemp("tokenizer-trained") / "small"
        shutil.copytree(src, out)
        train_tokenizer(out, vocab_size=VOCAB, background=BACKGROUND,
                        background_files=word_lists(tmp_path_factory))
        _cache["trained"] = out
    return _cache["trained"]


def stage_texts(root: Path, columns=("text", "prompt", "completion")) -> list[str]:
    """Every string of every stage and split, from the published Parquet files."""
    import polars as pl

    texts: list[str] = []
    for stage in ("mnemo", "bridge", "language"):
        for f in sorted((root / "data" / stage).glob("*.parquet")):
            frame = pl.read_parquet(f, columns=list(columns))
            for column in columns:
                texts.extend(t for t in frame[column].to_list() if t)
    return texts


def smollm2_shaped_tokenizer(root: Path, vocab_size: int = 3000):
    """A fresh byte-level BPE shaped like SmolLM2's tokenizer (see the module docstring)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    core.train_from_iterator(stage_texts(root, columns=("text",))[:20000] + CODE * 20,
                             trainer=trainer)
    tok = PreTrainedTokenizerFast(tokenizer_object=core, eos_token="<|im_end|>",
                                  pad_token="<|endoftext|>", bos_token="<|im_start|>",
                                  unk_token="<|endoftext|>")
    tok.chat_template = CHATML
    return tok
