"""Concept-aligned lexicons: data only (the TSV files beside this file)."""
