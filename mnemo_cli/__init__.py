"""The `corpusgen` command: every part's commands, wired in one place.

Library code raises the project's own errors and never imports click; the commands here turn
those errors into one line on stderr and a non-zero exit. Module-level imports stay light:
`corpusgen --help` loads no data library.
"""

from __future__ import annotations

import click

from corpusgen import __version__
from mnemo_cli.base import CommandGroup
from mnemo_cli.build import build
from mnemo_cli.cache import cache
from mnemo_cli.corpus import check, sample, stats
from mnemo_cli.lexicon import lang, lexicon
from mnemo_cli.push import push
from mnemo_cli.tokenizer import tokenizer_group


@click.group("corpusgen", cls=CommandGroup,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="corpusgen")
def main() -> None:
    """Mnemo-phrase corpora: hyperwords, scene glosses and sentences with real grammar."""


for command in (lexicon, lang, build, check, stats, sample, push, cache):
    main.add_command(command)
main.add_command(tokenizer_group, "tokenizer")
