"""The `corpusgen` command: every part's commands, wired in one place.

Library code raises the project's own errors and never imports click; the commands here turn
those errors into one line on stderr and a non-zero exit. Module-level imports stay light:
`corpusgen --help` loads no data library.
"""

from __future__ import annotations

import click

from mnemophrase.cli.base import CommandGroup
from mnemophrase.cli.build import build
from mnemophrase.cli.cache import cache
from mnemophrase.cli.corpus import check, sample, stats
from mnemophrase.cli.lexicon import lang, lexicon
from mnemophrase.cli.push import push
from mnemophrase.cli.tokenizer import tokenizer_group
from mnemophrase.corpusgen import __version__


@click.group("corpusgen", cls=CommandGroup,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="corpusgen")
def main() -> None:
    """Mnemo-phrase corpora: hyperwords, scene glosses and sentences with real grammar."""


for command in (lexicon, lang, build, check, stats, sample, push, cache):
    main.add_command(command)
main.add_command(tokenizer_group, "tokenizer")
