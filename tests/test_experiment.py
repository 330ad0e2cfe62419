"""`python -m experiments --quick`: runs end to end, pairs its arms, and reports truthfully."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from experiments.stats import estimate, part, verdict

ROOT = Path(__file__).parents[1]
ENV = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "MPLBACKEND": "Agg"}
ARMS = ("formats", "combined", "mixed", "reverse", "extension")
LANGUAGE_ARMS = ARMS[:4]


def run(*args, timeout=400):
    return subprocess.run([sys.executable, "-m", "experiments", *args], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("experiment") / "out"
    proc = run("--quick", "--out", str(out), "--arms", ",".join(ARMS))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, json.loads((out / "results.json").read_text(encoding="utf-8")), proc


def units(out: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in (out / "units").glob("*.json")}


def test_writes_report_plots_and_run_record(quick):
    out, res, _ = quick
    for name in ("results.md", "results.json", "pareto.png", "loss_curves.png", "log.txt"):
        assert (out / name).is_file(), name
    for png in ("pareto.png", "loss_curves.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert res["command"].startswith("python -m experiments --quick")
    assert res["seeds"] == [0, 1] and res["wall_seconds"] > 0
    assert {"torch", "transformers", "peft"} <= set(res["versions"])
    md = (out / "results.md").read_text(encoding="utf-8")
    for arm in ARMS:
        assert f"| {arm}" in md
    assert "pareto.png" in md and "loss_curves.png" in md


def test_arms_share_rows_steps_and_a_frozen_core(quick):
    out, res, _ = quick
    u = units(out)
    steps = set()
    for arm in LANGUAGE_ARMS:
        for seed in res["seeds"]:
            unit = u[f"arm-{arm}-chat-s{seed}"]
            root = {"reverse": f"root-language-chat-s{seed}", "mixed": None}.get(
                arm, f"root-core-chat-s{seed}")
            total = len(unit["curve"]) + (len(u[root]["curve"]) if root else 0)
            steps.add(total)
            assert all(math.isfinite(c["loss"]) for c in unit["curve"]), arm
            if root:  # the saved first stage is loaded once and never trained again
                assert unit["first_stage_change"] == 0.0
    assert len(steps) == 1  # the same optimizer steps in every arm
    # every stage-2 arm measures the language weights between 0 and 1 and the KL to the core
    measures = u["arm-combined-chat-s0"]["points"][-1]["measures"]
    assert {"core+language", "language", "core+0.25language", "core+0.5language",
            "core+0.75language"} <= set(measures)
    assert all(k >= 0 for k in measures["core+language"]["gloss_seen"]["kl"])
    assert "recall" in measures["core+language"] and "recall" not in measures["core+0.5language"]


def test_recall_tells_words_spelled_in_the_hyperword_from_words_to_translate(quick):
    out, _, _ = quick
    recalls = [m["recall"] for u in units(out).values() for p in u["points"]
               for m in p["measures"].values() if "recall" in m]
    assert recalls
    for rec in recalls:
        rows = list(zip(rec["hits"], rec["words"], rec["hits_spelled"], rec["words_spelled"]))
        assert all(0 <= hs <= ws <= w and hs <= h and h - hs <= w - ws
                   for h, w, hs, ws in rows)
        # the quick build mixes languages: some words are spelled, some must be translated
        assert any(ws > 0 for _, _, _, ws in rows) and any(ws < w for _, w, _, ws in rows)
    md = (out / "results.md").read_text(encoding="utf-8")
    assert "recall of words to translate" in md


def test_sets_are_labelled_by_what_the_trained_rows_contain(quick):
    _, res, proc = quick
    sets = res["data"]["sets"]
    # a tiny random model may answer nothing: then it has no base_samples set, and says so
    assert set(sets) - {"base_samples"} == {"gloss_seen", "gloss_unseen", "sentences",
                                            "language_data"}
    assert "base_samples" in sets or "answered none" in proc.stdout
    seen, unseen = sets["gloss_seen"], sets["gloss_unseen"]
    assert seen["rows"] > 0 and seen["words_in_trained_rows"] == seen["words"]
    assert unseen["rows"] > 0 and unseen["words_in_trained_rows"] < unseen["words"]
    assert sets["language_data"]["source"].endswith("ordinary_text.txt")
    assert "words occur in the trained rows" in proc.stdout


def test_every_hope_has_an_interval_and_a_verdict(quick):
    _, res, _ = quick
    assert len(res["hopes"]) >= 6
    for h in res["hopes"]:
        est = h["estimate"]
        assert est["lo"] <= est["mean"] <= est["hi"] or math.isclose(est["lo"], est["hi"])
        assert h["verdict"] in ("met", "not met", "undecided")
    points = {(p["arm"], p["weight"]) for p in res["pareto"]}
    assert {("formats", 0.0), ("formats", 0.5), ("formats", 1.0), ("mixed", 1.0),
            ("reference", None)} <= points


def test_knowledge_after_the_language_stage_has_its_hopes(quick):
    """Each arm on the core states whether the words to translate survive (recall beyond
    its control, forced choice) and whether the core off returns them to the base model's."""
    from experiments.results import Results

    out, res, _ = quick
    for arm in ("formats", "combined"):
        texts = [h["hope"] for h in res["hopes"] if h["hope"].startswith(f"{arm}: ")]
        assert sum("words to translate" in t for t in texts) == 4, texts
    r = Results.load(out)
    both, core = ("combined", "core+language"), ("combined", "core")
    d = r.corrected_diff(both, core, "recall_translated")
    a, b = (r.corrected(*x, "recall_translated") for x in (both, core))
    assert math.isclose(d["mean"], a["mean"] - b["mean"], abs_tol=1e-9)


