"""Exposure as a knob of `corpusgen build`: `--concepts` chooses the vocabulary,
`--min-occurrences` balances it, and stats.json and the card say how often each word
occurs in the mnemo stage."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from mnemophrase.corpusgen.build.vocabulary import choose_concepts
from mnemophrase.corpusgen.grammar.draw import DrawOptions, SceneDrawer
from mnemophrase.corpusgen.grammar.scenes import SceneTables
from mnemophrase.corpusgen.lexicon import lexicon_subset, load_lexicon
from tests.conftest import assert_one_line_failure, run
from tests.test_build_shards import tree_digest

LANGS = ("ru", "en")
# 40 concepts in two languages: 80 words; a scene per word per occurrence asked
CONCEPTS, K = 40, 8
N = CONCEPTS * len(LANGS) * K
BUILD = ("build", "--langs", ",".join(LANGS), "--min-parts", 2, "--max-parts", 3,
         "--concepts", CONCEPTS, "--quiet")


def word_counts(out: Path) -> Counter:
    """(concept, lang) -> occurrences among the constituents of every mnemo row."""
    rows = pl.read_parquet(out / "data" / "mnemo" / "*.parquet", columns=["constituents"])
    parts = rows.explode("constituents").unnest("constituents")
    return Counter(zip(parts["concept"].to_list(), parts["lang"].to_list()))




@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("coverage")
    out = {}
    for name, extra in (("default", ()), ("balanced", ("--min-occurrences", K))):
        out[name] = root / name
        result = run(*BUILD, "--n", N, "--seed", 5, "--out", out[name], "--workers", 1,
                     "--shard-scenes", N // 3, *extra)
        assert result.exit_code == 0, result.stderr
    return out


def test_balanced_coverage_gives_every_word_k_occurrences_the_default_draw_does_not(builds):
    stats = json.loads((builds["balanced"] / "stats.json").read_text())
    chosen = stats["options"]["concepts"]
    assert len(chosen) == CONCEPTS
    words = [(c, lang) for c in chosen for lang in LANGS]
    balanced = word_counts(builds["balanced"])
    assert set(balanced) <= set(words)
    assert min(balanced[w] for w in words) >= K
    default = word_counts(builds["default"])
    assert min(default[w] for w in words) < K  # by the luck of the draw, same scenes
    assert stats["exposure"]["guaranteed_min"] == K
    assert stats["exposure"]["mnemo"]["min"] == min(balanced[w] for w in words)


def test_stats_and_card_report_occurrences_per_word_and_pair(builds):
    stats = json.loads((builds["default"] / "stats.json").read_text())
    exposure = stats["exposure"]
    counts = word_counts(builds["default"])
    words = [(c, lang) for c in stats["options"]["concepts"] for lang in LANGS]
    values = sorted(counts[w] for w in words)
    assert exposure["mnemo"] == {
        "words": len(words), "min": values[0], "median": exposure["mnemo"]["median"],
        "mean": round(sum(values) / len(values), 2), "max": values[-1],
        "never": sum(v == 0 for v in values)}
    assert exposure["mnemo_train"]["mean"] <= exposure["mnemo"]["mean"]
    pair = exposure["pairs"]["ru-en"]
    assert pair["min"] == min(min(counts[c, "ru"], counts[c, "en"])
                              for c in stats["options"]["concepts"])
    assert exposure["guaranteed_min"] is None and "min_occurrences" not in stats["options"]
    card = (builds["default"] / "README.md").read_text()
    assert f"- vocabulary: {CONCEPTS} concepts" in card
    assert "occurrences per word in mnemo, all splits: min" in card
    assert "word pairs ru-en" in card
    assert "balanced coverage" in (builds["balanced"] / "README.md").read_text()


def test_balanced_build_is_the_same_bytes_for_any_worker_count(builds, tmp_path):
    out = tmp_path / "w2"
    result = run(*BUILD, "--n", N, "--seed", 5, "--out", out, "--workers", 2,
                 "--shard-scenes", N // 3, "--min-occurrences", K)
    assert result.exit_code == 0, result.stderr
    assert tree_digest(out) == tree_digest(builds["balanced"])


def test_balance_survives_the_top_up_of_repeated_hyperwords(tmp_path):
    # twelve concepts, 48 scenes: near the options' capacity, so the planned draw repeats
    # hyperwords, and each lost scene's anchor word must be drawn again
    lex = load_lexicon(None, list(LANGS))
    ids = choose_concepts(lex, "12", 0)
    drawer = SceneDrawer(SceneTables(lexicon_subset(lex, ids), list(LANGS)),
                         DrawOptions(LANGS, 2, 3, 0.5, 0, balanced=True))
    n = 2 * drawer.schedule.words
    keys = drawer.draw_scenes((0, 0), n, drawer.schedule.anchors(np.arange(n))).key
    assert len(np.unique(keys)) < n - 5
    out = tmp_path / "tight"
    result = run("build", "--langs", ",".join(LANGS), "--min-parts", 2, "--max-parts", 3,
                 "--concepts", 12, "--min-occurrences", 2, "--n", n, "--quiet",
                 "--out", out, "--workers", 1)
    assert result.exit_code == 0, result.stderr
    counts = word_counts(out)
    assert min(counts[c, lang] for c in ids for lang in LANGS) >= 2


def test_concept_choices_count_file_and_fields(tmp_path):
    lex = load_lexicon(None, list(LANGS))
    forty = choose_concepts(lex, "40", 0)
    assert len(forty) == 40 and forty == choose_concepts(lex, "40", 0)
    assert forty != choose_concepts(lex, "40", 1)
    field_of = dict(zip(lex.concepts["concept"], lex.concepts["field"]))
    assert len({field_of[c] for c in forty}) == lex.concepts["field"].n_unique()
    listed = tmp_path / "chosen.txt"
    listed.write_text("# mine\nwater\n\nfire\n", encoding="utf-8")
    assert choose_concepts(lex, str(listed), 0) == ("fire", "water")
    assert set(choose_concepts(lex, "field:element,color", 0)) == {
        c for c, f in field_of.items() if f in ("element", "color")}


@pytest.mark.parametrize(("args", "fragments"), [
    (("--concepts", "0"), ("--concepts", "outside 1..")),
    (("--concepts", "no-such-file.txt"), ("--concepts", "neither a count")),
    (("--concepts", "field:element,nowhere"), ("--concepts", "'nowhere'")),
    (("--concepts", "3", "--min-parts", 3, "--max-parts", 3), ("no scene plan has",
                                                               "--concepts")),
    (("--concepts", "40", "--min-occurrences", 50), ("--min-occurrences 50 needs --n",
                                                     "80 words")),
])
def test_bad_vocabulary_options_are_one_line(args, fragments, tmp_path):
    result = run("build", "--langs", "ru,en", "--n", 100, "--quiet", "--out", tmp_path / "o",
                 *args)
    assert_one_line_failure(result, *fragments)
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_unknown_concepts_in_a_list_file_are_named(tmp_path):
    listed = tmp_path / "chosen.txt"
    listed.write_text("water\nunobtainium\nfire\nphlogiston\n", encoding="utf-8")
    result = run("build", "--langs", "ru,en", "--n", 100, "--quiet", "--out", tmp_path / "o",
                 "--concepts", listed)
    assert_one_line_failure(result, "phlogiston, unobtainium")


def test_min_occurrences_below_one_is_a_usage_line(tmp_path):
    result = run("build", "--n", 100, "--min-occurrences", 0, "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "--min-occurrences" in result.stderr
