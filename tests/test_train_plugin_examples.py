"""The three example scripts run with --tiny, and refuse bad input in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["train_fixtures"]  # published_dataset, dataset_tokenizer

EXAMPLES = Path(__file__).parents[1] / "examples"
SCRIPTS = ("hf_trainer.py", "trl_sft.py", "plain_loop.py")
# each example also shows an option: a row format, or a way to keep the core
EXTRA = {
    "trl_sft.py": ("--format", "text"),
    "plain_loop.py": ("--replay", "0.25", "--keep-core", "1", "--core-dropout", "0.5"),
}
# one thread each: three tiny runs at once on a shared 2-core machine
ENV = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def example_runs(published_dataset, tmp_path_factory):
    """All three examples at once: the runs are independent, and mostly import time."""
    procs = {}
    for script in SCRIPTS:
        out = tmp_path_factory.mktemp(script.removesuffix(".py")) / "out"
        cmd = [
            sys.executable,
            str(EXAMPLES / script),
            "--tiny",
            "--data",
            str(published_dataset),
            "--out",
            str(out),
            "--rows",
            "24",
            *EXTRA.get(script, ()),
        ]
        procs[script] = (
            out,
            subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV
            ),
        )
    results = {}
    for script, (out, proc) in procs.items():
        stdout, stderr = proc.communicate(timeout=540)  # ~75 s alone; a busy machine is slower
        results[script] = (out, proc.returncode, stdout, stderr)
    return results


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs_tiny_and_writes_every_stage_adapter(script, example_runs):
    out, code, stdout, stderr = example_runs[script]
    assert code == 0, stderr[-3000:]
    assert "stages mnemo, bridge, language" in stdout
    if script == "plain_loop.py":  # and decodes a test hyperword with the training prompt
        assert " -> '" in stdout and "(reference '" in stdout
    for stage in ("mnemo", "bridge", "language"):
        assert (out / "adapters" / stage / "adapter_config.json").is_file()
        assert (out / "adapters" / stage / "adapter_model.safetensors").is_file()


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_example_marks_its_plugin_lines(script):
    marked = [line for line in (EXAMPLES / script).read_text().splitlines() if "# mnemo:" in line]
    assert 4 <= len(marked) <= 8  # "a few lines", and each of them visible


def _run(script, *args):
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=ENV,
        check=False,
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--tiny", "--out", "x"], "required: --data"),
        (["--tiny", "--data", "/nonexistent/mnemo", "--out", "x"], "no such folder"),
        (["--tiny", "--data", ".", "--out", "x", "--rows", "0"], "--rows must be at least 1"),
        (["--tiny", "--data", ".", "--out", "x", "--regime", "backwards"], "invalid choice"),
        (["--tiny", "--data", ".", "--out", "x", "--format", "poem"], "invalid choice"),
        (["--tiny", "--data", ".", "--out", "x", "--lr", "-1"], "--lr must be positive"),
    ],
)
def test_bad_arguments_get_one_line(args, message):
    proc = _run("hf_trainer.py", *args)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_option_out_of_range_gets_one_line(published_dataset, tmp_path):
    proc = _run(
        "plain_loop.py",
        "--tiny",
        "--data",
        str(published_dataset),
        "--out",
        str(tmp_path / "o"),
        "--rows",
        "8",
        "--replay",
        "1.5",
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("plain_loop.py: error:")]
    assert len(lines) == 1 and "replay must be in [0, 1)" in lines[0], proc.stderr


def test_a_folder_that_is_no_dataset_gets_one_line(tmp_path):
    proc = _run("plain_loop.py", "--tiny", "--data", str(tmp_path), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("plain_loop.py: error:")]
    assert len(lines) == 1 and "not a published mnemo dataset" in lines[0], proc.stderr
