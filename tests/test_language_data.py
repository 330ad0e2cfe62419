"""`corpusgen build --language-data SOURCE`: the language stage from ordinary text in local
files (nothing downloads in tests)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from mnemophrase.cli import main
from mnemophrase.corpusgen.build.language_data import language_of
from mnemophrase.corpusgen.contract import SCHEMA

N = 400
LINES = {
    "ru": "Утром над рекой стоял туман, и рыбаки ждали, когда он рассеется, номер {i}.",
    "en": "The library opens at nine, and the reading room fills up by noon, day {i}.",
    "th": "ตลาดเช้าวันนี้มีผลไม้สดมากมาย และแม่ค้าก็ยิ้มแย้ม {i}",
    "ta": "காலையில் நூலகம் திறக்கிறது, மாணவர்கள் படிக்க வருகிறார்கள் {i}",
    # not a build language: left out
    "el": "Το πρωί η βιβλιοθήκη ανοίγει νωρίς, αριθμός {i}.",
}


def _texts(count: int) -> list[str]:
    codes = list(LINES)
    return [LINES[codes[i % len(codes)]].format(i=i) for i in range(count)]


def _build(out: Path, source: Path | str, *extra: str):
    return CliRunner().invoke(main, ["build", "--langs", "ru,en,th,ta", "-n", str(N), "--quiet",
                                     "--language-data", str(source), *extra, "--out", str(out)])


def _language(root: Path) -> pl.DataFrame:
    return pl.concat([pl.read_parquet(p).with_columns(pl.lit(p.name.split("-")[0]).alias("split"))
                      for p in sorted((root / "data" / "language").glob("*.parquet"))])


@pytest.fixture(scope="module")
def txt_build(tmp_path_factory):
    folder = tmp_path_factory.mktemp("langdata")
    source = folder / "corpus.txt"
    source.write_text("\n".join(["", *_texts(2 * N)]) + "\n", encoding="utf-8")
    result = _build(folder / "build", source, "--workers", "1", "--shard-scenes", "150")
    assert result.exit_code == 0, result.output
    return folder, source, folder / "build"


def test_the_language_stage_is_the_sources_texts_in_the_builds_languages(txt_build):
    _, _, out = txt_build
    rows = _language(out)
    assert rows.height == N
    wanted = [t for t in _texts(2 * N) if not t.startswith("Το")][:N]
    assert sorted(rows["text"].to_list()) == sorted(wanted)
    assert pq.read_schema(next((out / "data" / "language").glob("*.parquet"))).equals(SCHEMA)
    # each row's lang is its text's, and the row names no task
    by_text = {LINES[c].format(i=0)[:12]: c for c in LINES}
    assert all(by_text[t[:12]] == lang for t, lang in zip(rows["text"], rows["lang"]))
    assert set(rows["hyperword"]) == {""} and set(rows["prompt"]) == {""}
    assert rows["completion"].to_list() == rows["text"].to_list()
    assert rows["id"].n_unique() == N
    # the split of each text follows its scene: 98/1/1 over many scenes, every split present
    counts = rows.group_by("split").len()
    assert dict(zip(counts["split"], counts["len"]))["train"] >= 0.9 * N


def test_stats_and_card_name_the_source_and_the_check_passes(txt_build):
    _, source, out = txt_build
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert stats["language_data"]["source"] == str(source)
    assert stats["language_data"]["license"] == "not stated (a local file)"
    rows = _language(out)
    for split, per in stats["rows_by_lang"]["language"].items():
        got = rows.filter(pl.col("split") == split).group_by("lang").len()
        assert per == dict(zip(got["lang"], got["len"]))
    card = (out / "README.md").read_text(encoding="utf-8")
    assert f"ordinary text from `{source}`" in card
    result = CliRunner().invoke(main, ["check", str(out)])
    assert result.exit_code == 0, result.output


def test_jsonl_and_parquet_give_the_same_rows_with_any_workers(txt_build, tmp_path):
    _, _, out = txt_build
    jsonl = tmp_path / "corpus.jsonl"
    jsonl.write_text("\n".join(json.dumps({"text": t, "url": "x"}, ensure_ascii=False)
                               for t in _texts(2 * N)), encoding="utf-8")
    parquet = tmp_path / "corpus.parquet"
    pq.write_table(pa.table({"text": _texts(2 * N)}), parquet, row_group_size=100)
    for source, workers in ((jsonl, "2"), (parquet, "1")):
        built = tmp_path / source.suffix[1:]
        result = _build(built, source, "--workers", workers, "--shard-scenes", "150")
        assert result.exit_code == 0, result.output
        for path in sorted((out / "data").rglob("*.parquet")):
            rel = path.relative_to(out)
            assert hashlib.sha256((built / rel).read_bytes()).digest() == \
                hashlib.sha256(path.read_bytes()).digest(), rel


@pytest.mark.parametrize("name, content, message", [
    ("missing.txt", None, "no such file"),
    ("few.txt", "\n".join(_texts(20)), "fewer than the 400"),
    ("bad.jsonl", '{"text": "ok"}\nnot json\n', "line 2 is not JSON"),
    ("notext.jsonl", '{"body": "Утро"}\n', "no string field 'text'"),
    ("other.parquet", b"", "not a readable Parquet file"),
])
def test_a_source_that_cannot_fill_the_stage_is_one_line(tmp_path, name, content, message):
    source = tmp_path / name
    if isinstance(content, str):
        source.write_text(content, encoding="utf-8")
    elif content is not None:
        source.write_bytes(content)
    out = tmp_path / "out"
    result = _build(out, source)
    assert result.exit_code != 0
    assert message in result.output, result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists() or not any(out.iterdir())


def test_a_parquet_file_without_a_text_column_is_one_line(tmp_path):
    source = tmp_path / "corpus.parquet"
    pq.write_table(pa.table({"body": _texts(10)}), source)
    result = _build(tmp_path / "out", source)
    assert result.exit_code != 0 and "no column 'text'" in result.output


@pytest.mark.parametrize("text, expected", [
    ("Туман над рекой.", "ru"), ("Fog over the river.", "en"), ("หมอกเหนือแม่น้ำ", "th"),
    ("நதியின் மேல் மூடுபனி", "ta"), ("Ομίχλη πάνω από το ποτάμι", None), ("1234 !!", None),
    ("Туман over the river", None),  # mixed scripts: no one language
    ("Fog over the river, named Нева", "en"),
])
def test_language_of_reads_the_script(text, expected):
    assert language_of(text, ("ru", "en", "th", "ta")) == expected


def test_a_hub_dataset_is_streamed_with_its_config_and_split(tmp_path, monkeypatch):
    """The Hub path without the network: `datasets.load_dataset` answers with a local
    iterable dataset; the build asks for a stream of the named config and split, and the
    card gives the licence the dataset states."""
    import datasets

    asked = {}
    local = datasets.Dataset.from_dict({"text": _texts(2 * N)})

    def load_dataset(path, name=None, split=None, streaming=False):
        asked.update(path=path, name=name, split=split, streaming=streaming)
        stream = local.to_iterable_dataset()
        stream.info.license = "cc-by-sa-4.0"  # as a Hub dataset's card states it
        return stream

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    out = tmp_path / "hub"
    result = _build(out, "someone/wiki-lines", "--language-config", "20231101.ru",
                    "--language-split", "validation", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert asked == {"path": "someone/wiki-lines", "name": "20231101.ru",
                     "split": "validation", "streaming": True}
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert stats["language_data"]["license"] == "cc-by-sa-4.0"
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "`someone/wiki-lines` (config 20231101.ru, split validation), licence: cc-by-sa-4.0" \
        in card
    assert _language(out).height == N
