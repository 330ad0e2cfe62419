"""`corpusgen build`: the published layout, its guarantees, and every bad input."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mnemophrase.corpusgen.contract import SCHEMA, Build
from mnemophrase.corpusgen.grammar.draw import DrawOptions, SceneDrawer
from mnemophrase.corpusgen.grammar.scenes import SceneTables
from mnemophrase.corpusgen.lexicon import load_lexicon
from tests.conftest import run

STAGES = ("mnemo", "bridge", "language")
# the three languages every test here was written for, whatever other plug-ins exist
BUILD = ("build", "--langs", "ru,en,th")
SPLITS = ("train", "validation", "test")
CORPUSGEN = [sys.executable, "-m", "mnemophrase.cli"]


def tree_digest(root: Path, pattern: str = "**/*") -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.glob(pattern)) if p.is_file()
    }


def frame(root: Path, stage: str, split: str | None = None) -> pl.DataFrame:
    files = sorted((root / "data" / stage).glob(f"{split or '*'}-*.parquet"))
    return pl.concat([pl.read_parquet(f) for f in files])


# --- the dataset ------------------------------------------------------------------------

@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_loads_with_load_dataset(small_build, stage, tmp_path):
    from datasets import load_dataset, load_from_disk

    ds = load_dataset(str(small_build), stage, cache_dir=str(tmp_path / "cache"))
    assert set(ds) == set(SPLITS)
    assert ds["train"].features.arrow_schema.remove_metadata().equals(SCHEMA)
    assert sum(len(ds[s]) for s in SPLITS) == 3000
    assert set(ds["train"]["stage"]) == {stage}
    local = load_from_disk(str(small_build / "arrow" / stage))
    assert local["test"].to_list() == ds["test"].to_list()


def test_every_column_is_filled(small_build):
    mnemo, bridge, language = (frame(small_build, s) for s in STAGES)
    for df in (mnemo, bridge):
        for col in ("id", "lang", "hyperword", "gloss", "sentence", "prompt", "completion", "text"):
            assert df[col].str.len_chars().min() > 0, col
        assert df["constituents"].list.len().min() >= 3
        assert (df["text"] == df["prompt"] + df["completion"]).all()
        assert (df["messages"].list.len() == 2).all()
    assert (mnemo["completion"] == mnemo["gloss"]).all()
    assert (bridge["completion"] == bridge["sentence"]).all()
    assert (language["hyperword"] == "").all() and (language["constituents"].list.len() == 0).all()
    assert language["text"].str.len_chars().min() > 0
    assert (language["text"] == language["completion"]).all()
    ids = pl.concat([mnemo["id"], bridge["id"], language["id"]])
    assert ids.n_unique() == ids.len()


def test_card_lists_one_config_per_stage_in_order(small_build):
    card = (small_build / "README.md").read_text(encoding="utf-8")
    header = card.split("---")[1]
    positions = [header.index(f"config_name: {s}") for s in STAGES]
    assert positions == sorted(positions)
    assert "| mnemo | train |" in card
    stats = json.loads((small_build / "stats.json").read_text())
    assert stats["stage_order"] == list(STAGES)
    assert stats["scenes"] == 3000 and 0.4 < stats["cross_lingual_share"] < 0.6
    assert set(stats["parts_histogram"]) == {"3", "4"}


def test_splits_are_disjoint_by_hyperword_across_stages(small_build):
    where: dict[str, str] = {}
    for stage in ("mnemo", "bridge"):
        for split in SPLITS:
            for hw in frame(small_build, stage, split)["hyperword"]:
                assert where.setdefault(hw, split) == split, hw
    assert len(where) == 3000  # unique across the build
    counts = {s: frame(small_build, "mnemo", s).height for s in SPLITS}
    assert counts["train"] > 2800 and counts["validation"] > 10 and counts["test"] > 10


def test_glosses_are_mostly_distinct_and_name_their_languages(small_build):
    mnemo = frame(small_build, "mnemo")
    assert mnemo["gloss"].n_unique() / mnemo.height >= 0.8
    assert set(mnemo["lang"].unique()) == {"ru", "en", "th"}
    shares = mnemo["lang"].value_counts(normalize=True)["proportion"]
    assert shares.min() > 0.28


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31),
    parts=st.tuples(st.integers(2, 6), st.integers(2, 6)).map(sorted),
    mix=st.floats(0, 1),
    langs=st.sampled_from([("ru",), ("en", "th"), ("ru", "en", "th")]),
)
def test_offsets_cover_the_hyperword_exactly(seed, parts, mix, langs):
    tables = _tables(langs)
    drawer = SceneDrawer(tables, DrawOptions(langs, parts[0], parts[1], mix, seed))
    chunk = drawer.draw(0, rows=300)
    surfaces = chunk.flat_surfaces.to_pylist()
    for i, hw in enumerate(chunk.hyperword.to_pylist()):
        lo, hi = chunk.offsets[i], chunk.offsets[i + 1]
        assert parts[0] <= hi - lo <= parts[1]
        pos = 0
        for j in range(lo, hi):
            start, end = chunk.flat_start[j], chunk.flat_end[j]
            assert start == pos and hw[start:end] == surfaces[j]
            pos = end
        assert pos == len(hw)
    if len(langs) > 1 and mix == 1:
        assert chunk.cross.all()
    if mix == 0:
        assert not chunk.cross.any()


_TABLES: dict = {}


def _tables(langs) -> SceneTables:
    if langs not in _TABLES:
        _TABLES[langs] = SceneTables(load_lexicon(langs=list(langs)), list(langs))
    return _TABLES[langs]


def test_check_passes_on_a_build(small_build):
    result = run("check", small_build)
    assert result.exit_code == 0, result.stderr
    assert "mnemo: 3,000/3,000 rows name every constituent (100.00%)" in result.stdout


def test_check_names_the_row_whose_gloss_drops_a_constituent(small_build, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(small_build, broken)
    path = broken / "data" / "mnemo" / "train-00000-of-00001.parquet"
    df = pl.read_parquet(path)
    row = df.filter(pl.col("lang") == "en").row(0, named=True)
    word = row["constituents"][0]["surface"] if row["constituents"][0]["lang"] == "en" else None
    lexicon = load_lexicon(langs=["en"]).words["en"]
    word = lexicon.filter(pl.col("concept") == row["constituents"][0]["concept"])["word"].item()
    damaged = " ".join(t for t in row["gloss"].split() if not t.strip(",.").startswith(word[:4]))
    df = df.with_columns(pl.when(pl.col("id") == row["id"]).then(pl.lit(damaged))
                         .otherwise(pl.col("gloss")).alias("gloss"))
    import pyarrow.parquet as pq

    pq.write_table(df.to_arrow().cast(SCHEMA), path)
    # the file is recorded as it is now, so the check gets past integrity to the content
    stats_path = broken / "stats.json"
    stats = json.loads(stats_path.read_text())
    stats["files"][path.relative_to(broken).as_posix()] = {
        "bytes": path.stat().st_size, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    stats_path.write_text(json.dumps(stats))
    result = run("check", broken)
    assert result.exit_code == 1
    assert f"mnemo row {row['id']}: gloss {damaged!r} does not name {word!r}" in result.stderr


def test_a_tiny_build_leaves_out_empty_splits(tmp_path):
    from datasets import load_dataset

    out = tmp_path / "tiny"
    assert run(*BUILD, "--n", 5, "--out", out, "--quiet").exit_code == 0
    stats = json.loads((out / "stats.json").read_text())
    assert "train" in stats["splits"] and len(stats["splits"]) < 3
    ds = load_dataset(str(out), "mnemo", cache_dir=str(tmp_path / "cache"))
    assert sorted(ds) == sorted(stats["splits"]) and sum(map(len, ds.values())) == 5


def test_stats_and_sample_commands(small_build):
    result = run("stats", small_build)
    assert result.exit_code == 0 and "| mnemo | train |" in result.stdout
    result = run("sample", small_build, "--lang", "ru", "-n", 2)
    assert result.exit_code == 0
    first = result.stdout.splitlines()[0]
    assert first.startswith("[ru] ") and first.count("|") >= 2


def test_a_part_adds_to_a_finished_builds_stats_through_the_contract(small_build, tmp_path,
                                                                      monkeypatch):
    """`Build.update`: the new entry recorded, every other entry as it was, the build still
    whole for `check`; a write that fails leaves the old record and no temporary file."""
    import shutil

    copy = tmp_path / "updated"
    shutil.copytree(small_build, copy)
    before = json.loads((copy / "stats.json").read_text(encoding="utf-8"))
    updated = Build.open(copy).update(tokenizer={"vocab_size": 123})
    assert updated.stats == Build.open(copy).stats == {**before, "tokenizer": {"vocab_size": 123}}
    assert run("check", copy, "--quick").exit_code == 0
    recorded = (copy / "stats.json").read_bytes()

    def full_disk(self, data, *args, **kwargs):  # the disk fills halfway through the write
        with open(self, "w", encoding="utf-8") as f:
            f.write(data[:10])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(OSError):
        updated.update(tokenizer=None)
    monkeypatch.undo()
    assert (copy / "stats.json").read_bytes() == recorded
    assert sorted(p.name for p in copy.iterdir() if p.name.startswith(".")) == []


def test_parquet_files_use_the_codec_asked_and_hold_the_same_rows(tmp_path):
    import pyarrow.parquet as pq

    codecs = {}
    for codec in ("snappy", "zstd"):
        out = tmp_path / codec
        args = [] if codec == "snappy" else ["--parquet-compression", codec]  # the default
        assert run(*BUILD, "--n", 300, "--out", out, "--quiet", *args).exit_code == 0
        stats = json.loads((out / "stats.json").read_text())
        assert stats["options"]["parquet_compression"] == codec
        path = out / "data" / "mnemo" / "train-00000-of-00001.parquet"
        meta = pq.ParquetFile(path).metadata
        codecs[codec] = {meta.row_group(0).column(i).compression
                         for i in range(meta.num_columns)}
        assert run("check", out).exit_code == 0
    assert codecs == {"snappy": {"SNAPPY"}, "zstd": {"ZSTD"}}
    for stage in STAGES:
        assert frame(tmp_path / "snappy", stage).equals(frame(tmp_path / "zstd", stage))


# --- bad input --------------------------------------------------------------------------

@pytest.mark.parametrize("args,message", [
    (["--langs", "ru,xx"], "unknown language xx; available: en, ru"),
    (["--n", "0"], "--n: must be at least 1"),
    (["--min-parts", "5", "--max-parts", "3"], "--min-parts 5 is above --max-parts 3"),
    (["--min-parts", "1"], "--min-parts: 1 is outside 2..6"),
    (["--max-parts", "7"], "--max-parts: 7 is outside 2..6"),
    (["--mix", "1.5"], "--mix: 1.5 is outside 0..1"),
    (["--parquet-compression", "gzip"], "--parquet-compression"),
])
def test_bad_options_say_what_in_one_line(tmp_path, args, message):
    out = tmp_path / "out"
    result = run("build", "--out", out, "--quiet", *args)
    assert result.exit_code != 0
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_n_above_capacity_is_refused_before_writing(mini_lexicon, tmp_path):
    out = tmp_path / "out"
    result = run("build", "--lexicons", mini_lexicon, "--langs", "ru", "--min-parts", 2,
                 "--max-parts", 2, "--mix", 0, "--n", 10**9, "--out", out, "--quiet")
    assert result.exit_code == 1
    assert "is more than these options can make unique: at most" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["lex"]


def test_malformed_lexicon_stops_the_build(mini_lexicon, tmp_path):
    path = mini_lexicon / "ru.tsv"
    path.write_text(path.read_text(encoding="utf-8").replace("\tвода\t", "\tvoda\t"),
                    encoding="utf-8")
    out = tmp_path / "out"
    result = run("build", "--lexicons", mini_lexicon, "--n", 10, "--out", out, "--quiet")
    assert result.exit_code == 1
    assert "ru.tsv:" in result.stderr
    assert "'voda' is not one lowercase Cyrillic word" in result.stderr
    assert not out.exists()


def test_output_that_is_a_file(tmp_path):
    target = tmp_path / "file"
    target.write_text("keep me")
    result = run(*BUILD, "--n", 10, "--out", target, "--quiet")
    assert result.exit_code == 1 and f"output {target} is a file" in result.stderr
    assert target.read_text() == "keep me"


def test_existing_output_needs_overwrite(small_build, tmp_path):
    out = tmp_path / "out"
    assert run(*BUILD, "--n", 50, "--out", out, "--quiet").exit_code == 0
    before = tree_digest(out)
    result = run(*BUILD, "--n", 60, "--out", out, "--quiet")
    assert result.exit_code == 1 and "pass --overwrite" in result.stderr
    assert tree_digest(out) == before
    assert run(*BUILD, "--n", 60, "--out", out, "--quiet", "--overwrite").exit_code == 0
    assert json.loads((out / "stats.json").read_text())["scenes"] == 60
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_folder_that_cannot_be_written(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    result = run(*BUILD, "--n", 10, "--out", blocker / "sub" / "out", "--quiet")
    assert result.exit_code == 1 and "cannot create" in result.stderr
    assert "Traceback" not in result.stderr


def test_full_disk_leaves_nothing_behind(tmp_path, monkeypatch):
    import errno

    import pyarrow.parquet as pq

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", full)
    out = tmp_path / "out"
    # one worker: the build runs in this process, where the patch is
    result = run(*BUILD, "--n", 100, "--out", out, "--quiet", "--workers", 1)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"corpusgen: cannot write {out}: No space left on device"
    assert list(tmp_path.iterdir()) == []


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def test_ctrl_c_while_workers_start_is_one_line_from_the_parent(tmp_path):
    """A terminal's Ctrl-C signals the whole process group: a worker still importing must
    not print a traceback of its own beside the build's one line."""
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [*CORPUSGEN, "build", "--n", "300000", "--out", str(out), "--workers", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline and not _children(proc.pid) and proc.poll() is None:
        time.sleep(0.005)
    time.sleep(0.3)  # the workers are importing what they run
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert err.strip().splitlines() == ["corpusgen: interrupted; nothing was written"], err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_build_leaves_nothing(tmp_path, sig):
    out = tmp_path / "big"
    proc = subprocess.Popen(
        [*CORPUSGEN, "build", "--n", "3000000", "--out", str(out), "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline and not any(p.name.startswith(".big.tmp")
                                             for p in tmp_path.iterdir()):
        time.sleep(0.1)
    time.sleep(1.0)  # let it write some rows
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "Traceback" not in err
    assert "interrupted; nothing was written" in err
    assert list(tmp_path.iterdir()) == []
