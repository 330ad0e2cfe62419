"""Package discovery, the one thing pyproject.toml cannot say here: every package under
corpusgen/ (each language plug-in folder included), tokenizer/, train_plugin/, basemodel/
and mnemo_cli/ is found, and the top-level lexicons/ folder ships as `corpusgen.lexicons`.
(`[tool.setuptools.packages.find]` cannot add a package that lives outside its parent's
folder, and listing packages by hand is how a new language went missing from the wheel.)"""

from setuptools import find_packages, setup

PARTS = ["corpusgen", "corpusgen.*", "tokenizer", "tokenizer.*", "train_plugin",
         "train_plugin.*", "basemodel", "basemodel.*", "mnemo_cli", "mnemo_cli.*"]

setup(packages=[*find_packages(include=PARTS), "corpusgen.lexicons"])