def test_each_arm_states_its_cost_on_every_ordinary_set_against_the_reference(quick):
    """Sentences, ordinary text and the base model's own answers each get a hope per arm.
    The tiny model may answer nothing (no base_samples set), so the answers are given the
    ordinary text's measures here: the hope must then appear, with the same estimate."""
    from experiments.report import hopes
    from experiments.results import Results

    out, _, _ = quick
    r = Results.load(out)
    for unit in r.units.values():
        for point in unit["points"]:
            for measures in point["measures"].values():
                if "language_data" in measures:
                    measures["base_samples"] = measures["language_data"]
    stated = {h["hope"]: h["estimate"] for h in hopes(r)}
    for s in ("sentences", "language_data", "base_samples"):
        assert f"combined: {s} loss/char of core+language <= 1.05 x the language adapter " \
            "without a core" in stated, s
    cost = "combined: {} loss/char of core+language <= 1.05 x the language adapter without a core"
    assert stated[cost.format("base_samples")] == stated[cost.format("language_data")]


def test_extension_arm_trains_new_tokens_beside_the_plain_core(quick):
    out, res, _ = quick
    u = units(out)
    for seed in res["seeds"]:
        ext, plain = u[f"arm-extension-chat-s{seed}"], u[f"root-core-chat-s{seed}"]
        assert len(ext["curve"]) == len(plain["curve"])  # same steps, same rows
        assert [c["stage"] for c in ext["curve"]] == ["mnemo"] * len(plain["curve"])
        checks = ext["extension"]
        assert checks["added"] > 0 and checks["new_tokens_in_trained_rows"] > 0
        assert checks["ordinary_rows"] > 0 and checks["ordinary_ids_unchanged"] is True
        assert "core" in ext["points"][-1]["measures"]
    before = u["base-chat-extended"]["points"][0]["measures"]["none"]
    assert {"gloss_seen", "sentences", "recall"} <= set(before)
    hopes = [h["hope"] for h in res["hopes"] if h["hope"].startswith("extension:")]
    assert any("sentences loss/char of the extended model before training" in h for h in hopes)
    # base_samples is left out when the tiny model answers nothing
    assert len(res["extension"]) >= 5 and all("extended" in line for line in res["extension"])
    md = (out / "results.md").read_text(encoding="utf-8")
    assert "| extension: core alone on the extended model |" in md
    assert "| after mnemo: core alone (chat) |" in md  # the plain core it is paired with


def test_rerun_reuses_finished_units(quick):
    out, res, _ = quick
    again = run("--quick", "--out", str(out), "--arms", ",".join(ARMS))
    assert again.returncode == 0, again.stderr[-2000:]
    assert "reusing" in again.stdout
    res2 = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert res2["hopes"] == res["hopes"]


def test_a_shorter_language_stage_reuses_the_base_and_the_cores(quick, tmp_path):
    out, _, _ = quick
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    before = units(copy)
    proc = run("--quick", "--out", str(copy), "--arms", "formats", "--language-rows", "16")
    assert proc.returncode == 0, proc.stderr[-2000:]
    after = units(copy)
    for kept in ("base-chat", "root-core-chat-s0", "root-core-chat-s1"):
        assert after[kept] == before[kept], kept  # reused, not trained again
    steps = before["arm-formats-chat-s0"]["training"]["trained_steps"]
    assert after["arm-formats-chat-s0"]["training"]["trained_steps"] == steps // 2
    assert after["root-language-chat-s0"]["training"]["trained_steps"] == steps // 2


