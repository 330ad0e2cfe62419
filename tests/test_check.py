"""`corpusgen check` catches damage: integrity first (sizes, checksums, row counts against
stats.json, one line per bad file), `--quick` stops there, a build made with other lexicons
is said once, and `check`/`sample` on a cut or foreign Parquet file answer in one line."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import copy_lexicon, run

LANGS = "ru,en,th"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("check") / "build"
    result = run("build", "--langs", LANGS, "--n", 150, "--out", out, "--quiet", "--seed", 5)
    assert result.exit_code == 0, result.stderr
    return out


@pytest.fixture
def copy(built, tmp_path) -> Path:
    dest = tmp_path / "copy"
    shutil.copytree(built, dest)
    return dest


def _first(root: Path, pattern: str) -> Path:
    return min(root.glob(pattern))


def _reseal(build: Path, path: Path) -> dict:
    """Record `path`'s new size and sha256 in stats.json, as if the build had written it."""
    stats = json.loads((build / "stats.json").read_text(encoding="utf-8"))
    data = path.read_bytes()
    stats["files"][path.relative_to(build).as_posix()] = {
        "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (build / "stats.json").write_text(json.dumps(stats), encoding="utf-8")
    return stats


def _lines(result) -> list[str]:
    assert "Traceback" not in result.output + result.stderr
    return result.stderr.strip().splitlines()


def test_an_intact_build_passes_both_passes(built):
    result = run("check", built)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip().endswith(f"rows checked in {built}")
    quick = run("check", built, "--quick")
    assert quick.exit_code == 0 and "as the build wrote them" in quick.stdout


def test_stats_json_records_every_file_and_split(built):
    stats = json.loads((built / "stats.json").read_text(encoding="utf-8"))
    on_disk = {p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file()}
    assert set(stats["files"]) == on_disk - {"stats.json"}
    for stage, splits in stats["rows"].items():
        for split, n in splits.items():
            files = sorted((built / "data" / stage).glob(f"{split}-*.parquet"))
            assert sum(pq.ParquetFile(f).metadata.num_rows for f in files) == n


@pytest.mark.parametrize("damage", ["cut-parquet", "cut-arrow", "flip-byte", "missing",
                                    "stray-shard"])
def test_damage_is_one_line_per_file_with_its_path(copy, damage):
    if damage == "cut-parquet":
        path = _first(copy, "data/mnemo/train-*.parquet")
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        expected = f"{path}: "
    elif damage == "cut-arrow":
        path = _first(copy, "arrow/bridge/train/*.arrow")
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        expected = f"{path}: "
    elif damage == "flip-byte":
        path = _first(copy, "data/language/train-*.parquet")
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
        expected = f"{path}: sha256 differs from stats.json"
    elif damage == "missing":
        path = _first(copy, "data/bridge/test-*.parquet")
        path.unlink()
        expected = f"{path}: missing"
    else:
        path = copy / "data" / "mnemo" / "train-00007-of-00009.parquet"
        shutil.copy(_first(copy, "data/mnemo/train-*.parquet"), path)
        expected = f"{path}: not made by this build"
    for args in ((), ("--quick",)):
        result = run("check", copy, *args)
        assert result.exit_code == 1
        lines = _lines(result)
        assert len(lines) == 2, lines  # the file, then the count
        assert lines[0].startswith(expected)
        assert lines[1] == "corpusgen: 1 damaged or unknown files; content not checked"


def test_a_split_cut_to_fewer_rows_is_caught(copy):
    """Rewritten with 100 rows and its checksum updated: only the row count can tell."""
    path = _first(copy, "data/mnemo/train-*.parquet")
    pq.write_table(pq.read_table(path).slice(0, 100), path)
    stats = _reseal(copy, path)
    lines = _lines(run("check", copy, "--quick"))
    recorded = stats["rows"]["mnemo"]["train"]
    assert lines[0] == f"{copy}/data/mnemo/train: 100 rows, stats.json records {recorded:,}"


def test_a_build_made_with_other_lexicons_is_said_once(tmp_path):
    lexicons = copy_lexicon(tmp_path / "lex", concepts=8)
    out = tmp_path / "other"
    made = run("build", "--lexicons", lexicons, "--langs", LANGS, "--n", 60, "--out", out,
               "--quiet")
    assert made.exit_code == 0, made.stderr
    path = lexicons / "en.tsv"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # a blank line
    result = run("check", out)  # the shipped lexicons: 1,117 concepts, not the build's 8 each
    assert result.exit_code == 1
    lines = _lines(result)
    assert len(lines) == 2, lines
    assert "was built with other lexicons (concepts.tsv, en.tsv, ru.tsv, th.tsv differ" in lines[0]
    assert lines[1].endswith("but not their names: built with other lexicons")
    edited = run("check", out, "--lexicons", lexicons)
    assert edited.exit_code == 1 and "(en.tsv differ from" in edited.stderr


@pytest.mark.parametrize("command", ["check", "sample"])
def test_a_foreign_parquet_file_in_place_of_a_shard_is_one_line(copy, command):
    import pyarrow as pa

    path = _first(copy, "data/mnemo/train-*.parquet")
    pq.write_table(pa.table({"x": [1, 2, 3]}), path)
    result = run(command, copy)
    assert result.exit_code == 1
    lines = _lines(result)
    assert str(path) in lines[0] or str(path.parent) in lines[0]
    assert len(lines) <= 2


def test_sample_on_a_cut_file_is_one_line_pointing_at_check(copy):
    path = _first(copy, "data/mnemo/train-*.parquet")
    path.write_bytes(path.read_bytes()[:1000])
    lines = _lines(run("sample", copy))
    assert len(lines) == 1 and "cannot be read" in lines[0]
    assert f"`corpusgen check {copy} --quick`" in lines[0]


def test_content_problems_still_found_after_integrity(copy):
    """A row edited and stats.json re-sealed: integrity passes, the content check does not."""
    import pyarrow as pa

    path = _first(copy, "data/mnemo/train-*.parquet")
    table = pq.read_table(path)
    gloss = table.column("gloss").to_pylist()
    gloss[0] = "nothing at all"
    table = table.set_column(table.schema.get_field_index("gloss"), "gloss",
                             pa.array(gloss, pa.string()))
    pq.write_table(table, path)
    _reseal(copy, path)
    assert run("check", copy, "--quick").exit_code == 0
    result = run("check", copy)
    assert result.exit_code == 1
    assert "gloss 'nothing at all' does not name" in result.stderr


@pytest.mark.parametrize("breakage", ["no-stats", "stats-not-json", "stats-a-list", "a-file"])
def test_not_a_build_is_one_line(tmp_path, breakage):
    target = tmp_path / "thing"
    if breakage == "a-file":
        target.write_text("hello")
    else:
        target.mkdir()
        if breakage == "stats-not-json":
            (target / "stats.json").write_text("{nope")
        elif breakage == "stats-a-list":
            (target / "stats.json").write_text("[1, 2]")
    for command in ("check", "stats", "sample"):
        result = run(command, target)
        assert result.exit_code == 1, (command, result.stderr)
        lines = _lines(result)
        assert len(lines) == 1 and lines[0].startswith(f"corpusgen: {target}"), lines


@pytest.mark.parametrize("quick", [False, True])
def test_a_folder_swapped_by_a_build_while_it_is_checked_is_said_so(copy, tmp_path,
                                                                    monkeypatch, quick):
    """`build --overwrite` exchanges the folder in one rename: a check running meanwhile
    read part of one build and part of the other, and must not report what it saw."""
    from mnemophrase.corpusgen.check import content, integrity

    other = tmp_path / "other"
    shutil.copytree(copy, other)

    def swap():  # what the build's publish does, mid-check
        old = tmp_path / ".old"
        copy.rename(old)
        other.rename(copy)
        shutil.rmtree(old)

    if quick:
        real = integrity.row_problems

        def rows_then_swap(build):
            found = real(build)
            swap()
            return found
        monkeypatch.setattr(integrity, "row_problems", rows_then_swap)
    else:
        real = content.check_build

        def check_then_swap(*args, **kwargs):
            report = real(*args, **kwargs)
            swap()
            return report
        monkeypatch.setattr(content, "check_build", check_then_swap)
    result = run("check", copy, *(["--quick"] if quick else []))
    assert result.exit_code == 1
    expected = (f"corpusgen: {copy} was replaced while it was checked (a build --overwrite?); "
                "check it again")
    assert result.stderr.strip().splitlines() == [expected]
    assert "ok:" not in result.stdout
