"""Unsupervised word splitters for the segmented copy of the training text.

A unigram model trained only on whole words keeps whole words and prunes the sub-word
units that an unseen word would be built from. Adding a copy of every word cut into
sub-word segments (each segment counted as a word of its own) keeps those units alive, so
an unseen word falls into a few pieces instead of single letters.

Two splitters: `bpe` (a SentencePiece BPE trained on the same text, ~4 s on a 100k build,
the default) and `morfessor` (Morfessor Baseline, the classic unsupervised morph splitter;
closer to real morphology but ~30-60 s on a 100k build, so slower than the training goal).
"""

from __future__ import annotations

import contextlib
import io
from collections import Counter
from pathlib import Path

SPLITTERS = ("bpe", "morfessor", "none")
# Morfessor's batch training is pure Python and grows with the number of word types; the
# most frequent types carry the morphology, the long tail mostly repeats it
MORFESSOR_TYPES = 6000
SPLITTER_PIECES = 5000


def word_types(counts: Counter) -> Counter:
    """Words without their leading space, summed: "▁lives" and "lives" are one type."""
    out: Counter = Counter()
    for text, n in counts.items():
        word = text.lstrip(" ")
        if word:
            out[word] += n
    return out


def split_with_bpe(types: Counter, workdir: Path, vocab_size: int,
                   threads: int = 2) -> dict[str, list[str]]:
    """Segment every type with a SentencePiece BPE trained on the types themselves."""
    import sentencepiece as spm

    from .spm_trainer import train_sentencepiece

    model = train_sentencepiece(types, Path(workdir) / "splitter-bpe", vocab_size, "bpe",
                                threads=threads, hard_vocab_limit=False)
    sp = spm.SentencePieceProcessor(model_file=str(model))
    words = list(types)
    segments = sp.encode(words, out_type=str)
    return {w: s for w, s in zip(words, segments) if len(s) > 1}


def split_with_morfessor(types: Counter, limit: int = MORFESSOR_TYPES) -> dict[str, list[str]]:
    """Segment the most frequent types with Morfessor Baseline (one count per type:
    morphs shared by many types matter, not how often one word repeats)."""
    import morfessor

    chosen = [w for w, _ in types.most_common(limit)]
    model = morfessor.BaselineModel()
    model.load_data([(1, w) for w in sorted(chosen)])
    # Morfessor prints a progress line of dots per epoch; keep the CLI's output clean
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        model.train_batch(finish_threshold=0.005)
    out = {}
    for w in chosen:
        segments = model.viterbi_segment(w)[0]
        if len(segments) > 1:
            out[w] = list(segments)
    return out


def segmented_copy(counts: Counter, splitter: str, workdir: Path, vocab_size: int,
                   threads: int = 2) -> Counter:
    """The segments of every word that the splitter cuts, counted as often as the word."""
    if splitter == "none":
        return Counter()
    types = word_types(counts)
    if splitter == "bpe":
        # a BPE a quarter the size of the vocabulary, at most SPLITTER_PIECES: on a 100k
        # build at 16k pieces, 1/8 to 1/2 give the same unseen F1 (0.29-0.30) and 1/4 the
        # best recall (ru 0.93) and Thai; a BPE as large as the vocabulary keeps most words
        # whole (F1 0.21-0.26). SentencePiece's BPE training time grows faster than its
        # size (100k build with background words: 5k pieces 8 s, 10k pieces 33 s). It must
        # still hold every character, the bytes and the specials.
        from .spm_trainer import reserved_pieces

        alphabet = {c for w in types for c in w}
        size = max(min(vocab_size // 4, SPLITTER_PIECES),
                   len(alphabet) + reserved_pieces() + 64)
        segments = split_with_bpe(types, workdir, size, threads=threads)
    elif splitter == "morfessor":
        segments = split_with_morfessor(types)
    else:
        from .errors import TokenizerError

        raise TokenizerError(f"unknown splitter {splitter!r}; choose {', '.join(SPLITTERS)}")
    # Each occurrence keeps its own leading space on its first segment (" sounded" ->
    # " sound" + "ed"). A bare copy of words the text writes after a space made the model
    # spell them "▁" + "sounded" instead of "▁sounded": English text took 9 % more tokens.
    copy: Counter = Counter()
    for text, n in counts.items():
        word = text.lstrip(" ")
        parts = segments.get(word)
        if not parts:
            continue
        copy[text[:len(text) - len(word)] + parts[0]] += n
        for part in parts[1:]:
            copy[part] += n
    return copy
