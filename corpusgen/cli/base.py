"""What every command shares: the top-level group that turns the project's errors into one
line and exit 1, and the options and arguments several commands take."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from corpusgen.errors import CorpusgenError

# Error types of the other parts, by module and name: they are looked up only once a command
# has raised, so `corpusgen --help` imports neither part.
_PART_ERRORS = (("tokenizer.errors", "TokenizerError"),
                ("train_plugin.errors", "StagePluginError"),
                ("basemodel.errors", "BaseModelError"))


class Failure(click.ClickException):
    """One line, exit 1: the message says what and where."""

    def show(self, file=None) -> None:
        click.echo(f"corpusgen: {self.format_message()}", err=True)


def _part_error(exc: BaseException) -> bool:
    for module, name in _PART_ERRORS:
        cls = getattr(sys.modules.get(module), name, None)
        if isinstance(cls, type) and isinstance(exc, cls):
            return True
    return False


class CommandGroup(click.Group):
    """A click group whose commands may raise the project's own errors: a LexiconInvalid is
    printed as its FILE:LINE list, any other project error as one line, both with exit 1."""

    def invoke(self, ctx: click.Context):
        from corpusgen.lexicon import LexiconInvalid

        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except LexiconInvalid as exc:
            for line in exc.lines():
                click.echo(line, err=True)
            ctx.exit(1)
        except CorpusgenError as exc:
            raise Failure(str(exc)) from None
        except Exception as exc:
            if _part_error(exc):
                raise Failure(str(exc)) from None
            raise


def _langs_option(value: str | None) -> list[str] | None:
    from corpusgen.lang import available_languages

    if value is None:
        return None
    langs = [v.strip() for v in value.split(",") if v.strip()]
    if not langs:
        raise click.BadParameter("give at least one language code")
    unknown = [lang for lang in langs if lang not in available_languages()]
    if unknown:
        raise click.BadParameter(
            f"unknown language {', '.join(unknown)}; available: {', '.join(available_languages())}"
        )
    if len(set(langs)) != len(langs):
        raise click.BadParameter("a language is listed twice")
    return langs


def parse_langs(ctx, param, value):
    return _langs_option(value)


LEXICONS = click.option(
    "--lexicons", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Lexicon folder (default: the lexicons shipped with corpusgen).",
)

BUILD_DIR = click.argument("build_dir", metavar="DIR", type=click.Path(path_type=Path))


def load_or_fail(path: Path | None, langs: list[str] | None):
    from corpusgen.lexicon import LexiconInvalid, load_lexicon

    try:
        return load_lexicon(path, langs)
    except LexiconInvalid as exc:
        for line in exc.lines():
            click.echo(line, err=True)
        sys.exit(1)
