"""The dataset card (README.md): the `configs:` the Hub and `load_dataset` read, a stats
table and a few examples. Built with huggingface_hub's DatasetCard so the Hub accepts it."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from corpusgen.contract import CARD, SPLITS, STAGES, data_files, data_pattern


def language_names(stats: dict) -> dict[str, str]:
    """Code -> English name of the build's languages: as stats.json records them, else as
    the language plug-ins name them."""
    recorded = stats.get("languages")
    if isinstance(recorded, dict) and recorded:
        return dict(recorded)
    from corpusgen.lang import available_languages, get_language

    return {code: get_language(code).name if code in available_languages() else code
            for code in stats["options"]["langs"]}


def size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                        (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < limit:
            return name
    return "10M<n<100M"


def configs(stage_order: list[str], splits: list[str]) -> list[dict]:
    return [
        {
            "config_name": stage,
            "data_files": [{"split": split, "path": data_pattern(stage, split)}
                           for split in splits],
        }
        for stage in stage_order
    ]


def stats_table(stats: dict) -> str:
    langs = stats["options"]["langs"]
    lines = ["| stage | split | rows | " + " | ".join(langs) + " |",
             "| --- | --- | ---: | " + " | ".join("---:" for _ in langs) + " |"]
    for stage in stats["stage_order"]:
        for split in SPLITS:
            per = stats["rows_by_lang"].get(stage, {}).get(split, {})
            total = stats["rows"].get(stage, {}).get(split, 0)
            cells = " | ".join(f"{per.get(lang, 0):,}" for lang in langs)
            lines.append(f"| {stage} | {split} | {total:,} | {cells} |")
    parts = ", ".join(f"{k} parts: {v:,}" for k, v in stats["parts_histogram"].items())
    means = ", ".join(f"{k} {v}" for k, v in stats["mean_chars"].items())
    lines += [
        "",
        f"- scenes (unique hyperwords): {stats['scenes']:,}",
        f"- cross-lingual hyperwords: {stats['cross_lingual_share']:.1%}",
        f"- parts per hyperword: {parts}",
        f"- mean length in characters: {means}",
        f"- seed: {stats['seed']}",
    ]
    lines += exposure_lines(stats)
    if stats.get("tokenizer"):
        tok = stats["tokenizer"]
        lines.append(f"- tokenizer: {tok.get('model_type')} vocab {tok.get('vocab_size'):,} "
                     "(in `tokenizer/`)")
    return "\n".join(lines)


def exposure_lines(stats: dict) -> list[str]:
    """The vocabulary and how often its words occur in the mnemo stage, when the build
    chose or balanced it."""
    exposure = stats.get("exposure")
    if not exposure:
        return []

    def spread(s: dict) -> str:
        if not s.get("words"):
            return "no words"
        return (f"min {s['min']:,}, median {s['median']:g}, mean {s['mean']:g}, "
                f"max {s['max']:,}, never seen {s['never']:,} of {s['words']:,}")

    chosen = stats["options"].get("concepts")
    out = [f"- vocabulary: {exposure['concepts']:,} concepts"
           + (" (chosen with `--concepts`)" if chosen else "")]
    if exposure.get("guaranteed_min") is not None:
        out.append(f"- balanced coverage: every word at least {exposure['guaranteed_min']:,} "
                   f"times in mnemo (`--min-occurrences "
                   f"{stats['options']['min_occurrences']}`)")
    out.append(f"- occurrences per word in mnemo, all splits: {spread(exposure['mnemo'])}")
    out.append(f"- occurrences per word in mnemo, train: {spread(exposure['mnemo_train'])}")
    for pair, s in exposure["pairs"].items():
        out.append(f"- word pairs {pair} (a concept's two words, the lesser count): "
                   f"{spread(s)}")
    return out


def _examples(shard, per_stage: int = 3) -> str:
    """The first rows of each stage's first train shard; `shard(stage)` gives that shard
    (a path or an open file), or None when the stage has no train rows."""
    out = []
    for stage in STAGES:
        source = shard(stage)
        if source is None:
            continue
        # the first rows only: reading a whole column of a large build would cost its size
        with pq.ParquetFile(source) as parquet:
            rows = next(parquet.iter_batches(
                batch_size=per_stage, columns=["lang", "hyperword", "gloss", "sentence"])
            ).to_pylist()
        if hasattr(source, "close"):
            source.close()
        out.append(f"**{stage}**\n")
        for r in rows:
            if stage == "language":
                out.append(f"- `{r['lang']}` {r['sentence']}")
            elif stage == "mnemo":
                out.append(f"- `{r['hyperword']}` → {r['gloss']}")
            else:
                out.append(f"- `{r['hyperword']}` → {r['sentence']}")
        out.append("")
    return "\n".join(out)


def import_card_library() -> None:
    """Import huggingface_hub's card classes (0.25 s): a build does it ahead, while its
    shards are written."""
    from huggingface_hub import DatasetCard, DatasetCardData  # noqa: F401


def card_data(stats: dict):
    from huggingface_hub import DatasetCardData

    total = sum(sum(s.values()) for s in stats["rows"].values())
    return DatasetCardData(
        language=list(stats["options"]["langs"]),
        license="cc-by-4.0",
        task_categories=["text-generation"],
        size_categories=[size_category(total)],
        tags=["mnemo", "hyperwords", "synthetic", "curriculum", "multilingual"],
        pretty_name="Mnemo-phrase curriculum",
        configs=configs(stats["stage_order"], stats.get("splits", list(SPLITS))),
        stage_order=stats["stage_order"],
    )


def write_card(root: Path, stats: dict, shard=None) -> None:
    """README.md in `root`; the examples come from `shard(stage)` (see `_examples`),
    by default the first train shard under `root`."""
    from huggingface_hub import DatasetCard

    if shard is None:
        def shard(stage):
            found = data_files(root, stage, "train")
            return found[0] if found else None

    langs = ", ".join(language_names(stats).values())
    body = f"""
# Mnemo-phrase curriculum

Hyperwords fused from {langs} words, each with a scene gloss and an ordinary sentence about
the same scene, made by `corpusgen build` (corpusgen {stats['corpusgen_version']}). Stages,
in curriculum order: {', '.join(f'`{s}`' for s in stats['stage_order'])}.

| stage | a row teaches |
| --- | --- |
| `mnemo` | hyperword → scene gloss |
| `bridge` | hyperword → ordinary sentence about the same scene |
| `language` | ordinary language alone |

Splits are disjoint by hyperword, across stages too: a test hyperword was never trained on.

```python
from datasets import load_dataset
mnemo = load_dataset("<this repo or folder>", "mnemo")
```

Columns: `id`, `stage`, `lang`, `hyperword`, `constituents` (concept, lang, surface, start,
end — `hyperword[start:end] == surface`), `gloss`, `sentence`, `prompt`/`completion` and
`messages` (TRL formats), `text`.

## Statistics

{stats_table(stats)}

## Examples

{_examples(shard)}
"""
    card = DatasetCard(f"---\n{card_data(stats).to_yaml()}\n---\n{body}")
    (root / CARD).write_text(str(card), encoding="utf-8")
