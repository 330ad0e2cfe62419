"""The dataset card (README.md): the `configs:` the Hub and `load_dataset` read, a stats
table and a few examples. Built with huggingface_hub's DatasetCard so the Hub accepts it."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from mnemophrase.corpusgen.contract import CARD, SPLITS, STAGES, data_files, data_pattern


def language_names(stats: dict) -> dict[str, str]:
    """Code -> English name of the build's languages: as stats.json records them, else as
    the language plug-ins name them."""
    recorded = stats.get("languages")
    if isinstance(recorded, dict) and recorded:
        return dict(recorded)
    from mnemophrase.corpusgen.lang import available_languages, get_language

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
    if stats.get("language_data"):
        data = stats["language_data"]
        where = ", ".join(f"{k} {data[k]}" for k in ("config", "split") if data.get(k)) \
            if not str(data["source"]).endswith((".txt", ".jsonl", ".parquet")) else ""
        lines.append(f"- language stage: ordinary text from `{data['source']}`"
                     f"{f' ({where})' if where else ''}, licence: {data['license']}")
    glosses = stats["options"].get("glosses_per_scene", 1)
    if glosses > 1:
        lines.append(f"- glosses per scene: {glosses} mnemo rows per hyperword, each a "
                     "different gloss, all in the hyperword's split")
    if stats.get("gloss_skeletons"):
        # older builds' stats.json have no such record
        figures = "; ".join(f"{lang} {f['distinct']:,} (commonest {f['top_share']:.1%})"
                            for lang, f in stats["gloss_skeletons"].items())
        lines.append(f"- distinct gloss skeletons (the gloss with every lexicon word masked): "
                     f"{figures}")
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


# what the card's code loads from: this placeholder in a folder, the repo's id once pushed
# (mnemophrase.corpusgen.push puts it in the card it sends; the folder itself is never changed)
LOCAL_SOURCE = "path/to/this/folder"
# the column TRL's SFTTrainer is given for every stage: one format, the chat the training
# plugin also uses by default (mnemophrase.train_plugin.formats). Given every column, TRL reads the
# rows as prompt-completion because of `prompt` and as conversational because of `messages`, and
# adds no end of sequence: the model never learns to stop.
TRL_COLUMNS = ["messages"]


def trl_usage(stage_order: list[str], source: str = LOCAL_SOURCE) -> str:
    """The card's section on training with TRL: one line per stage, in curriculum order."""
    columns = "[" + ", ".join(f'"{c}"' for c in TRL_COLUMNS) + "]"
    lines = "\n".join(f'{stage} = load_dataset(source, "{stage}", split="train")'
                      f".select_columns({columns})" for stage in stage_order)
    first = stage_order[0] if stage_order else "mnemo"
    return f"""Give `SFTTrainer` one format. Given every column, it reads the rows as
prompt–completion and as a chat at once, adds no end of sequence, and the model never learns
to stop. With `messages` alone each row goes through the tokenizer's chat template, and the
assistant turn's closing token (`<|im_end|>` for SmolLM2) is trained with the rest:

```python
from datasets import load_dataset
from trl import SFTTrainer

source = "{source}"
{lines}

trainer = SFTTrainer(model="HuggingFaceTB/SmolLM2-135M-Instruct", train_dataset={first})
trainer.train()   # then the next stage, in curriculum order
```

`.select_columns(["prompt", "completion"])` works as well: TRL appends the end of sequence
to each completion and trains the completion alone. A `language` row's prompt is empty, so
there its first word has nothing to be predicted from (the chat format gives it the
template's opening)."""


def card_for_repo(card: str, repo: str) -> str:
    """The card as pushed to `repo`: its code loads from the repo instead of a folder."""
    return card.replace(f'source = "{LOCAL_SOURCE}"', f'source = "{repo}"')


def _parts(stats: dict) -> str:
    options = stats.get("options", {})
    low, high = options.get("min_parts"), options.get("max_parts")
    if low is None or high is None:
        return "several"
    return str(low) if low == high else f"{low} to {high}"


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

Columns: `id`, `stage`, `lang`, `hyperword`, `constituents` (concept, lang, surface, start,
end — `hyperword[start:end] == surface`), `gloss`, `sentence`, and the same row in three
training formats: `prompt`/`completion`, `messages` (a chat) and `text`
(`prompt + completion`).

## Use with TRL

{trl_usage(stats['stage_order'])}

## How the data was made

Each scene draws {_parts(stats)} concepts from corpusgen's lexicons (a word per concept and
language, grouped in semantic fields) and fuses their words into one hyperword, within one
language or across them. The gloss and the sentence are realised from small per-language
templates whose slots are filled with inflected forms from each language's own library
(pymorphy3 for Russian, lemminflect and inflect for English, pythainlp for Thai), so the
grammar is real: cases, agreement, plurals, classifiers. Every row was generated; none was
written or collected from people. `corpusgen check` verified the build: every file's
checksum, the gold offsets, disjoint splits, no repeated hyperword, and — through spaCy's
lemmatizers — that every gloss and sentence names each of its concepts. `stats.json` records
the seed, the options, the library versions and the lexicons' hashes: the same ones give the
same bytes.

## Limitations

- Synthetic text from templates: a few dozen sentence shapes per language and the lexicons'
  vocabulary, not the variety of natural language. The `language` stage keeps a model's
  ordinary language in use; it is no substitute for a real corpus.
- Hyperwords are invented words: they exist in no language and mean what their gloss says.
- The check proves that each concept is named, not that a sentence is natural or true.
- A language written without spaces (Thai) is checked by segmenting with the lexicon's
  words, so a wrong form of a known word could pass.

## Licence

CC BY 4.0 (`license:` above). The text was generated by corpusgen (Apache-2.0) from its own
lexicons; no third-party text is included.

## Statistics

{stats_table(stats)}

## Examples

{_examples(shard)}
"""
    card = DatasetCard(f"---\n{card_data(stats).to_yaml()}\n---\n{body}")
    (root / CARD).write_text(str(card), encoding="utf-8")
