"""`python -m mnemophrase.cli`, the same as the `corpusgen` command."""

from mnemophrase.cli import main

main()
