"""The sharded build: the same bytes for any number of workers, hyperwords unique across
shards however the key space is cut, the Hub layout, streaming loads, recorded checksums."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pytest

from mnemophrase.corpusgen.build.engine_local import LocalEngine
from mnemophrase.corpusgen.build.options import BuildOptions
from mnemophrase.corpusgen.build.shard_tasks import BuildContext, install, shard_keys
from mnemophrase.corpusgen.build.shards import ShardPlan
from mnemophrase.corpusgen.build.uniqueness import bucket_repeats
from mnemophrase.corpusgen.grammar.draw import DrawOptions, SceneDrawer, hyperword_keys
from mnemophrase.corpusgen.grammar.scenes import SceneTables
from mnemophrase.corpusgen.lexicon import load_lexicon
from tests.conftest import run

STAGES = ("mnemo", "bridge", "language")
# the three languages every test here was written for, whatever other plug-ins exist
BUILD = ("build", "--langs", "ru,en,th")


def tree_digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def sharded(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sharded") / "b"
    result = run(*BUILD, "--n", 3000, "--shard-scenes", 1000, "--seed", 3, "--out", out,
                 "--quiet", "--workers", 1)
    assert result.exit_code == 0, result.stderr
    return out


def test_every_worker_count_writes_the_same_bytes(sharded, tmp_path):
    digests = {}
    for workers in (2, 4):
        out = tmp_path / f"w{workers}"
        result = run(*BUILD, "--n", 3000, "--shard-scenes", 1000, "--seed", 3, "--out", out,
                     "--quiet", "--workers", workers)
        assert result.exit_code == 0, result.stderr
        digests[workers] = tree_digest(out)
    one = tree_digest(sharded)
    assert digests[2] == one and digests[4] == one
    other = tmp_path / "seed4"
    assert run(*BUILD, "--n", 3000, "--shard-scenes", 1000, "--seed", 4, "--out", other,
               "--quiet", "--workers", 1).exit_code == 0
    assert tree_digest(other)["data/mnemo/train-00000-of-00003.parquet"] != \
        one["data/mnemo/train-00000-of-00003.parquet"]


def test_workers_started_before_the_build_are_as_many_as_its_shards_use(sharded, tmp_path):
    """The CLI starts the workers before it loads anything (`prepare`), one process fewer
    than the workers, since the build's own process works too; a build handed that engine
    starts no more of them and writes the same bytes."""
    one_shard = LocalEngine(4)
    one_shard.prepare(1)
    assert one_shard.pool is None and not multiprocessing.active_children()
    engine = LocalEngine(4)
    try:
        engine.prepare(3)
        assert len(multiprocessing.active_children()) == 2
        from mnemophrase.corpusgen.build.run import build

        options = BuildOptions(("ru", "en", "th"), 3000, seed=3, workers=4, shard_scenes=1000)
        build(load_lexicon(langs=list(options.langs)), options, tmp_path / "b", progress=False,
              engine=engine)
    finally:
        engine.close()
    assert not multiprocessing.active_children()
    assert tree_digest(tmp_path / "b") == tree_digest(sharded)


def test_hub_layout_and_ids_numbered_across_shards(sharded):
    for stage in STAGES:
        names = sorted(p.name for p in (sharded / "data" / stage).iterdir())
        assert [n for n in names if n.startswith("train-")] == [
            f"train-{i:05d}-of-00003.parquet" for i in range(3)]
    frames = [pl.read_parquet(sharded / "data" / "mnemo" / f"train-{i:05d}-of-00003.parquet")
              for i in range(3)]
    # shard i owns scenes [1000 i, 1000 (i + 1)): ids increase across the shards
    firsts = [int(f["id"][0].split("-")[1]) for f in frames]
    assert firsts == sorted(firsts) and firsts[0] == 0 and 900 < firsts[1] <= 1000
    every = pl.concat([pl.read_parquet(p) for p in (sharded / "data" / "mnemo").iterdir()])
    assert every.height == 3000 and every["hyperword"].n_unique() == 3000
    assert sorted(int(i.split("-")[1]) for i in every["id"]) == list(range(3000))


def test_streaming_load_equals_the_normal_load(sharded, tmp_path):
    from datasets import load_dataset, load_from_disk

    for stage in ("mnemo", "language"):
        normal = load_dataset(str(sharded), stage, cache_dir=str(tmp_path / f"c-{stage}"))
        streamed = load_dataset(str(sharded), stage, streaming=True)
        for split in normal:
            assert list(streamed[split]) == normal[split].to_list(), (stage, split)
        local = load_from_disk(str(sharded / "arrow" / stage))
        assert local["validation"].to_list() == normal["validation"].to_list()


def test_stats_record_every_file_and_split(sharded):
    stats = json.loads((sharded / "stats.json").read_text())
    on_disk = {p.relative_to(sharded).as_posix(): p for p in sharded.rglob("*")
               if p.is_file() and p.name != "stats.json"}
    assert set(stats["files"]) == set(on_disk)
    for rel, entry in stats["files"].items():
        data = on_disk[rel].read_bytes()
        assert entry == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}, rel
    for stage in STAGES:
        for split, rows in stats["rows"][stage].items():
            files = sorted((sharded / "data" / stage).glob(f"{split}-*.parquet"))
            assert sum(pl.read_parquet(f).height for f in files) == rows


def test_the_key_of_a_drawn_scene_is_the_key_of_its_hyperword():
    langs = ("ru", "en", "th")
    tables = SceneTables(load_lexicon(langs=list(langs)), list(langs))
    drawer = SceneDrawer(tables, DrawOptions(langs, 2, 6, 0.7, 11))
    scenes = drawer.draw_scenes((5, 2), 4000)
    keep = np.arange(0, 4000, 7)
    chunk = drawer.realise(scenes, keep)
    assert (hyperword_keys(chunk.hyperword, 11) == scenes.key[keep]).all()


def _global_repeats(plan: ShardPlan) -> list[set[int]]:
    keys = [np.concatenate([k for k, _ in shard_keys(s)]) for s in range(plan.count)]
    positions = [np.concatenate([p for _, p in shard_keys(s)]) for s in range(plan.count)]
    seen, out = set(), []
    for k, p in zip(keys, positions):
        order = np.argsort(p)
        mine = set()
        for key, pos in zip(k[order].tolist(), p[order].tolist()):
            if key in seen:
                mine.add(pos)
            seen.add(key)
        out.append(mine)
    return out


@pytest.mark.parametrize("buckets", [1, 3, 8])
def test_repeats_found_per_key_range_are_the_repeats_in_draw_order(mini_lexicon, buckets):
    """A small lexicon repeats hyperwords often; cutting the key space into any number of
    ranges finds exactly the repeats a single pass over the draw order finds."""
    langs = ("ru",)
    tables = SceneTables(load_lexicon(mini_lexicon, list(langs)), list(langs))
    options = BuildOptions(langs, 400, 2, 2, 0.0, seed=1)
    plan = ShardPlan(400, (150, 150, 100), buckets)
    install(BuildContext(SceneDrawer(tables, options.draw()), pa.array(tables.concepts),
                         options, plan))
    slices = [shard_keys(s) for s in range(plan.count)]
    found = [set() for _ in range(plan.count)]
    for b in range(buckets):
        repeats, distinct = bucket_repeats([slices[s][b] for s in range(plan.count)])
        assert (np.diff(distinct.astype(np.float64)) > 0).all()
        for s, positions in enumerate(repeats):
            found[s] |= set(positions.tolist())
    expected = _global_repeats(plan)
    assert found == expected and sum(map(len, expected)) > 50


def test_a_build_near_capacity_tops_up_shards_to_exactly_n(mini_lexicon, tmp_path):
    outs = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        result = run("build", "--lexicons", mini_lexicon, "--langs", "ru", "--min-parts", 2,
                     "--max-parts", 2, "--mix", 0, "--n", 400, "--shard-scenes", 150,
                     "--out", out, "--quiet", "--workers", workers)
        assert result.exit_code == 0, result.stderr
        outs.append(out)
    mnemo = pl.concat([pl.read_parquet(p) for p in (outs[0] / "data" / "mnemo").iterdir()])
    assert mnemo.height == 400 and mnemo["hyperword"].n_unique() == 400
    assert tree_digest(outs[0]) == tree_digest(outs[1])


def test_options_that_cannot_make_n_say_so_in_one_line(mini_lexicon, tmp_path):
    result = run("build", "--lexicons", mini_lexicon, "--langs", "ru", "--min-parts", 2,
                 "--max-parts", 2, "--mix", 0, "--n", 570, "--out", tmp_path / "out",
                 "--quiet", "--workers", 1)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "unique hyperwords with these options, fewer than --n 570" \
        in lines[0], result.stderr
    assert list(tmp_path.iterdir()) == [tmp_path / "lex"]
