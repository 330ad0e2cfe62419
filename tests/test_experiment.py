"""experiments/mnemo_experiment.py --quick: runs end to end and writes consistent results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[1] / "experiments" / "mnemo_experiment.py"
ENV = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "MPLBACKEND": "Agg"}
REGIMES = ("sequential", "mixed", "reverse")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("experiment") / "out"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--out", str(out)],
                          capture_output=True, text=True, env=ENV, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def test_quick_writes_every_output(quick_run):
    for name in ("results.md", "results.json", "loss_curves.png", "log.txt"):
        assert (quick_run / name).is_file(), name
    assert (quick_run / "loss_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for regime in REGIMES:
        assert (quick_run / "adapters" / regime / "order.txt").is_file()


def test_quick_results_are_consistent(quick_run):
    res = json.loads((quick_run / "results.json").read_text(encoding="utf-8"))
    # same data, same number of optimizer steps in every regime
    assert len(set(res["steps"].values())) == 1
    assert {p["regime"] for p in res["points"]} == set(REGIMES)
    for regime in REGIMES:
        after = sorted(p["after"] for p in res["points"] if p["regime"] == regime)
        assert after == [1, 2]
        assert len(res["curves"][regime]) == res["steps"][regime]
    for p in [res["base"], *res["points"]]:
        for key in ("gloss_test", "gloss_outside", "language"):
            assert p[key] > 0
        assert 0 <= p["recall"] <= p["recall_any_lang"] <= 1
    # every adapter off: the base model's logits, exactly
    diffs = [p["all_off_max_logit_diff"] for p in res["points"] if p["after"] == 2]
    assert len(diffs) == 3 and max(diffs) < 1e-4
    # the core-off measurement exists where a core sits under another adapter
    for regime in ("sequential", "reverse"):
        final = next(p for p in res["points"] if p["regime"] == regime and p["after"] == 2)
        assert set(final["core_off"]) >= {"gloss_test", "gloss_outside", "language"}
    assert res["command"].startswith("python experiments/mnemo_experiment.py --quick")
    assert res["wall_seconds"] > 0 and res["seeds"]["training"] == 0


def test_quick_table_has_every_regime(quick_run):
    md = (quick_run / "results.md").read_text(encoding="utf-8")
    assert "| base |" in md
    for regime in REGIMES:
        assert f"| {regime} after stage 1" in md and f"| {regime} after stage 2" in md
    assert "loss_curves.png" in md


def test_bad_rows_fail_in_one_line(tmp_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path),
                           "--mnemo-rows", "5", "--batch-size", "4"],
                          capture_output=True, text=True, env=ENV, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "multiple of" in proc.stderr.replace("multiples", "multiple")


def test_merge_rewrites_the_reports(quick_run, tmp_path):
    """--merge (what --parallel ends with) rebuilds the same table from results.json."""
    proc = subprocess.run([sys.executable, str(SCRIPT), "--merge", str(quick_run),
                           "--out", str(tmp_path)],
                          capture_output=True, text=True, env=ENV, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    merged = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    original = json.loads((quick_run / "results.json").read_text(encoding="utf-8"))
    assert merged["points"] == original["points"] and merged["base_spread_between_runs"] == 0
    assert (tmp_path / "loss_curves.png").is_file()
