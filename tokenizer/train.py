"""Train the hyperword tokenizer on a build and write it to DIR/tokenizer/.

What makes it cut hyperwords where their words meet:

1. The gold joins. Every hyperword is counted as its constituents — separate words — so no
   piece is ever learned across a join. (SentencePiece's `pretokenization_delimiter` is
   meant to do the same, but in sentencepiece 0.2.x unigram training it also keeps a word
   that always ends at a delimiter out of the seed pieces: on a 100k build "hut", "warm"
   and "twilight" fell apart into letters and seen-word F1 dropped to 0.79. Counting the
   constituents as words is the same constraint without that loss.)
2. A segmented copy (see splitters.py): every word cut by an unsupervised splitter, the
   segments counted as words too, so the sub-word units an unseen word is made of survive
   pruning.
3. Lossless options (spm_trainer.LOSSLESS) so every text round-trips exactly.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from pathlib import Path

from .corpus import BuildText, check_build, read_build_text, read_stats
from .errors import TokenizerError
from .spm_trainer import LOSSLESS, reserved_pieces, train_sentencepiece

DEFAULT_VOCAB = 16000
MODEL_TYPES = ("unigram", "bpe")
TOKENIZER_DIR = "tokenizer"
MODEL_FILE = "tokenizer.model"
SETTINGS_FILE = "settings.json"


def hyperword_counts(text: BuildText) -> Counter:
    """Ordinary words plus each hyperword's gold words, as the words of one corpus."""
    counts = Counter(text.words)
    counts.update(text.parts)
    return counts


def minimum_vocab(text: BuildText) -> int:
    """A vocabulary must hold every lexicon word whole, every character, bytes and specials;
    anything smaller cannot keep a seen word in one piece."""
    return len(text.lexicon_words() | text.characters()) + reserved_pieces() + 1


def training_corpus(text: BuildText, splitter: str, workdir: Path, vocab_size: int,
                    threads: int = 2) -> Counter:
    from .splitters import segmented_copy

    counts = hyperword_counts(text)
    counts.update(segmented_copy(counts, splitter, workdir, vocab_size, threads=threads))
    return counts


def train_tokenizer(folder: Path, vocab_size: int = DEFAULT_VOCAB, model_type: str = "unigram",
                    splitter: str = "bpe", quiet: bool = True, threads: int = 2) -> dict:
    """Train into folder/tokenizer/ (replacing an older one only once the new one is
    complete) and return the settings, which are also written to tokenizer/settings.json."""
    import sentencepiece

    folder = check_build(folder)
    if model_type not in MODEL_TYPES:
        raise TokenizerError(f"unknown model type {model_type!r}; choose unigram or bpe")
    started = time.perf_counter()
    cpu_started = time.process_time()
    text = read_build_text(folder)
    floor = minimum_vocab(text)
    if vocab_size < floor:
        raise TokenizerError(
            f"vocabulary size {vocab_size:,} is too small for {folder}: it needs more than "
            f"{floor - 1:,} ({len(text.lexicon_words()):,} lexicon words, "
            f"{len(text.characters()):,} characters, {reserved_pieces()} bytes and specials)"
        )
    target = folder / TOKENIZER_DIR
    work = folder / f".{TOKENIZER_DIR}.tmp-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        counts = training_corpus(text, splitter, work, vocab_size, threads=threads)
        _say(quiet, f"training {model_type} on {len(counts):,} word types ...")
        # hard_vocab_limit off: a small build may support fewer pieces than asked for; the
        # real size is recorded below instead of failing the whole build
        model = train_sentencepiece(counts, work / "tokenizer", vocab_size, model_type,
                                    threads=threads, hard_vocab_limit=False)
        model.rename(work / MODEL_FILE)
        (work / "tokenizer.vocab").unlink(missing_ok=True)
        for leftover in work.glob("splitter-*"):
            leftover.unlink()
        from .export import export_transformers, verify_export

        export_transformers(work / MODEL_FILE, work, model_type)
        differ = verify_export(work / MODEL_FILE, work / "tokenizer.json", _sample_texts(text))
        if differ:
            raise TokenizerError(f"exported tokenizer.json encodes {len(differ)} sample texts "
                                 f"differently from tokenizer.model, e.g. {differ[0]!r}")
        # the time covers everything from reading the build to a checked export
        settings = _settings(work / MODEL_FILE, text, vocab_size, model_type, splitter,
                             time.perf_counter() - started, time.process_time() - cpu_started,
                             sentencepiece.__version__)
        (work / SETTINGS_FILE).write_text(json.dumps(settings, indent=2, ensure_ascii=False)
                                          + "\n", encoding="utf-8")
        _replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _say(quiet, f"tokenizer: {model_type}, {settings['vocab_size']:,} pieces, trained in "
                f"{settings['train_seconds']:.1f} s -> {target}")
    return settings


