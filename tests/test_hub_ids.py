"""Hub ids where from_pretrained and load_dataset take them: a published dataset's id for
`StagedLoRA.from_dataset`, a model's id for `tokenizer extend --base`, and adapters that name
their base by its Hub id. Offline: the repos are laid into a huggingface_hub cache
(tests/hub_cache.py) and resolved from it as a downloaded repo is."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys

import pytest

from tests.hub_cache import cache_as_hub
from tests.tokenizer_fixtures import smollm2_shaped_tokenizer, trained_build
from tests.train_fixtures import TINY_LORA, tiny_model

pytest_plugins = ["train_fixtures"]  # dataset_tokenizer


@pytest.fixture
def offline_hub(tmp_path, monkeypatch):
    """huggingface_hub's cache, offline, in `tmp_path / "hub"`."""
    from huggingface_hub import constants

    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return cache


def test_from_dataset_takes_a_hub_dataset_id_and_adapters_name_a_hub_base(
        small_build, dataset_tokenizer, offline_hub, tmp_path):
    from transformers import AutoModelForCausalLM

    from mnemophrase.train_plugin import StagedLoRA

    # what `corpusgen push` sends: the card, stats.json and data/, no arrow/
    cache_as_hub(small_build, offline_hub, "alice/mnemo", "dataset", skip=("arrow",))
    tiny_model(dataset_tokenizer).save_pretrained(tmp_path / "tiny")
    cache_as_hub(tmp_path / "tiny", offline_hub, "alice/tiny-llama")
    base = AutoModelForCausalLM.from_pretrained("alice/tiny-llama", cache_dir=offline_hub,
                                                local_files_only=True)

    from mnemophrase.train_plugin.models import dataset_texts

    assert dataset_texts("alice/mnemo") == dataset_texts(small_build)
    staged = StagedLoRA.from_dataset("alice/mnemo", dataset_tokenizer, rows=4, lora=TINY_LORA)
    assert [s.name for s in staged.stages] == ["mnemo", "bridge", "language"]
    assert len(staged.train_dataset) == 12
    model = staged.wrap(base)
    staged.save_adapters(model, tmp_path / "adapters")
    for stage in ("mnemo", "bridge", "language"):
        config = json.loads((tmp_path / "adapters" / stage / "adapter_config.json").read_text())
        assert config["base_model_name_or_path"] == "alice/tiny-llama"


def test_an_unknown_hub_dataset_id_is_one_line(offline_hub, dataset_tokenizer):
    from mnemophrase.train_plugin import StagedLoRA, StagePluginError

    with pytest.raises(StagePluginError, match="alice/nothing: no such local folder") as info:
        StagedLoRA.from_dataset("alice/nothing", dataset_tokenizer)
    assert "\n" not in str(info.value)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    return trained_build(tmp_path_factory)


def test_extend_takes_a_hub_model_id_and_writes_a_folder_its_readme_loads(trained, tmp_path):
    from mnemophrase.basemodel import tiny_llama

    tok = smollm2_shaped_tokenizer(trained)
    tiny_llama(len(tok), hidden=32, layers=1, heads=2, kv_heads=1,
               intermediate=64).save_pretrained(tmp_path / "base")
    tok.save_pretrained(tmp_path / "base")
    cache_as_hub(tmp_path / "base", tmp_path / "hub", "alice/tiny-base")
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HUB_OFFLINE": "1"}
    out = tmp_path / "extended"
    done = subprocess.run([sys.executable, "-m", "mnemophrase.cli", "tokenizer", "extend",
                           str(trained), "--base", "alice/tiny-base", "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert "saved to" in done.stdout

    # the weights are as readable as the user's umask says, like every other file
    mask = os.umask(0)
    os.umask(mask)
    for path in out.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask, path.name

    # the folder's README.md gives the lines that load it: they run as written
    code = re.search(r"```python\n(.*?)```", (out / "README.md").read_text(), re.DOTALL)
    scope: dict = {}
    exec(code.group(1), scope)  # noqa: S102 - the README this test's command wrote
    assert scope["ids"] and set(scope["ids"]) <= set(scope["extension"].new_ids)
    assert scope["lora"] == {"trainable_token_indices": scope["extension"].new_ids}


def test_extend_with_an_unknown_hub_model_id_is_one_line(trained, tmp_path):
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "mnemophrase.cli", "tokenizer", "extend",
                           str(trained), "--base", "alice/no-such-model", "--out",
                           str(tmp_path / "o")], capture_output=True, text=True, env=env,
                          timeout=600, check=False)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "alice/no-such-model" in done.stderr, done.stderr
    assert not (tmp_path / "o").exists()
