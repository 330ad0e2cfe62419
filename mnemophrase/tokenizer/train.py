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
3. A background vocabulary (see background.py): each language's most frequent words, counted
   beside the build's, so that words the build never used become pieces or fall into a few
   reusable sub-word units. They are counted less than the lexicon's words (BACKGROUND_SHARE),
   so the seen words stay whole.
4. Lossless options (spm_trainer.LOSSLESS) so every text round-trips exactly.

`train_tokenizer` returns its settings and writes them to tokenizer/settings.json; recording
them in the build's stats.json and card is the build's (or the command line's) business.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

from mnemophrase.corpusgen.contract import TOKENIZER_DIR

from .background import DEFAULT_WORDS, PLUGIN, background_lists
from .claim import MODEL_FILE, SETTINGS_FILE, OutputError, claim_tokenizer_folder
from .corpus import BuildText, open_build, read_build_text
from .errors import TokenizerError
from .progress import say
from .spm_trainer import LOSSLESS, reserved_pieces, train_sentencepiece

# room for a build's lexicon words, 3 x 10,000 background words and their sub-word units
DEFAULT_VOCAB = 40000
MODEL_TYPES = ("unigram", "bpe")
# Each background word is counted as often as this share of the median lexicon word (the
# median is also every lexicon word's floor). On the 100k build at 40k pieces: 0.05 left
# the background words at 1.9-2.1 tokens each; 0.5 keeps Russian and English ones at
# 1.01-1.08 with seen-word F1 0.999; 1.0 changed no score by more than 0.01.
BACKGROUND_SHARE = 0.5


def median_part_count(text: BuildText) -> int:
    ranked = sorted(text.parts.values())
    return ranked[len(ranked) // 2] if ranked else 1


def hyperword_counts(text: BuildText) -> Counter:
    """Ordinary words plus each hyperword's gold words, as the words of one corpus. A gold
    word is counted at least as often as the median one: a lexicon word that few hyperwords
    drew must still outweigh any background word, or pruning cuts it like one."""
    counts = Counter(text.words)
    floor = median_part_count(text)
    counts.update({part: max(n, floor) for part, n in text.parts.items()})
    return counts


def background_counts(text: BuildText, lists: dict[str, list[str]]) -> Counter:
    """Every background word the build's hyperwords do not already hold, bare (as a
    hyperword part is written), counted BACKGROUND_SHARE of the median lexicon word."""
    if not lists or not text.hyperwords:
        return Counter()
    weight = max(1, round(median_part_count(text) * BACKGROUND_SHARE))
    known = {p.lower() for p in text.parts}
    return Counter({w: weight for words in lists.values() for w in words if w not in known})


def minimum_vocab(text: BuildText, extra: Counter | None = None) -> int:
    """A vocabulary must hold every lexicon word whole, every character, bytes and specials;
    anything smaller cannot keep a seen word in one piece."""
    chars = text.characters() | {c for w in (extra or ()) for c in w}
    return len(text.lexicon_words() | chars) + reserved_pieces() + 1


def training_corpus(text: BuildText, splitter: str, workdir: Path, vocab_size: int,
                    background: Counter | None = None, threads: int = 2) -> Counter:
    from .splitters import segmented_copy

    counts = hyperword_counts(text)
    counts.update(background or Counter())
    counts.update(segmented_copy(counts, splitter, workdir, vocab_size, threads=threads))
    return counts


def train_tokenizer(folder: Path, vocab_size: int = DEFAULT_VOCAB, model_type: str = "unigram",
                    splitter: str = "bpe", background: int = DEFAULT_WORDS,
                    background_files: dict[str, Path] | None = None, quiet: bool = True,
                    threads: int = 2) -> dict:
    """Train into folder/tokenizer/ (replacing an older one only once the new one is
    complete) and return the settings, which are also written to tokenizer/settings.json.
    A finished build's stats.json records the new files' sizes and checksums.

    `background` words per language come from the language plug-ins, or from
    `background_files` ({language code: word list file}); 0 trains on the build alone.
    `folder` must be as its build wrote it (corpusgen's quick integrity check): a damaged
    build is refused, never trained on.
    """
    from mnemophrase.corpusgen.check.integrity import damage
    from mnemophrase.corpusgen.output.records import record_made_files

    build = open_build(folder)
    folder = build.root
    problem = damage(build)
    if problem:
        raise TokenizerError(problem)
    if model_type not in MODEL_TYPES:
        raise TokenizerError(f"unknown model type {model_type!r}; choose unigram or bpe")
    if background < 0:
        raise TokenizerError(f"background size {background} is negative; use 0 for none")
    started = time.perf_counter()
    cpu_started = time.process_time()
    text = read_build_text(folder)
    _check_vocab(vocab_size, text, folder)        # before the lists: they take seconds
    lists = background_lists(list(build.languages), background, background_files) \
        if background else {}
    extra = background_counts(text, lists)
    _check_vocab(vocab_size, text, folder, extra)
    target = folder / TOKENIZER_DIR
    try:
        with claim_tokenizer_folder(target) as output:
            settings = _train_into(output.tmp, text, vocab_size, model_type, splitter, threads,
                                   extra, lists, background, background_files, quiet)
            settings["train_seconds"] = round(time.perf_counter() - started, 2)
            settings["train_cpu_seconds"] = round(time.process_time() - cpu_started, 2)
            _write_settings(output.tmp, settings)
            output.publish()
    except OutputError as exc:
        raise TokenizerError(str(exc)) from None
    # a finished build's file record follows (a build still being made has none yet)
    record_made_files(folder, sorted(f"{TOKENIZER_DIR}/{p.name}" for p in target.iterdir()),
                      replaced=TOKENIZER_DIR)
    say(quiet, f"tokenizer: {model_type}, {settings['vocab_size']:,} pieces, trained in "
                f"{settings['train_seconds']:.1f} s -> {target}")
    return settings


def _train_into(work: Path, text: BuildText, vocab_size: int, model_type: str,
                splitter: str, threads: int, extra: Counter, lists: dict[str, list[str]],
                background: int, background_files: dict[str, Path] | None,
                quiet: bool) -> dict:
    """Train and export into the claimed temporary folder `work`; the settings (the times
    are the caller's, who started the clock)."""
    import sentencepiece

    counts = training_corpus(text, splitter, work, vocab_size, background=extra,
                             threads=threads)
    say(quiet, f"training {model_type} on {len(counts):,} word types ...")
    # hard_vocab_limit off: a small build may support fewer pieces than asked for; the
    # real size is recorded below instead of failing the whole build
    prefix = work / Path(MODEL_FILE).stem  # SentencePiece writes PREFIX.model, PREFIX.vocab
    model = train_sentencepiece(counts, prefix, vocab_size, model_type,
                                threads=threads, hard_vocab_limit=False)
    model.rename(work / MODEL_FILE)
    prefix.with_suffix(".vocab").unlink(missing_ok=True)
    for leftover in work.glob("splitter-*"):
        leftover.unlink()
    from .export import export_transformers, verify_export

    export_transformers(work / MODEL_FILE, work, model_type)
    differ = verify_export(work / MODEL_FILE, work / "tokenizer.json", _sample_texts(text))
    if differ:
        raise TokenizerError(f"exported tokenizer.json encodes {len(differ)} sample texts "
                             f"differently from tokenizer.model, e.g. {differ[0]!r}")
    settings = _settings(work / MODEL_FILE, text, vocab_size, model_type, splitter,
                         sentencepiece.__version__)
    settings["background"] = {
        "words_per_language": background,
        "source": {code: str(background_files[code]) if code in (background_files or {})
                   else PLUGIN for code in lists},
        "words": {code: len(words) for code, words in lists.items()},
        "counted_words": len(extra),
        "count_each": next(iter(extra.values()), 0),
    }
    return settings


def _write_settings(work: Path, settings: dict) -> None:
    (work / SETTINGS_FILE).write_text(json.dumps(settings, indent=2, ensure_ascii=False)
                                      + "\n", encoding="utf-8")


def _sample_texts(text: BuildText, n: int = 2000) -> list[str]:
    """Hyperwords and pseudo-sentences of frequent words, to check the export on."""
    words = [w for w, _ in text.words.most_common(n)]
    lines = ["".join(words[i:i + 8]) for i in range(0, len(words), 8)]
    hyperwords = ["".join(p) for p, _ in text.hyperwords.most_common(n)]
    return lines + hyperwords + words


def _settings(model_file: Path, text: BuildText, requested: int, model_type: str,
              splitter: str, sp_version: str) -> dict:
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
        # the time covers everything from reading the build to a checked export
        "train_seconds": None,
        "train_cpu_seconds": None,
        "sentencepiece": sp_version,
        "files": [MODEL_FILE, "tokenizer.json", "tokenizer_config.json"],
    }


def train_into_build(folder: Path, quiet: bool = False, **options) -> dict:
    """`corpusgen build --tokenizer`: train (with the defaults, or `options` of
    `train_tokenizer`) into the finished, still temporary build folder; returns the
    settings for the build to record in stats.json as "tokenizer"."""
    return train_tokenizer(Path(folder), quiet=quiet, **options)


def record_in_stats(folder: Path, settings: dict) -> None:
    """For `corpusgen tokenizer train` on a finished build: the settings as stats.json's
    "tokenizer" entry (the build contract's `Build.update` writes it)."""
    open_build(folder).update(tokenizer=settings)


def record_in_card(folder: Path, settings: dict) -> None:
    """Render the build's card again from its stats (corpusgen's own card writer), so the
    card's tokenizer line follows stats.json (and its checksum, stats.json's file record);
    `settings` must already be recorded there."""
    from mnemophrase.corpusgen.contract import CARD
    from mnemophrase.corpusgen.output.card import write_card
    from mnemophrase.corpusgen.output.records import record_made_files

    build = open_build(folder)
    if build.stats.get("tokenizer") != settings:
        raise TokenizerError(f"{build.root}: stats.json does not hold these settings yet")
    write_card(build.root, build.stats)
    record_made_files(build.root, [CARD])


def _check_vocab(vocab_size: int, text: BuildText, folder: Path,
                 extra: Counter | None = None) -> None:
    floor = minimum_vocab(text, extra)
    if vocab_size < floor:
        raise TokenizerError(
            f"vocabulary size {vocab_size:,} is too small for {folder}: it needs more than "
            f"{floor - 1:,} ({len(text.lexicon_words()):,} lexicon words, "
            f"{len(text.characters()):,} characters, {reserved_pieces()} bytes and specials)"
        )
