"""A small made-up dataset in the published layout, for the train_plugin tests.

Until `corpusgen build` exists this stands in for its output: same folders, same columns,
same card header (DESIGN.md, "The published dataset"). The text is toy text, but the
shape is the contract, so a plugin that reads this reads the real build.

    python tests/train_fixtures.py DIR     # write one by hand, e.g. for the examples
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

STAGE_ORDER = ("mnemo", "bridge", "language")
SPLITS = ("train", "validation", "test")

# concept -> surface word per language; enough variety for hyperwords of 2-4 parts
CONCEPTS = {
    "water": {"en": "water", "ru": "вода", "th": "น้ำ"},
    "light": {"en": "light", "ru": "свет", "th": "แสง"},
    "sadness": {"en": "sadness", "ru": "грусть", "th": "เศร้า"},
    "wind": {"en": "wind", "ru": "ветер", "th": "ลม"},
    "stone": {"en": "stone", "ru": "камень", "th": "หิน"},
    "night": {"en": "night", "ru": "ночь", "th": "คืน"},
    "warmth": {"en": "warmth", "ru": "тепло", "th": "อุ่น"},
    "forest": {"en": "forest", "ru": "лес", "th": "ป่า"},
    "silence": {"en": "silence", "ru": "тишина", "th": "เงียบ"},
    "rain": {"en": "rain", "ru": "дождь", "th": "ฝน"},
}
GLOSS = {
    "en": "a feeling of {0} near {1}",
    "ru": "ощущение: {0} рядом, {1}",
}
SENTENCE = {
    "en": "We stood in the {0} and remembered the {1}.",
    "ru": "Мы стояли там, где {0}, и помнили: {1}.",
}


def _features():
    from datasets import Features, List, Value

    part = {
        "concept": Value("string"),
        "lang": Value("string"),
        "surface": Value("string"),
        "start": Value("int32"),
        "end": Value("int32"),
    }
    return Features(
        {
            "id": Value("string"),
            "stage": Value("string"),
            "lang": Value("string"),
            "hyperword": Value("string"),
            "constituents": List(part),
            "gloss": Value("string"),
            "sentence": Value("string"),
            "prompt": Value("string"),
            "completion": Value("string"),
            "messages": List({"role": Value("string"), "content": Value("string")}),
            "text": Value("string"),
        }
    )


def _hyperword(rng: random.Random) -> tuple[str, list[dict]]:
    concepts = rng.sample(sorted(CONCEPTS), rng.randint(2, 4))
    parts, pos = [], 0
    for concept in concepts:
        lang = rng.choice(("en", "ru", "th"))
        surface = CONCEPTS[concept][lang]
        parts.append(
            {"concept": concept, "lang": lang, "surface": surface, "start": pos,
             "end": pos + len(surface)}
        )
        pos += len(surface)
    return "".join(p["surface"] for p in parts), parts


def _row(stage: str, idx: int, rng: random.Random, hyper: tuple[str, list[dict]]) -> dict:
    lang = rng.choice(("en", "ru"))
    word, parts = hyper
    names = [CONCEPTS[p["concept"]][lang] for p in parts]
    gloss = GLOSS[lang].format(names[0], ", ".join(names[1:]))
    sentence = SENTENCE[lang].format(names[0], " ".join(names[1:]))
    if stage == "language":
        word, parts, prompt, completion = "", [], "", ""
        messages = [{"role": "assistant", "content": sentence}]
        text = sentence
    else:
        prompt = word + "\n"
        completion = gloss if stage == "mnemo" else sentence
        messages = [{"role": "user", "content": word}, {"role": "assistant", "content": completion}]
        text = prompt + completion
    return {
        "id": f"{stage}-{idx:05d}",
        "stage": stage,
        "lang": lang,
        "hyperword": word,
        "constituents": parts,
        "gloss": gloss,
        "sentence": sentence,
        "prompt": prompt,
        "completion": completion,
        "messages": messages,
        "text": text,
    }


def write_toy_dataset(out: Path, rows: dict[str, int] | None = None, seed: int = 0) -> Path:
    """Write DIR/arrow/<stage>/, DIR/data/<stage>/<split>-00000-of-00001.parquet, README.md, stats.json."""
    import datasets
    from datasets import Dataset, DatasetDict

    bars = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()  # a fixture, not a build: no progress noise
    try:
        return _write(out, rows, seed, Dataset, DatasetDict)
    finally:
        if bars:
            datasets.enable_progress_bars()


def _write(out, rows, seed, Dataset, DatasetDict) -> Path:
    rows = rows or {"mnemo": 240, "bridge": 160, "language": 160}
    out = Path(out)
    rng = random.Random(seed)
    # one pool of hyperwords, each assigned to one split, so a hyperword never crosses splits
    # (in any stage), as the contract requires
    pool = []
    seen = set()
    while len(pool) < 400:
        hw = _hyperword(rng)
        if hw[0] not in seen:
            seen.add(hw[0])
            pool.append(hw)
    split_of = {hw[0]: SPLITS[0] if i % 10 < 8 else SPLITS[1 + i % 2] for i, hw in enumerate(pool)}

    counts: dict[str, dict[str, int]] = {}
    configs = []
    for stage in STAGE_ORDER:
        by_split: dict[str, list[dict]] = {s: [] for s in SPLITS}
        for idx in range(rows[stage]):
            hyper = pool[idx % len(pool)]
            row = _row(stage, idx, rng, hyper)
            split = split_of[hyper[0]] if stage != "language" else SPLITS[0 if idx % 10 < 8 else 1 + idx % 2]
            by_split[split].append(row)
        dd = DatasetDict(
            {s: Dataset.from_list(r, features=_features()) for s, r in by_split.items()}
        )
        dd.save_to_disk(str(out / "arrow" / stage))
        files = []
        for split, ds in dd.items():
            path = out / "data" / stage / f"{split}-00000-of-00001.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            ds.to_parquet(str(path))
            files.append({"split": split, "path": f"data/{stage}/{split}-*.parquet"})
        configs.append((stage, files))
        counts[stage] = {s: len(r) for s, r in by_split.items()}

    lines = ["---", "configs:"]
    for stage, files in configs:
        lines += [f"- config_name: {stage}", "  data_files:"]
        for f in files:
            lines += [f"  - split: {f['split']}", f"    path: {f['path']}"]
    lines += ["stage_order:"] + [f"- {s}" for s in STAGE_ORDER] + ["---", "", "# toy mnemo dataset", ""]
    (out / "README.md").write_text("\n".join(lines), encoding="utf-8")
    stats = {"stage_order": list(STAGE_ORDER), "counts": counts, "seed": seed, "toy": True}
    (out / "stats.json").write_text(json.dumps(stats, indent=2), encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def toy_dataset(tmp_path_factory) -> Path:
    """One toy dataset per test session; tests must not modify it."""
    return write_toy_dataset(tmp_path_factory.mktemp("toy") / "ds")


@pytest.fixture(scope="session")
def toy_tokenizer(toy_dataset):
    """A character tokenizer over the toy dataset (nothing downloaded)."""
    from train_plugin.models import char_tokenizer, dataset_texts

    return char_tokenizer(dataset_texts(toy_dataset))


def tiny_model(tokenizer, seed: int = 0):
    """The same random tiny Llama for the same seed: runs compared in a test start equal."""
    from train_plugin.models import tiny_llama

    return tiny_llama(len(tokenizer), seed=seed)


# small adapters keep the fast suite fast; dropout on, so resume tests also prove the RNG
TINY_LORA = {"r": 4, "lora_alpha": 8, "lora_dropout": 0.1}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/train_fixtures.py DIR")
    target = Path(sys.argv[1])
    if target.exists():
        sys.exit(f"error: {target} exists; choose a new folder")
    print(write_toy_dataset(target))
