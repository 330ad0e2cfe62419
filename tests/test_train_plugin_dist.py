"""Two CPU processes under torchrun (gloo): each stage's rows split across ranks exactly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

pytest_plugins = ["train_fixtures"]  # published_dataset, dataset_tokenizer

WORKER = Path(__file__).parent / "train_dist_worker.py"


@pytest.mark.parametrize("mode", ["trainer", "loop"])
def test_two_processes_split_every_stage_without_loss_or_repeat(mode, published_dataset, tmp_path):
    proc = _torchrun(mode, published_dataset, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0, r1 = (json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1))
    assert r0["world"] == r1["world"] == 2
    assert r0["transitions"] == r1["transitions"] == [[0, "mnemo"], [5, "bridge"], [10, "language"]]
    assert r0["finished"] == r1["finished"] == ["mnemo", "bridge", "language"]

    rows0 = [r for mb in r0["rows"] for r in mb]
    rows1 = [r for mb in r1["rows"] for r in mb]
    assert rows0 and rows1 and not set(rows0) & set(rows1)  # no row read twice
    planned = sorted(r for rows in r0["planned"].values() for r in rows)
    assert sorted(rows0 + rows1) == planned  # and none lost
    # step by step both ranks read the same stage (a stage never straddles a step)
    stage_of = {r: s for s, rows in r0["planned"].items() for r in rows}
    assert [stage_of[mb[0]] for mb in r0["rows"]] == [stage_of[mb[0]] for mb in r1["rows"]]

    w0, w1 = torch.load(tmp_path / "rank0.pt"), torch.load(tmp_path / "rank1.pt")
    for name in w0:  # DDP kept the replicas identical
        assert torch.equal(w0[name], w1[name]), name
    if mode == "trainer":  # resumed mid-stage under DDP: same rows, same weights
        for report in (r0, r1):
            assert report["resumed_transitions"] == [[7, "bridge"], [10, "language"]]
            assert report["resumed_rows"] == report["rows"][7:]
        for rank in (0, 1):
            resumed = torch.load(tmp_path / f"rank{rank}-resumed.pt")
            for name, value in w0.items():
                torch.testing.assert_close(resumed[name], value, rtol=0, atol=1e-6, msg=name)
    # the core written at the end of its stage is the core at the end of the run
    snapshot = load_file(tmp_path / "adapters" / "mnemo" / "adapter_model.safetensors")
    assert len(snapshot) == len([k for k in w0 if ".mnemo." in k]) > 0
    for key, value in snapshot.items():  # saved files drop the adapter name from the key
        assert torch.equal(w0[key.replace(".weight", ".mnemo.weight")], value), key


def test_two_processes_with_every_protection_keep_replicas_equal_and_the_core_frozen(
    published_dataset, tmp_path
):
    """Replay, keep_core and core dropout under DDP: no rank drifts, the core stays as its
    stage left it."""
    proc = _torchrun("protected", published_dataset, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0, r1 = (json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1))
    assert r0["transitions"] == r1["transitions"] == [[0, "mnemo"], [5, "bridge"], [10, "language"]]
    w0, w1 = torch.load(tmp_path / "rank0.pt"), torch.load(tmp_path / "rank1.pt")
    for name in w0:
        assert torch.equal(w0[name], w1[name]), name
    snapshot = load_file(tmp_path / "adapters" / "mnemo" / "adapter_model.safetensors")
    assert len(snapshot) > 0
    for key, value in snapshot.items():
        assert torch.equal(w0[key.replace(".weight", ".mnemo.weight")], value), key


def _torchrun(mode, published_dataset, tmp_path):
    torchrun = Path(sys.executable).parent / "torchrun"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.run(
        [str(torchrun), "--nproc_per_node", "2", "--master_port", str(_free_port()),
         str(WORKER), mode, str(published_dataset), str(tmp_path)],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
