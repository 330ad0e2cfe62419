"""Shared by the tokenizer tests: one small real build with a trained tokenizer.

No tests here. The build is made by `corpusgen build` (through click's CliRunner) and the
tokenizer by `corpusgen tokenizer train`, once per session; the tests read the published
folder like an outside user would.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

N_SCENES = 2000
VOCAB = 6000          # above a 2,000-scene build's lexicon words, below what it can fill
_cache: dict[str, Path] = {}


def corpusgen(*args):
    from corpusgen.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def small_build(tmp_path_factory) -> Path:
    """A 2,000-scene build without a tokenizer (made once per session)."""
    if "build" not in _cache:
        out = tmp_path_factory.mktemp("tokenizer-builds") / "small"
        result = corpusgen("build", "--n", N_SCENES, "--out", out, "--quiet", "--seed", 3)
        assert result.exit_code == 0, result.output + result.stderr
        _cache["build"] = out
    return _cache["build"]


def trained_build(tmp_path_factory) -> Path:
    """A copy of the small build with a unigram tokenizer trained into it."""
    if "trained" not in _cache:
        import shutil

        src = small_build(tmp_path_factory)
        out = tmp_path_factory.mktemp("tokenizer-trained") / "small"
        shutil.copytree(src, out)
        result = corpusgen("tokenizer", "train", out, "--vocab-size", VOCAB, "--quiet")
        assert result.exit_code == 0, result.output + result.stderr
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
