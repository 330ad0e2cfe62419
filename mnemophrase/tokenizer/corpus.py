"""What the tokenizer learns from: a published build, read like any outside user reads it.

Only the Parquet files under DIR/data/<stage>/ are read (never corpusgen's code). The text is
kept as counts — each whitespace word once with its frequency, each hyperword once with its
gold constituents — because SentencePiece splits at whitespace anyway, so a word-count TSV
trains the same model as the raw lines, in a fraction of the time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from mnemophrase.corpusgen.contract import STAGES, Build, BuildInvalid

from .errors import TokenizerError

# the columns that hold ordinary text, per stage; hyperwords come from `constituents`
TEXT_COLUMNS = {"mnemo": ("gloss",), "bridge": ("sentence",), "language": ("sentence",)}
# separates lines inside one string before counting; never part of a word
_LINE = "\x1e"


def open_build(folder: Path) -> Build:
    """The build in `folder`, or a one-line TokenizerError saying what is wrong with it."""
    try:
        build = Build.open(folder)
    except BuildInvalid as exc:
        raise TokenizerError(str(exc)) from None
    if not build.data_files("mnemo", "train"):
        raise TokenizerError(
            f"{folder}: no mnemo stage (data/mnemo/train-*.parquet); is it a corpusgen build?"
        )
    return build


def check_build(folder: Path) -> Path:
    """The build folder, checked by `open_build`."""
    return open_build(folder).root


def stage_files(folder: Path, stage: str, split: str) -> list[Path]:
    return Build(Path(folder), {}).data_files(stage, split)


def read_stage(folder: Path, stage: str, split: str, columns: list[str]):
    """One stage's split as a polars frame, or None when the build lacks it."""
    import polars as pl

    files = stage_files(folder, stage, split)
    if not files:
        return None
    try:
        return pl.concat([pl.read_parquet(f, columns=columns) for f in files])
    except (OSError, ValueError, pl.exceptions.PolarsError) as exc:
        # a damaged or foreign Parquet file (or one without these columns): one line
        raise TokenizerError(f"{files[0].parent}: cannot read {', '.join(columns)} ({exc})") \
            from None


def hyperword_parts(frame) -> list[tuple[str, ...]]:
    """Each row's gold words, in order (the constituents' surfaces)."""
    import polars as pl

    parts = frame.select(
        pl.col("constituents").list.eval(pl.element().struct.field("surface"))
    ).to_series()
    return [tuple(p) for p in parts.to_list() if p]


def count_words(series) -> Counter:
    """Whitespace words with their counts, the way SentencePiece will see them.

    With add_dummy_prefix=False a word keeps its leading space (" lives" -> "▁lives") unless
    it starts a line, so line-initial words are counted bare. Tabs and newlines end a line:
    the word-count TSV format has no room for them inside a word.
    """
    import polars as pl

    words = (
        series.cast(pl.String)
        .str.replace_all(r"[\t\r\n]", _LINE)
        .str.replace_all(" ", _LINE + " ", literal=True)
        .str.split(_LINE)
        .explode()
    )
    counts = words.filter(words.str.len_chars() > 0).value_counts()
    return Counter(dict(zip(counts[counts.columns[0]].to_list(),
                            counts[counts.columns[1]].to_list())))


@dataclass
class BuildText:
    """The text of one split of a build, as counts."""

    words: Counter            # ordinary text: whitespace words -> count
    hyperwords: Counter       # tuple of gold words -> count (one per prompt it appears in)

    @property
    def parts(self) -> Counter:
        """The gold words of the hyperwords, counted per occurrence."""
        out: Counter = Counter()
        for parts, n in self.hyperwords.items():
            for part in parts:
                out[part] += n
        return out

    def lexicon_words(self) -> set[str]:
        return {p for parts in self.hyperwords for p in parts}

    def characters(self) -> set[str]:
        chars = {c for w in self.words for c in w}
        chars.update(c for w in self.lexicon_words() for c in w)
        return chars


def read_build_text(folder: Path, split: str = "train") -> BuildText:
    """Every text of `split` that a model trained on the build reads: hyperword prompts,
    glosses and sentences. Stages other than mnemo are optional (a build may have fewer)."""
    folder = check_build(folder)
    words: Counter = Counter()
    hyperwords: Counter = Counter()
    for stage in STAGES:
        columns = list(TEXT_COLUMNS[stage]) + (["constituents"] if stage != "language" else [])
        frame = read_stage(folder, stage, split, columns)
        if frame is None:
            continue
        for column in TEXT_COLUMNS[stage]:
            words.update(count_words(frame[column]))
        if "constituents" in columns:
            hyperwords.update(hyperword_parts(frame))
    if not hyperwords:
        raise TokenizerError(f"{folder}: the mnemo stage has no hyperwords in its {split} split")
    return BuildText(words=words, hyperwords=hyperwords)
