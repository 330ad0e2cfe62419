"""The one error type for bad input to the tokenizer; the CLI shows it as a single line."""

from __future__ import annotations

import click


class TokenizerError(click.ClickException):
    """Bad input: no such build, a build without the mnemo stage, an impossible vocabulary.

    A ClickException so that `corpusgen tokenizer ...` and `corpusgen build --tokenizer`
    print one line and exit 1 without a traceback; Python callers catch it like any error.
    """

    def show(self, file=None) -> None:
        click.echo(f"corpusgen: {self.format_message()}", err=True)
