"""`corpusgen build --glosses-per-scene K`: K mnemo rows per scene, each a different gloss of
the same hyperword, in the same split; deterministic whatever the workers; unique ids."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from mnemophrase.cli import main

ARGS = ["build", "--langs", "ru,en,th,ta", "-n", "1500", "--shard-scenes", "500", "--quiet"]


def _build(out: Path, *extra: str) -> Path:
    result = CliRunner().invoke(main, [*ARGS, *extra, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "data").rglob("*")) if p.is_file()}


def _stage(root: Path, stage: str) -> pl.DataFrame:
    return pl.concat([pl.read_parquet(p).with_columns(pl.lit(p.name.split("-")[0]).alias("split"))
                      for p in sorted((root / "data" / stage).glob("*.parquet"))])


@pytest.fixture(scope="module")
def three(tmp_path_factory) -> Path:
    return _build(tmp_path_factory.mktemp("k3") / "one", "--glosses-per-scene", "3",
                  "--workers", "1")


def test_the_same_bytes_with_any_number_of_workers(three, tmp_path):
    two = _build(tmp_path / "two", "--glosses-per-scene", "3", "--workers", "2")
    assert _digests(three) == _digests(two)


def test_each_scene_has_k_different_glosses_in_one_split_with_unique_ids(three):
    mnemo, bridge = _stage(three, "mnemo"), _stage(three, "bridge")
    assert mnemo.height == 3 * bridge.height
    assert mnemo["id"].n_unique() == mnemo.height
    per = mnemo.group_by("hyperword").agg(pl.len(), pl.col("gloss").n_unique().alias("glosses"),
                                          pl.col("split").n_unique().alias("splits"),
                                          pl.col("sentence").n_unique().alias("sentences"))
    assert per.height == bridge.height
    assert per["len"].to_list() == [3] * per.height
    assert per["glosses"].to_list() == [3] * per.height
    assert per["splits"].to_list() == [1] * per.height
    # the scene is the same: one sentence, as in its bridge row
    assert per["sentences"].to_list() == [1] * per.height
    splits = dict(zip(bridge["hyperword"], bridge["split"]))
    assert all(splits[h] == s for h, s in zip(mnemo["hyperword"], mnemo["split"]))


def test_stats_count_k_mnemo_rows_and_the_check_passes(three):
    stats = json.loads((three / "stats.json").read_text(encoding="utf-8"))
    assert stats["options"]["glosses_per_scene"] == 3
    for split, rows in stats["rows"]["bridge"].items():
        assert stats["rows"]["mnemo"][split] == 3 * rows
    assert "glosses per scene: 3" in (three / "README.md").read_text(encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(three)])
    assert result.exit_code == 0, result.output


def test_the_check_finds_a_scene_whose_glosses_repeat(three, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(three, copy)
    stats = json.loads((copy / "stats.json").read_text(encoding="utf-8"))
    stats["options"]["glosses_per_scene"] = 2  # the rows say 3
    (copy / "stats.json").write_text(json.dumps(stats), encoding="utf-8")
    from mnemophrase.corpusgen.check.content import check_build
    from mnemophrase.corpusgen.contract import Build
    from mnemophrase.corpusgen.lexicon import load_lexicon

    report = check_build(Build.open(copy), load_lexicon())
    assert any("has 3 rows, not 2" in p for p in report.problems), report.problems[:3]


def test_one_gloss_per_scene_is_the_default_build(tmp_path):
    default = _build(tmp_path / "default", "-n", "300")
    one = _build(tmp_path / "one", "-n", "300", "--glosses-per-scene", "1")
    assert _digests(default) == _digests(one)


@pytest.mark.parametrize("value", ["0", "17", "x"])
def test_a_bad_count_is_one_line(tmp_path, value):
    result = CliRunner().invoke(main, [*ARGS, "--glosses-per-scene", value,
                                       "--out", str(tmp_path / "x")])
    assert result.exit_code != 0
    assert "--glosses-per-scene" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x").exists()
