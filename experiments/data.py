"""The experiment's data: the training build, the held-out sets, and ordinary text.

Two builds come from `corpusgen build`, as a user would make them: the training build from
the lexicon minus a seeded share of its concepts, and an "outside" build from the full
lexicon, whose hyperwords with a held-out word make one evaluation set. Every arm trains the
first `rows` rows of each stage's train split; the evaluation sets are drawn from rows no arm
trains, and what they share with the trained rows is counted, not assumed:

- gloss_seen      hyperwords never trained whose every word (concept in its language) occurs
                  in the trained mnemo rows
- gloss_unseen    hyperwords with at least one word held out of the training lexicon
- sentences       the build's plain sentences never trained (the language stage's text)
- language_data   text the generator did not write (`--language-data FILE`)
- base_samples    the base model's own answers to short requests, generated once and cached:
                  its general ability, which the adapters should keep
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .builds import DataProblem

GLOSS_SETS = ("gloss_seen", "gloss_unseen")
TEXT_SETS = ("sentences", "language_data", "base_samples")
SET_LABELS = {
    "gloss_seen": "unseen hyperwords, every word trained",
    "gloss_unseen": "hyperwords with a word held out of the lexicon",
    "sentences": "the build's sentences, never trained",
    "language_data": "text the generator did not write",
    "base_samples": "the base model's own answers (general ability)",
}
SAMPLE_REQUESTS = ("Write one sentence about {}.", "Tell me a fact about {}.",
                   "Describe {} in one sentence.", "What is {}?")


@dataclass
class EvalSet:
    name: str
    rows: list[dict]  # columns a RowEncoder reads: messages, prompt/completion or text
    targets: list[str]  # the text each row's loss is on (for per-character loss)
    words_trained: int = 0  # words of the set that occur in the trained rows
    words_total: int = 0
    source: str = ""

    @property
    def label(self) -> str:
        return SET_LABELS[self.name]


@dataclass
class Data:
    train_build: Path
    languages: dict[str, str]
    held_out: list[str]
    lexicon_dir: Path  # the lexicon of the outside build (the training one plus held_out)
    sets: dict[str, EvalSet] = field(default_factory=dict)
    recall_rows: list[dict] = field(default_factory=list)  # gloss_seen rows decoded for recall
    vocabulary: dict[str, set[str]] = field(default_factory=dict)  # lexicon words per language
    # language -> concept -> its word, for recall
    lexicon_words: dict[str, dict[str, str]] = field(default_factory=dict)
    trained_words: set[str] = field(default_factory=set)  # \w+ runs of the trained rows' text
    # the forced choice (knowledge.py): candidate gloss rows and one item per constituent
    choice_rows: list[dict] = field(default_factory=list)
    choice_items: list = field(default_factory=list)
    exposures: dict = field(default_factory=dict)  # occurrences per word in the trained rows
    curve_exposures: dict = field(default_factory=dict)  # the same after each curve point
    builds: dict = field(default_factory=dict)  # build name -> digest of its rows

    def summary(self) -> dict:
        return {"train_build": str(self.train_build), "held_out_concepts": len(self.held_out),
                "languages": self.languages,
                "sets": {n: {"rows": len(s.rows), "label": s.label, "source": s.source,
                             "words_in_trained_rows": s.words_trained,
                             "words": s.words_total} for n, s in self.sets.items()},
                "recall_hyperwords": len(self.recall_rows),
                "choice_items": len(self.choice_items), "exposures": self.exposures,
                "curve_exposures": self.curve_exposures, "builds": self.builds}


# ---- evaluation sets -------------------------------------------------------------------

def _split_rows(root: Path, stage: str) -> dict[str, list[dict]]:
    from datasets import load_from_disk

    from mnemophrase.corpusgen.contract import ARROW_DIR

    dd = load_from_disk(str(root / ARROW_DIR / stage))
    return {split: dd[split].to_list() for split in dd}


def _pairs(row: dict) -> set[tuple[str, str]]:
    return {(c["concept"], c["lang"]) for c in row["constituents"]}


def _gloss_row(r: dict) -> dict:
    return {"messages": r["messages"], "prompt": r["prompt"], "completion": r["completion"],
            "hyperword": r["hyperword"], "lang": r["lang"], "constituents": r["constituents"]}


def _text_row(text: str, request: str | None = None) -> dict:
    turns = ([{"role": "user", "content": request}] if request else []) + [
        {"role": "assistant", "content": text}]
    return {"messages": turns, "text": text}


def prepare(out: Path, sizes, langs: list[str], language_data: Path | None, log) -> Data:
    """Both builds and every evaluation set except base_samples (see `add_base_samples`)."""
    from mnemophrase.corpusgen.contract import Build
    from mnemophrase.corpusgen.lexicon import default_lexicon_dir, load_lexicon

    from .builds import build_all, content_digest, copy_lexicon, read_concepts

    shipped = default_lexicon_dir()
    concepts = read_concepts(shipped)
    rng = random.Random(0)
    if sizes.concepts and sizes.concepts < len(concepts):
        # a small run covers a small lexicon: its seen-word set would be empty otherwise
        concepts = sorted(rng.sample(concepts, sizes.concepts))
    held = sorted(rng.sample(concepts, max(1, round(sizes.holdout * len(concepts)))))
    full_lex = out / "lexicon-full"
    copy_lexicon(shipped, full_lex, set(concepts))
    copy_lexicon(shipped, out / "lexicon-train", set(concepts) - set(held))
    train_dir, outside_dir = out / "build-train", out / "build-outside"
    # --min-occurrences: every trained word at least k times in the training build's mnemo
    # stage (corpusgen's balanced draw); the outside build is an ordinary draw
    balance = ["--min-occurrences", str(sizes.min_occurrences)] if sizes.min_occurrences else []
    build_all([(train_dir, langs, sizes.scenes, 0, out / "lexicon-train", balance),
               (outside_dir, langs, sizes.scenes, 1, full_lex, [])], log)
    languages = Build.open(train_dir).languages
    data = Data(train_dir, languages, held, full_lex,
                builds={d.name: content_digest(d) for d in (train_dir, outside_dir)})

    n = sizes.rows
    # the evaluation sets leave out the first max(--rows, --language-rows) language rows, so
    # a run with a shorter language stage measures on the same sets as one without it
    n_language = max(n, sizes.stage_rows("language"))
    mnemo = _split_rows(train_dir, "mnemo")
    language = _split_rows(train_dir, "language")
    bridge = _split_rows(train_dir, "bridge")
    for name, split, k in (("mnemo", mnemo, n), ("language", language, n_language),
                           ("bridge", bridge, n)):
        if len(split["train"]) < k:
            raise DataProblem(f"the {name} train split has {len(split['train'])} rows; "
                              f"{k} are trained: raise --scenes")
    trained_pairs = set().union(*(_pairs(r) for r in mnemo["train"][:n] + bridge["train"][:n]))
    trained_text = {r["text"] for r in language["train"][:n_language]} | {
        r["sentence"] for r in mnemo["train"][:n] + bridge["train"][:n]}
    trained_hyperwords = {r["hyperword"] for r in mnemo["train"][:n]}
    pool = mnemo["train"][n:] + mnemo.get("validation", []) + mnemo.get("test", [])
    pool = [r for r in pool if r["hyperword"] not in trained_hyperwords]

    seen = [r for r in pool if _pairs(r) <= trained_pairs]
    rng.shuffle(seen)
    data.sets["gloss_seen"] = _gloss_set("gloss_seen", seen[: sizes.eval_rows], trained_pairs,
                                         "training build, rows past the trained ones")
    held_set = set(held)
    outside = [r for rows in _split_rows(outside_dir, "mnemo").values() for r in rows
               if any(c["concept"] in held_set for c in r["constituents"])]
    rng.shuffle(outside)
    data.sets["gloss_unseen"] = _gloss_set("gloss_unseen", outside[: sizes.eval_rows],
                                           trained_pairs, "full-lexicon build (seed 1)")
    # a sentence's words are its scene's constituents: the mnemo row of the same scene
    scene_of = {r["sentence"]: r for r in mnemo["train"] + mnemo.get("validation", [])
                + mnemo.get("test", [])}
    sentences = [r for rows in language.values() for r in rows
                 if r["text"] not in trained_text and r["text"] in scene_of]
    rng.shuffle(sentences)
    sentences = sentences[: sizes.eval_rows]
    s = EvalSet("sentences", [_text_row(r["text"]) for r in sentences],
                [r["text"] for r in sentences], source="training build, language rows past "
                "the trained ones")
    pairs = [p for r in sentences for p in _pairs(scene_of[r["text"]])]
    s.words_trained, s.words_total = sum(p in trained_pairs for p in pairs), len(pairs)
    data.sets["sentences"] = s
    data.trained_words = {w for t in trained_text for w in _WORD.findall(t.lower())}
    if language_data is not None:
        data.sets["language_data"] = _ordinary_set(language_data, sizes.eval_rows,
                                                   data.trained_words)
    data.recall_rows = data.sets["gloss_seen"].rows[: sizes.recall_rows]

    lex = load_lexicon(full_lex, langs)
    for lang, table in lex.words.items():
        data.vocabulary[lang] = {w for col in table.columns[1:] for w in table[col].to_list()
                                 if isinstance(w, str) and w}
        data.lexicon_words[lang] = dict(zip(table["concept"], table["word"]))
    trained_concepts = set(concepts) - set(held)
    data.exposures = exposures(mnemo["train"][:n], lex, trained_concepts)
    data.curve_exposures = {str(k): exposures(mnemo["train"][:k], lex, trained_concepts)
                            for k in sizes.curve}
    data.choice_rows, data.choice_items = choice_of_lexicon(
        data.recall_rows[: sizes.choice_rows], lex, trained_concepts, sizes.distractors)
    for name in GLOSS_SETS + ("sentences",):
        if len(data.sets[name].rows) < sizes.eval_rows:
            log(f"note: {name} has {len(data.sets[name].rows)} rows (asked {sizes.eval_rows}); "
                "raise --scenes for more")
    return data


def exposures(rows: list[dict], lex, concepts: set[str]) -> dict:
    """How often each word (a concept in one language) of the training lexicon occurs in
    the trained mnemo rows, as corpusgen's stats give a build's exposure (`spread`: min,
    median, mean and max over words, zeros included, and how many words never occur)."""
    from collections import Counter

    from mnemophrase.corpusgen.build.stats import spread

    counts = Counter((c["concept"], c["lang"]) for r in rows for c in r["constituents"])
    words = [(c, lang) for lang, table in lex.words.items()
             for c in table["concept"].to_list() if c in concepts]
    n = np.array([counts.get(w, 0) for w in words], dtype=np.int64)
    return spread(n) if len(n) else {}


def choice_of_lexicon(rows: list[dict], lex, trained: set[str], k: int):
    """The forced-choice candidates of the recall rows (knowledge.choice_candidates), with
    each language's forms as the build made them."""
    from mnemophrase.corpusgen.cache import cached_forms
    from mnemophrase.corpusgen.lang import get_language

    from .knowledge import choice_candidates

    pos = lex.concepts["pos"].to_list()
    forms = {lang: cached_forms(get_language(lang), lex.word_rows(lang), pos)
             for lang in lex.words}
    concepts = {r["concept"]: {"index": i, "field": r["field"], "pos": r["pos"]}
                for i, r in enumerate(lex.concepts.select("concept", "field", "pos").to_dicts())}
    return choice_candidates(rows, forms, concepts, trained, k)


