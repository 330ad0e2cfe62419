"""SentencePiece training on word counts, with the options that keep text lossless.

Every SentencePiece model in this package — ours and the baselines it is compared with —
is trained here, so they differ only in the corpus they are given.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from .errors import TokenizerError
from .model_file import scrub_paths

# ids shared with train_plugin's tiny char tokenizer and tiny_llama (pad_token_id=0)
PAD, BOS, EOS, UNK = "<pad>", "<s>", "</s>", "<unk>"
SPECIAL_IDS = {"pad_id": 0, "bos_id": 1, "eos_id": 2, "unk_id": 3}
SPECIAL_PIECES = {"pad_piece": PAD, "bos_piece": BOS, "eos_piece": EOS, "unk_piece": UNK}
BYTE_PIECES = 256

# Why each option (measured on builds of this project):
# - identity normalization: NFKC rewrites Thai SARA AM (ำ) and breaks round trips;
# - no dummy prefix: a hyperword at the start of a prompt has no space before it, and a
#   dummy prefix with whitespace-as-suffix breaks round trips;
# - remove_extra_whitespaces off: "a  b" must come back as "a  b";
# - character_coverage 1.0: 0.9995 drops rare Thai characters to <unk>;
# - byte_fallback: anything never seen (another script, an emoji) still round-trips.
LOSSLESS = dict(
    normalization_rule_name="identity",
    add_dummy_prefix=False,
    remove_extra_whitespaces=False,
    character_coverage=1.0,
    byte_fallback=True,
    max_sentencepiece_length=16,
    **SPECIAL_IDS,
    **SPECIAL_PIECES,
)


# sentencepiece 0.2 extracts seed pieces from the text expanded by its counts, so that pass
# grows with the total count while EM only sees the counts' proportions. Above this many
# characters, all counts are divided down to it: on a 100k build (21M characters) every
# eval score stays within about 0.01 of the undivided run (seen F1 0.999 either way) and
# training takes about half the CPU time.
SEED_PASS_CHARS = 3_000_000


def reserved_pieces() -> int:
    """Pieces every model spends before it learns anything: specials and the 256 bytes."""
    return len(SPECIAL_IDS) + BYTE_PIECES


def write_counts(counts: Counter, path: Path) -> None:
    """SentencePiece's TSV input: one "text<TAB>count" per line. A leading space is kept —
    it becomes "▁" — so a word's position (line start or not) survives the counting.

    The order is a seeded shuffle of the sorted lines. Sorted, because SentencePiece's
    result depends on its input order and the same build must give the same tokenizer;
    shuffled, because sentencepiece 0.2's seed extraction finds far fewer seed pieces when
    similar lines sit together (on a 100k build: 74k seeds sorted vs 134k shuffled, and
    seen-word F1 0.97 vs 0.999, ordinary text 4.4 vs 5.4 characters per token)."""
    import random

    lines = sorted(counts.items())
    random.Random(0).shuffle(lines)
    with open(path, "w", encoding="utf-8") as f:
        for text, n in lines:
            if text and n > 0:
                f.write(f"{text}\t{int(n)}\n")


def train_sentencepiece(counts: Counter, prefix: Path, vocab_size: int, model_type: str,
                        threads: int = 2, **options) -> Path:
    """Train on `counts` into PREFIX.model; returns that path. SentencePiece's own errors
    (vocabulary too small or too large for the text) become one-line TokenizerErrors."""
    prefix = Path(prefix)
    tsv, model = Path(f"{prefix}.tsv"), Path(f"{prefix}.model")
    write_counts(scale_counts(counts), tsv)
    kwargs = dict(LOSSLESS, **options)
    try:
        train_in_child(dict(
            input=str(tsv), input_format="tsv", model_prefix=str(prefix),
            vocab_size=vocab_size, model_type=model_type, num_threads=threads,
            minloglevel=2, **kwargs,
        ))
    except RuntimeError as exc:
        raise TokenizerError(_explain(str(exc), vocab_size)) from None
    finally:
        tsv.unlink(missing_ok=True)
    try:
        scrub_paths(model)
    except Exception as exc:  # noqa: BLE001 - protobuf's DecodeError, OSError, ...
        raise TokenizerError(_unreadable(model, exc)) from None
    return model


# Below this much free space, a model SentencePiece could not write is put down to a full
# disk (SentencePiece does not check its own writes and says nothing).
FULL_DISK_BYTES = 64 << 20


def _unreadable(model: Path, exc: Exception) -> str:
    import shutil

    try:
        free = shutil.disk_usage(model.parent).free
    except OSError:
        free = None
    why = (f"the disk is full ({free:,} bytes free)" if free is not None and
           free < FULL_DISK_BYTES else "it was cut short or damaged")
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:120]
    return (f"{model}: SentencePiece's model cannot be read back ({text}): {why}; free some "
            "space and train again")


def train_in_child(options: dict) -> None:
    """SentencePieceTrainer.train(**options) in a process of its own, so that Ctrl-C or
    SIGTERM stops the training at once: a Python signal handler waits for the C++ training
    to return (minutes on a large build), and a process that exits while SentencePiece's
    threads run aborts. The child is killed on an interrupt and dies with this process; its
    errors come back as a RuntimeError, as in-process training raises them."""
    import multiprocessing
    import signal

    from mnemophrase.corpusgen.build.child_process import parent_signals_only

    context = multiprocessing.get_context("spawn")  # polars' threads make fork unsafe
    answer, reply = context.Pipe(duplex=False)
    child = context.Process(target=_train, args=(options, reply), daemon=True,
                            name="sentencepiece-train")
    try:
        # SIGTERM too: a child whose start was cut short would print a traceback of its
        # own. A signal held meanwhile arrives as the block ends, inside this try, so the
        # child is killed (SIGKILL, which no mask stops) before this process goes.
        with parent_signals_only(signal.SIGTERM):
            child.start()
        reply.close()
        child.join()
        error = answer.recv() if answer.poll() else (
            f"the training process ended with status {child.exitcode}")
    finally:
        if child.pid is not None and child.is_alive():
            child.kill()
            child.join()
        answer.close()
    if error:
        raise RuntimeError(error)


def _train(options: dict, reply) -> None:
    from mnemophrase.corpusgen.build.child_process import die_with_parent

    die_with_parent()
    import sentencepiece as spm

    try:
        spm.SentencePieceTrainer.train(**options)
    except RuntimeError as exc:
        reply.send(str(exc))
    else:
        reply.send(None)


def scale_counts(counts: Counter, budget: int = SEED_PASS_CHARS) -> Counter:
    """Counts divided so that the text they expand to is about `budget` characters (never
    below 1: a rare word stays in the corpus)."""
    total = sum(len(text) * n for text, n in counts.items())
    if total <= budget:
        return counts
    factor = total / budget
    return Counter({text: max(1, round(n / factor)) for text, n in counts.items()})


def _explain(message: str, vocab_size: int) -> str:
    too_high = re.search(r"set it to a value <= (\d+)", message)
    if too_high:
        return (f"vocabulary size {vocab_size:,} is more than this text can fill; "
                f"use --vocab-size {too_high.group(1)} or less")
    too_low = re.search(r"smaller than required_chars\. (\d+) vs (\d+)", message)
    if too_low:
        return (f"vocabulary size {vocab_size:,} is too small for this text: its "
                f"{too_low.group(2)} characters and bytes alone need more")
    return "sentencepiece: " + message.strip().splitlines()[-1]
