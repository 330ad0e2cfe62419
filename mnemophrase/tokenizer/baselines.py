"""The tokenizers ours is compared with, trained in the same run on the same text at the
same vocabulary size: a vanilla SentencePiece unigram, a SentencePiece BPE and an HF
byte-level BPE."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from .corpus import BuildText
from .progress import say
from .scored import SentencePieceUnderTest, TokenizersUnderTest
from .spm_trainer import train_sentencepiece


def baseline_counts(text: BuildText, background: Counter | None = None) -> Counter:
    """The build's words with each hyperword whole (no gold joins), plus the same
    background words our tokenizer was given — no segmented copy."""
    counts = Counter(text.words)
    for parts, n in text.hyperwords.items():
        counts["".join(parts)] += n
    counts.update(background or Counter())
    return counts


def train_baselines(text: BuildText, vocab_size: int, workdir: Path, quiet: bool = True,
                    background: Counter | None = None) -> list:
    """The SentencePiece baselines share our lossless options (so round trips compare like
    with like): they differ from ours only in seeing each hyperword whole and no segmented
    copy."""
    counts = baseline_counts(text, background)
    out = []
    for name, model_type in (("vanilla unigram", "unigram"), ("sentencepiece bpe", "bpe")):
        say(quiet, f"training baseline: {name} ...")
        started = time.perf_counter()
        model = train_sentencepiece(counts, Path(workdir) / model_type, vocab_size, model_type,
                                    hard_vocab_limit=False)
        out.append(SentencePieceUnderTest(name, model, time.perf_counter() - started))
    say(quiet, "training baseline: hf byte-level bpe ...")
    started = time.perf_counter()
    out.append(TokenizersUnderTest("hf byte-level bpe", train_byte_level(counts, vocab_size),
                                   time.perf_counter() - started))
    return out


def train_byte_level(counts: Counter, vocab_size: int):
    from tokenizers import ByteLevelBPETokenizer

    tok = ByteLevelBPETokenizer(add_prefix_space=False, trim_offsets=False)

    def batches():
        # each word as often as it occurs, in batches (tokenizers counts them itself)
        batch: list[str] = []
        for word, n in counts.items():
            batch.extend([word] * n)
            if len(batch) >= 10000:
                yield batch
                batch = []
        if batch:
            yield batch

    tok.train_from_iterator(batches(), vocab_size=vocab_size, min_frequency=2,
                            show_progress=False)
    return tok._tokenizer
