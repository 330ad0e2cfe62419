"""`corpusgen lexicon ...`: inspect and validate the concept-aligned lexicons."""

from __future__ import annotations

import json
from pathlib import Path

import click

from mnemophrase.cli.base import LEXICONS, Failure, load_or_fail, parse_langs


@click.group()
def lexicon() -> None:
    """Inspect and validate the concept-aligned lexicons."""


@lexicon.command("check")
@LEXICONS
@click.option("--langs", callback=parse_langs,
              help="Comma-separated language codes to check. [default: every language with a "
                   "plug-in and a lexicon file]")
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


@click.group()
def lang() -> None:
    """The language plug-ins: list them, audit one."""


@lang.command("list")
def lang_list() -> None:
    """One line per language plug-in: code, name, script, lexicon coverage."""
    from mnemophrase.corpusgen.lang import available_languages, get_language

    for code in available_languages():
        language = get_language(code)
        click.echo(f"{code}  {language.name} ({language.script}); libraries: "
                   f"{', '.join(language.libraries) or 'none'}")


@lang.command("check")
@click.argument("code", metavar="CODE")
@LEXICONS
def lang_check(code: str, lexicons: Path | None) -> None:
    """Audit CODE's frames against its grammar and lexicon: frames that ask for a form the
    grammar does not make (or no concept of the slot's role has), and plans the language
    loses. Exit 1 when there is any."""
    from mnemophrase.corpusgen.lang import available_languages
    from mnemophrase.corpusgen.lang.audit import audit_language

    if code not in available_languages():
        raise click.BadParameter(f"unknown language {code!r}; available: "
                                 f"{', '.join(available_languages())}", param_hint="CODE")
    audit = audit_language(code, load_or_fail(lexicons, [code]))
    for line in audit.problems:
        click.echo(line, err=True)
    summary = (f"{code}: {audit.covered:,} of {audit.concepts:,} concepts have a word; "
               f"{audit.variants:,} frame variants, {audit.plans} plans")
    if audit.problems:
        raise Failure(f"{summary}; {len(audit.problems)} problems")
    click.echo(f"ok: {summary}")
