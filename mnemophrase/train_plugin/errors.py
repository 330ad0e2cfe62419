"""The one error type for bad user input; scripts print it as a single line."""

from mnemophrase.corpusgen.errors import MnemoError


class StagePluginError(MnemoError, ValueError):
    """Bad input to the plugin: a missing dataset, an unknown stage, an impossible plan."""
