"""`corpusgen tokenizer train` on a finished build keeps the build's promises: it trains only
on a build that is as its build wrote it, records only the files it made, claims
DIR/tokenizer/ like the build claims its folder (a temporary folder swapped in; what a
killed run left is swept by the next; a user's files are never replaced) and stops on
SIGTERM with one line and nothing left behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tokenizer_fixtures import corpusgen, small_build

TRAIN = ("--vocab-size", 5000, "--background", 0, "--quiet")


@pytest.fixture(scope="session")
def build(tmp_path_factory) -> Path:
    return small_build(tmp_path_factory)


@pytest.fixture
def copy(build, tmp_path) -> Path:
    out = tmp_path / "build"
    shutil.copytree(build, out)
    return out


def one_line_failure(result) -> str:
    assert result.exit_code == 1, result.output + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def recorded(folder: Path) -> dict:
    return json.loads((folder / "stats.json").read_text(encoding="utf-8"))["files"]


def test_a_users_file_beside_the_build_is_never_recorded_nor_deleted(copy):
    (copy / "NOTES.txt").write_text("mine", encoding="utf-8")
    result = corpusgen("tokenizer", "train", copy, *TRAIN)
    assert result.exit_code == 0, result.stderr
    files = recorded(copy)
    assert "NOTES.txt" not in files
    assert {"tokenizer/tokenizer.model", "tokenizer/settings.json"} <= set(files)
    assert corpusgen("check", copy, "--quick").exit_code == 0
    # the build's --overwrite still sees a file it did not make, and refuses
    line = one_line_failure(corpusgen("build", "--n", 20, "--out", copy, "--overwrite",
                                      "--quiet"))
    assert "NOTES.txt" in line
    assert (copy / "NOTES.txt").read_text(encoding="utf-8") == "mine"


def test_a_users_file_among_the_shards_stops_the_training(copy):
    note = copy / "data" / "mnemo" / "NOTES.txt"
    note.write_text("mine", encoding="utf-8")
    stats = (copy / "stats.json").read_bytes()
    line = one_line_failure(corpusgen("tokenizer", "train", copy, *TRAIN))
    assert str(note) in line and "not made by this build" in line
    assert (copy / "stats.json").read_bytes() == stats
    assert not (copy / "tokenizer").exists()
    line = one_line_failure(corpusgen("build", "--n", 20, "--out", copy, "--overwrite",
                                      "--quiet"))
    assert note.read_text(encoding="utf-8") == "mine"


def test_a_damaged_shard_is_refused_not_re_recorded(copy):
    shard = min((copy / "data" / "bridge").glob("train-*.parquet"))
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x01
    shard.write_bytes(bytes(data))
    line = one_line_failure(corpusgen("tokenizer", "train", copy, *TRAIN))
    assert str(shard) in line and "sha256" in line and "check --quick" in line
    assert not (copy / "tokenizer").exists()
    assert corpusgen("check", copy, "--quick").exit_code == 1  # still seen as damaged


def test_a_second_training_never_deletes_a_users_file_in_the_tokenizer_folder(copy):
    assert corpusgen("tokenizer", "train", copy, *TRAIN).exit_code == 0
    model = (copy / "tokenizer" / "tokenizer.model").read_bytes()
    note = copy / "tokenizer" / "my-notes.txt"
    note.write_text("mine", encoding="utf-8")
    line = one_line_failure(corpusgen("tokenizer", "train", copy, "--vocab-size", 4000,
                                      "--background", 0, "--quiet"))
    assert "my-notes.txt" in line and "did not make" in line
    assert note.read_text(encoding="utf-8") == "mine"
    assert (copy / "tokenizer" / "tokenizer.model").read_bytes() == model
    assert not [p.name for p in copy.iterdir() if p.name.startswith(".tokenizer")]


def test_what_a_killed_training_left_is_swept_by_the_next_and_never_recorded(copy):
    dead = copy / ".tokenizer.tmp-999999"  # a pid no process has
    dead.mkdir()
    (dead / "tokenizer.tsv").write_text("half\t1\n", encoding="utf-8")
    (copy / ".tokenizer.lock").write_text("999999")  # its lock file; the lock died with it
    # the build's --overwrite knows these for corpusgen's own
    from mnemophrase.corpusgen.output.folder import refusal

    assert refusal(copy) is None
    result = corpusgen("tokenizer", "train", copy, *TRAIN)
    assert result.exit_code == 0, result.stderr
    assert not dead.exists() and not (copy / ".tokenizer.lock").exists()
    assert not [rel for rel in recorded(copy) if rel.startswith(".")]
    assert corpusgen("check", copy, "--quick").exit_code == 0
    assert refusal(copy) is None


def test_retraining_replaces_only_the_tokenizer_entries(copy):
    assert corpusgen("tokenizer", "train", copy, *TRAIN).exit_code == 0
    (copy / "tokenizer" / "eval.json").write_text("{}", encoding="utf-8")  # as eval writes it
    before = recorded(copy)
    assert corpusgen("tokenizer", "train", copy, "--vocab-size", 4000, "--background", 0,
                     "--quiet").exit_code == 0
    after = recorded(copy)
    kept = {rel for rel in before if not rel.startswith("tokenizer/") and rel != "README.md"}
    assert {rel: after[rel] for rel in kept} == {rel: before[rel] for rel in kept}
    assert after["tokenizer/tokenizer.model"] != before["tokenizer/tokenizer.model"]
    assert sorted(p.name for p in (copy / "tokenizer").iterdir()) == sorted(
        rel.split("/")[1] for rel in after if rel.startswith("tokenizer/"))
    assert corpusgen("check", copy, "--quick").exit_code == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_training_is_one_line_and_leaves_nothing(copy, signum):
    command = [sys.executable, "-m", "mnemophrase.cli", "tokenizer", "train", str(copy),
               "--vocab-size", "5000", "--background", "0", "--quiet"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    tmp = copy / f".tokenizer.tmp-{proc.pid}"
    deadline = time.monotonic() + 120
    # wait for SentencePiece to start: its input file appears in the temporary folder
    while not list(tmp.glob("*.tsv")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signum)
    started = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - started < 5, "the signal waited for SentencePiece"
    assert proc.returncode == 1, err
    expected = (f"corpusgen: interrupted; no tokenizer was trained and {copy / 'tokenizer'} "
                "is as it was")
    assert err.strip().splitlines() == [expected], err
    assert not [p.name for p in copy.iterdir() if p.name.startswith(".tokenizer")]
    assert not (copy / "tokenizer").exists()


def test_a_full_disk_while_tokenizer_json_is_written_is_one_line(copy, monkeypatch):
    import builtins

    from mnemophrase.tokenizer import export

    def full_disk(path, *args, **kwargs):  # what the kernel answers when the disk is full
        if str(path).endswith("tokenizer.json"):
            return builtins.open("/dev/full", *args, **kwargs)
        return builtins.open(path, *args, **kwargs)

    monkeypatch.setattr(export, "open", full_disk, raising=False)
    stats = (copy / "stats.json").read_bytes()
    line = one_line_failure(corpusgen("tokenizer", "train", copy, *TRAIN))
    assert line.startswith("corpusgen: ") and "tokenizer.json: No space left on device" in line
    assert not [p.name for p in copy.iterdir() if p.name.startswith(".tokenizer")]
    assert not (copy / "tokenizer").exists()
    assert (copy / "stats.json").read_bytes() == stats


def test_a_model_cut_short_by_a_full_disk_is_one_line(copy, monkeypatch):
    """SentencePiece does not check its writes: on a full disk it returns with a model
    file cut short, and says nothing."""
    import shutil as shell

    from mnemophrase.tokenizer import spm_trainer

    real = spm_trainer.train_in_child

    def full_disk(options):
        real(options)
        model = Path(f"{options['model_prefix']}.model")
        model.write_bytes(model.read_bytes()[:1000])

    usage = shell.disk_usage("/")
    monkeypatch.setattr(spm_trainer, "train_in_child", full_disk)
    monkeypatch.setattr(shell, "disk_usage", lambda path: usage._replace(free=4096))
    line = one_line_failure(corpusgen("tokenizer", "train", copy, *TRAIN))
    assert "SentencePiece's model cannot be read back" in line
    assert "the disk is full (4,096 bytes free)" in line
    assert not [p.name for p in copy.iterdir() if p.name.startswith(".tokenizer")]


def test_kill_9_leaves_a_temporary_folder_the_next_training_sweeps(copy):
    command = [sys.executable, "-m", "mnemophrase.cli", "tokenizer", "train", str(copy),
               "--vocab-size", "5000", "--background", "0", "--quiet"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tmp = copy / f".tokenizer.tmp-{proc.pid}"
    deadline = time.monotonic() + 120
    while not list(tmp.glob("*.tsv")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    assert tmp.is_dir()  # nothing runs after SIGKILL
    result = corpusgen("tokenizer", "train", copy, *TRAIN)
    assert result.exit_code == 0, result.stderr
    assert not [p.name for p in copy.iterdir() if p.name.startswith(".tokenizer")]
    assert not [rel for rel in recorded(copy) if ".tokenizer" in rel]
    assert corpusgen("check", copy, "--quick").exit_code == 0


def test_a_build_overwrite_never_swaps_a_folder_a_tokenizer_is_training_in(copy):
    from mnemophrase.corpusgen.output.folder import OutputError
    from mnemophrase.tokenizer.claim import claim_tokenizer_folder

    with claim_tokenizer_folder(copy / "tokenizer"):  # as a running training holds it
        line = one_line_failure(corpusgen("build", "--n", 20, "--out", copy, "--overwrite",
                                          "--quiet"))
        assert f"is being written by a tokenizer training (pid {os.getpid()})" in line
        with (pytest.raises(OutputError, match="another tokenizer training"),
              claim_tokenizer_folder(copy / "tokenizer")):
            pass
    assert (copy / "stats.json").is_file()
    assert not [p.name for p in copy.iterdir() if p.name.startswith(".tokenizer")]
