"""`make setup`'s PyTorch install, read from make's dry run (`make -n`): nothing is installed.

What a user off this machine gets depends on the pip lines alone: a CPU machine must ask
PyTorch's CPU index (PyPI's own torch for Linux is the CUDA build), a GPU machine PyPI's
default, and a TORCH that carries its own `--index-url` must reach pip as separate words.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
CUDA_INDEX = "https://download.pytorch.org/whl/cu128"
MAKE = shutil.which("make")

pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def _torch_installs(tmp_path: Path, gpu: bool, *variables: str) -> list[list[str]]:
    """The argument lists of `make setup`'s pip installs that name torch, with `nvidia-smi`
    answering (gpu) or absent from PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if gpu:
        fake = bin_dir / "nvidia-smi"
        fake.write_text("#!/bin/sh\necho 'GPU 0: a test GPU'\n")
        fake.chmod(0o755)
    # a PATH with make's shell tools and no real nvidia-smi (none is on this machine either)
    path = f"{bin_dir}:/usr/bin:/bin"
    done = subprocess.run([MAKE, "-n", "-B", "-C", str(ROOT), "setup", *variables],
                          capture_output=True, text=True, env={"PATH": path}, check=True)
    installs = []
    for line in done.stdout.splitlines():
        words = shlex.split(line)
        if len(words) > 2 and words[0].endswith("/pip") and words[1] == "install" \
                and any(w.startswith("torch") for w in words):
            installs.append(words[2:])
    assert installs, done.stdout
    return installs


def _index_urls(args: list[str]) -> list[str]:
    return [args[i + 1] for i, word in enumerate(args) if word == "--index-url"]


def test_cpu_machine_takes_pytorchs_cpu_index(tmp_path):
    first = _torch_installs(tmp_path, gpu=False)[0]
    assert "torch==2.13.0" in first
    assert _index_urls(first) == [CPU_INDEX]


def test_gpu_machine_takes_pypis_default_build(tmp_path):
    for args in _torch_installs(tmp_path, gpu=True):
        assert "torch==2.13.0" in args
        assert _index_urls(args) == []


def test_an_index_url_inside_torch_reaches_pip_as_separate_words(tmp_path):
    first = _torch_installs(tmp_path, False, f"TORCH=torch==2.13.0 --index-url {CUDA_INDEX}")[0]
    assert "torch==2.13.0" in first
    # the user's index alone: the CPU default must not be added beside it
    assert _index_urls(first) == [CUDA_INDEX]


def test_torch_index_names_the_index(tmp_path):
    first = _torch_installs(tmp_path, False, f"TORCH_INDEX={CUDA_INDEX}")[0]
    assert _index_urls(first) == [CUDA_INDEX]


def test_an_empty_torch_index_means_pypi(tmp_path):
    for args in _torch_installs(tmp_path, False, "TORCH_INDEX="):
        assert _index_urls(args) == []
