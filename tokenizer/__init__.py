"""The hyperword tokenizer: SentencePiece trained on a published build so that hyperwords
are cut where their words meet, exported for transformers, evaluated against baselines,
and used to extend a base model's vocabulary.

Reads builds only through their published files (DIR/data/<stage>/*.parquet); importing
this package is cheap — sentencepiece, transformers and torch load inside the functions.
"""