def _gloss_set(name: str, rows: list[dict], trained_pairs, source: str) -> EvalSet:
    pairs = [p for r in rows for p in _pairs(r)]
    return EvalSet(name, [_gloss_row(r) for r in rows], [r["completion"] for r in rows],
                   sum(p in trained_pairs for p in pairs), len(pairs), source)


_WORD = re.compile(r"\w+")


def _word_counts(texts: list[str], trained_words: set[str]) -> tuple[int, int]:
    """Word runs (\\w+, lower case; a Thai run is a phrase) found in the trained rows' text."""
    words = [w for t in texts for w in _WORD.findall(t.lower())]
    return sum(w in trained_words for w in words), len(words)


def _ordinary_set(path: Path, limit: int, trained_words: set[str]) -> EvalSet:
    texts = read_texts(path)[:limit]
    return EvalSet("language_data", [_text_row(t) for t in texts], texts,
                   *_word_counts(texts, trained_words), str(path))


def read_texts(path: Path) -> list[str]:
    """Texts of a .txt (one per line), .jsonl/.json (`text` field) or .parquet (`text`)."""
    if not path.is_file():
        raise DataProblem(f"--language-data {path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".jsonl", ".json"):
            texts = [json.loads(line)["text"] for line in
                     path.read_text(encoding="utf-8").splitlines() if line.strip()]
        elif suffix == ".parquet":
            import pyarrow.parquet as pq

            texts = pq.read_table(path, columns=["text"]).column("text").to_pylist()
        else:
            texts = path.read_text(encoding="utf-8").splitlines()
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, OSError) as e:
        raise DataProblem(f"--language-data {path}: not readable as text rows "
                          f"({type(e).__name__})") from None
    texts = [t.strip() for t in texts if isinstance(t, str) and t.strip()
             and not t.lstrip().startswith("#")]
    if not texts:
        raise DataProblem(f"--language-data {path}: no text rows")
    return texts


