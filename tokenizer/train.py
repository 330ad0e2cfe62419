"""Tokenizer training (placeholder until issue 6 lands)."""

from __future__ import annotations

from pathlib import Path


def train_into_build(folder: Path, quiet: bool = False) -> None:
    raise NotImplementedError("tokenizer training is not implemented yet")
