"""corpusgen: mnemo-phrase corpora from concept-aligned lexicons.

Importing this package is cheap: the heavy libraries (datasets, spaCy, torch) load only in
the commands that need them.
"""

__version__ = "0.1.0"