def test_fewer_seeds_and_other_bootstrap_draws_reuse_every_unit(quick, tmp_path):
    out, _, _ = quick
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    before = units(copy)
    proc = run("--quick", "--out", str(copy), "--arms", "formats", "--seeds", "1",
               "--bootstrap", "50")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert units(copy) == before  # nothing trained again
    assert "reusing" in proc.stdout
    res = json.loads((copy / "results.json").read_text(encoding="utf-8"))
    assert res["seeds"] == [1]


def test_a_build_by_an_older_generator_is_made_again(quick, tmp_path):
    out, _, _ = quick
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    before = units(copy)
    marker = copy / "data" / "build-train.made-from.json"
    stale = {**json.loads(marker.read_text(encoding="utf-8")), "generator": "an older one"}
    marker.write_text(json.dumps(stale), encoding="utf-8")
    legacy = copy / "data" / "build-train" / "experiment_build.json"  # where it used to be
    legacy.write_text(json.dumps(stale), encoding="utf-8")
    proc = run("--quick", "--out", str(copy), "--arms", "formats")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "build-train --overwrite" in proc.stdout  # made again
    assert json.loads(marker.read_text(encoding="utf-8"))["generator"] != "an older one"
    assert not legacy.exists()
    assert units(copy) == before  # the same generator made the same rows: units reused


def test_other_rows_under_the_same_options_retrain_the_units(quick, tmp_path):
    from datasets import load_from_disk

    from mnemophrase.corpusgen.output.records import record_made_files

    out, _, _ = quick
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    before = units(copy)
    stage = copy / "data" / "build-train" / "arrow" / "mnemo"

    def louder(row):  # another phrasing of every answer; the words and counts unchanged
        return {"messages": [{**m, "content": m["content"] + " !"} if m["role"] == "assistant"
                             else m for m in row["messages"]]}

    rows = load_from_disk(str(stage)).map(louder)
    rows.save_to_disk(str(tmp_path / "mnemo"))
    shutil.rmtree(stage)
    shutil.move(tmp_path / "mnemo", stage)
    train = stage.parents[1]  # a build whose generator phrases its answers otherwise
    record_made_files(train, [p.relative_to(train).as_posix() for p in stage.rglob("*")
                              if p.is_file()], replaced="arrow/mnemo")
    proc = run("--quick", "--out", str(copy), "--arms", "formats", "--seeds", "0")
    assert proc.returncode == 0, proc.stderr[-2000:]
    after = json.loads((copy / "units" / "root-core-chat-s0.json").read_text(encoding="utf-8"))
    old = before["root-core-chat-s0"]
    assert after["settings_key"] != old["settings_key"]  # trained again on the new rows
    assert after["training"]["train_tokens"] > old["training"]["train_tokens"]


def test_refuses_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    proc = run("--quick", "--out", str(tmp_path), timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "did not make" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("args, words", [
    (["--arms", "nope"], "--arms"),
    (["--rows", "30", "--batch-size", "8"], "multiple of"),
    (["--language-rows", "12", "--batch-size", "8"], "multiple of"),
    (["--language-data", "/no/such/file.txt"], "no such file"),
    (["--concepts", "5"], "--concepts"),
    (["--curve", "12", "--rows", "32", "--batch-size", "8"], "--curve"),
    (["--curve", "32", "--rows", "32", "--batch-size", "8"], "--curve"),
])
def test_bad_options_fail_in_one_line(tmp_path, args, words):
    proc = run("--quick", "--out", str(tmp_path / "o"), *args, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and words in proc.stderr
    assert not (tmp_path / "o").exists()


def test_interval_is_paired_and_nested():
    rng = np.random.default_rng(0)
    nll = rng.gamma(2.0, 1.0, size=(3, 200))
    tokens = np.full((3, 200), 4.0)
    a = part(nll, tokens)
    est = estimate([a], draws=400)
    assert est["lo"] < est["mean"] < est["hi"]
    assert math.isclose(est["mean"], float(np.mean(nll.sum(1) / tokens.sum(1))))
    # the same rows on both sides of a paired difference cancel exactly
    same = estimate([a, a], lambda x, y: x - y, draws=400)
    assert same["lo"] == same["hi"] == same["mean"] == 0.0
    assert verdict({"mean": 0.4, "lo": 0.3, "hi": 0.45}, high=0.5) == "met"
    assert verdict({"mean": 0.6, "lo": 0.55, "hi": 0.7}, high=0.5) == "not met"
    assert verdict({"mean": 0.5, "lo": 0.45, "hi": 0.55}, high=0.5) == "undecided"
