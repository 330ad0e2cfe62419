"""`python -m mnemo_cli`, the same as the `corpusgen` command."""

from mnemo_cli import main

main()
