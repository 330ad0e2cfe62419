"""The one error type for bad user input; scripts print it as a single line."""


class StagePluginError(ValueError):
    """Bad input to the plugin: a missing dataset, an unknown stage, an impossible plan."""
