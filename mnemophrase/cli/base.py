"""What every command shares: the top-level group that turns the project's errors into one
line and exit 1, and the options and arguments several commands take."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from mnemophrase.corpusgen.errors import MnemoError

# The largest seed: numpy's generators and polars' sample take an unsigned 64-bit seed.
SEED_MAX = 2**64 - 1

# What a missing import means: the distribution's top-level module -> the extra that has it.
EXTRAS = {"torch": "train", "transformers": "train", "peft": "train", "accelerate": "train",
          "gguf": "train", "safetensors": "train", "trl": "test", "ray": "ray"}

@contextmanager
def signals_as_interrupt(*signums: int) -> Iterator[None]:
    """Each of `signums` raises KeyboardInterrupt in the main thread while the block runs.

    A signal that lands while importlib runs one of its weakref callbacks would raise there,
    where Python prints the exception and drops it, and the command would go on (a push
    waiting on a stalled Hub, a tokenizer training to the end): in those frames the handler
    asks for the signal again, to be raised once the callback has returned."""
    import _thread
    import signal

    def interrupt(signum, frame):
        if frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
            _thread.interrupt_main(signum)
            return
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, interrupt) for s in signums}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


class Failure(click.ClickException):
    """One line, exit 1: the message says what and where."""

    def show(self, file=None) -> None:
        click.echo(f"corpusgen: {self.format_message()}", err=True)


def warn(message: str) -> None:
    click.echo(f"corpusgen: warning: {message}", err=True)


def _missing_extra(exc: ModuleNotFoundError) -> Failure | None:
    top = (exc.name or "").split(".")[0]
    extra = EXTRAS.get(top)
    if extra is None:
        return None
    return Failure(f"this needs {top}, which is not installed: pip install "
                   f"'mnemo-corpus[{extra}]'")


class UsageLine(click.ClickException):
    """A usage error (a bad option value, an unknown command) said in one line, exit 2,
    instead of click's usage block."""

    exit_code = 2

    def __init__(self, command: str, message: str) -> None:
        super().__init__(f"{message} (see `{command} --help`)")
        self.command = command

    def show(self, file=None) -> None:
        click.echo(f"{self.command}: {self.format_message()}", err=True)


def _usage_line(exc: click.UsageError) -> click.UsageError | UsageLine:
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):
        return exc  # a group run bare prints its help, as click does
    return UsageLine(exc.ctx.command_path if exc.ctx else "corpusgen", exc.format_message())


class CommandGroup(click.Group):
    """A click group whose commands may raise the project's own errors: a LexiconInvalid is
    printed as its FILE:LINE list, any other project error, an OS error (a permission, a
    full disk) or a missing optional dependency as one line, all with exit 1. A usage error
    (a bad option value) is one line too, with exit 2."""

    def invoke(self, ctx: click.Context):
        from mnemophrase.corpusgen.lexicon import LexiconInvalid

        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _usage_line(exc) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except LexiconInvalid as exc:
            for line in exc.lines():
                click.echo(line, err=True)
            ctx.exit(1)
        except MnemoError as exc:  # every part's errors derive from it
            raise Failure(str(exc)) from None
        except ModuleNotFoundError as exc:
            raise _missing_extra(exc) or exc from None
        except BrokenPipeError:
            raise  # `corpusgen sample ... | head`: click ends quietly
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise Failure(f"{where}{exc.strerror or exc}") from None

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            raise _usage_line(exc) from None


def _langs_option(value: str | None) -> list[str] | None:
    from mnemophrase.corpusgen.lang import available_languages

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
    help="Lexicon folder: concepts.tsv, fields.tsv, roles.tsv and a <code>.tsv per language. "
         "[default: the lexicons shipped with corpusgen]",
)

BUILD_DIR = click.argument("build_dir", metavar="DIR", type=click.Path(path_type=Path))


def load_or_fail(path: Path | None, langs: list[str] | None):
    from mnemophrase.corpusgen.lexicon import LexiconInvalid, load_lexicon

    try:
        return load_lexicon(path, langs)
    except LexiconInvalid as exc:
        for line in exc.lines():
            click.echo(line, err=True)
        sys.exit(1)
