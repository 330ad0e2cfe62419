"""`corpusgen tokenizer ...` commands (placeholder until issue 6 lands)."""

from __future__ import annotations

import click


@click.group("tokenizer")
def tokenizer_group() -> None:
    """Train, evaluate and extend the hyperword tokenizer."""
