"""`python -m corpusgen.cli`, the same as the `corpusgen` command."""

from corpusgen.cli import main

main()