def _sample_texts(text: BuildText, n: int = 2000) -> list[str]:
    """Hyperwords and pseudo-sentences of frequent words, to check the export on."""
    words = [w for w, _ in text.words.most_common(n)]
    lines = ["".join(words[i:i + 8]) for i in range(0, len(words), 8)]
    hyperwords = ["".join(p) for p, _ in text.hyperwords.most_common(n)]
    return lines + hyperwords + words


def _settings(model_file: Path, text: BuildText, requested: int, model_type: str,
              splitter: str, seconds: float, cpu_seconds: float, sp_version: str) -> dict:
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(model_file))
    options = {k: v for k, v in LOSSLESS.items() if not k.endswith(("_id", "_piece"))}
    return {
        "model_type": model_type,
        "vocab_size": sp.get_piece_size(),
        "requested_vocab_size": requested,
        "splitter": splitter,
        "gold_joins": "constituents counted as separate words",
        "lexicon_words": len(text.lexicon_words()),
        "hyperwords": sum(text.hyperwords.values()),
        "special_tokens": {"pad": 0, "bos": 1, "eos": 2, "unk": 3},
        "options": options,
        "train_seconds": round(seconds, 2),
        "train_cpu_seconds": round(cpu_seconds, 2),
        "sentencepiece": sp_version,
        "files": [MODEL_FILE, "tokenizer.json", "tokenizer_config.json"],
    }


def _replace(work: Path, target: Path) -> None:
    """Swap the finished folder in; an older tokenizer is removed only after that."""
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        target.rename(old)
    work.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _say(quiet: bool, message: str) -> None:
    if not quiet:
        import click

        click.echo(message, err=True)


def record_in_stats(folder: Path, settings: dict) -> None:
    """Add the settings to stats.json as "tokenizer" (the card shows type and size)."""
    path = Path(folder) / "stats.json"
    stats = read_stats(folder)
    if not stats and not path.exists():
        return
    stats["tokenizer"] = settings
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(stats, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


CARD_LINE = "- tokenizer: {model_type} vocab {vocab_size:,} (in `tokenizer/`)"


def record_in_card(folder: Path, settings: dict) -> bool:
    """Put the tokenizer line into an existing card's statistics list.

    `corpusgen build --tokenizer` trains before the card is written, so the card picks the
    settings up from stats.json by itself; this is for `corpusgen tokenizer train` on a
    finished build. The line is the one corpusgen's card writes (`- tokenizer: ...`), placed
    after `- seed: ...`; returns False when the card has no such list to extend.
    """
    card = Path(folder) / "README.md"
    if not card.is_file():
        return False
    line = CARD_LINE.format(**settings)
    lines = card.read_text(encoding="utf-8").splitlines()
    for i, existing in enumerate(lines):
        if existing.startswith("- tokenizer: "):
            lines[i] = line
            break
    else:
        seeds = [i for i, existing in enumerate(lines) if existing.startswith("- seed: ")]
        if not seeds:
            return False
        lines.insert(seeds[0] + 1, line)
    card.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return True


def train_into_build(folder: Path, quiet: bool = False) -> None:
    """`corpusgen build --tokenizer`: train with the defaults into the finished (still
    temporary) build folder and record the settings in its stats.json."""
    settings = train_tokenizer(Path(folder), quiet=quiet)
    record_in_stats(folder, settings)