def sample_requests(data: Data, count: int) -> list[str]:
    """Short requests about English concept names, seeded: the prompts of base_samples."""
    with open(data.lexicon_dir / "en.tsv", encoding="utf-8") as f:
        words = sorted({row["word"] for row in csv.DictReader(f, delimiter="\t")})
    rng = random.Random(0)
    picked = rng.sample(words, min(count, len(words)))
    return [SAMPLE_REQUESTS[i % len(SAMPLE_REQUESTS)].format(w) for i, w in enumerate(picked)]


def add_base_samples(data: Data, cache: Path, model_key: str, generate_answers, count: int,
                     log) -> None:
    """The base model's answers to `count` requests, generated once per model and decoding
    setting (`generate_answers.settings`) and cached."""
    requests = sample_requests(data, count)
    settings = getattr(generate_answers, "settings", {})
    key = hashlib.sha256(json.dumps([model_key, settings, requests], sort_keys=True)
                         .encode()).hexdigest()[:16]
    file = cache / f"base_samples-{key}.json"
    if file.is_file():
        answers = json.loads(file.read_text(encoding="utf-8"))
    else:
        log(f"sampling {len(requests)} answers from the base model (cached in {file})")
        answers = generate_answers(requests)
        cache.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    kept = [(q, a) for q, a in zip(requests, answers) if a.strip()]
    if not kept:
        log("note: the base model answered none of the requests; no base_samples set")
        return
    data.sets["base_samples"] = EvalSet(
        "base_samples", [_text_row(a, q) for q, a in kept], [a for _, a in kept],
        *_word_counts([a for _, a in kept], data.trained_words),
        source=f"greedy answers of the base model, cached as {file.name}")
