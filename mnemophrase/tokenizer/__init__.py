"""The hyperword tokenizer: SentencePiece trained on a published build (and each language's
background words) so that hyperwords are cut where their words meet, exported for
transformers, evaluated in three tiers against baselines, and used to extend a base model's
vocabulary without changing how it reads ordinary text.

Training: corpus.py (the build's text as counts), background.py (word lists from the
language plug-ins), splitters.py (the segmented copy), spm_trainer.py and model_file.py
(SentencePiece), export.py (tokenizer.json), train.py (all of it, into DIR/tokenizer/).
Evaluation: tiers.py (seen / background / neither), scoring.py, scored.py, baselines.py,
floor.py, evaluate.py, report.py. Extension: marking.py, extend_tokenizer.py, init_embeddings.py,
extend_model.py.

Reads builds only through their published files (mnemophrase.corpusgen.contract); importing this
package is cheap — sentencepiece, transformers and torch load inside the functions. Errors
are `mnemophrase.tokenizer.errors.TokenizerError`, one line each; the package never imports click.
"""
