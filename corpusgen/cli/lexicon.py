"""`corpusgen lexicon ...`: inspect and validate the concept-aligned lexicons."""

from __future__ import annotations

import json
from pathlib import Path

import click

from corpusgen.cli.base import LEXICONS, load_or_fail, parse_langs


@click.group()
def lexicon() -> None:
    """Inspect and validate the concept-aligned lexicons."""


@lexicon.command("check")
@LEXICONS
@click.option("--langs", callback=parse_langs, help="Comma-separated languages (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def lexicon_check(lexicons: Path | None, langs: list[str] | None, as_json: bool) -> None:
    """Validate the lexicons; print one summary line (errors as FILE:LINE: problem)."""
    lex = load_or_fail(lexicons, langs)
    summary = lex.summary()
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    else:
        words = ", ".join(f"{lang} {n}" for lang, n in summary["langs"].items())
        click.echo(f"ok: {summary['concepts']} concepts in {summary['fields']} fields; "
                   f"words: {words}")
