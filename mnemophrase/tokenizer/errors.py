"""The one error type for bad input to the tokenizer library.

A plain exception: the library never imports click. The command line (one CLI module wires
every command) turns it into one line on stderr and exit status 1; Python callers catch it
like any error.
"""

from __future__ import annotations

from mnemophrase.corpusgen.errors import MnemoError


class TokenizerError(MnemoError, ValueError):
    """Bad input: no such build, a build without the mnemo stage, an impossible vocabulary,
    an output folder the tool did not make. The message is one line that says what and where."""
