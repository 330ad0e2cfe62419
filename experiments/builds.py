"""The two corpusgen builds of a run, made with the `corpusgen build` command a user runs.

The training build reads a copy of the lexicon without the held-out concepts; the outside
build reads the full copy. Both run side by side and are reused while their options and
lexicon files are unchanged.
"""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path


class DataProblem(Exception):
    """Data the experiment cannot use; the message is one line for the user."""


def corpusgen_command() -> list[str]:
    exe = Path(sys.executable).with_name("corpusgen")
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "mnemophrase.cli"]


def read_concepts(lexicon: Path) -> list[str]:
    with open(lexicon / "concepts.tsv", encoding="utf-8") as f:
        return [row["concept"] for row in csv.DictReader(f, delimiter="\t")]


def copy_lexicon(src: Path, dst: Path, keep: set[str]) -> None:
    """The lexicon at `src` with only the concepts in `keep`, written to `dst`."""
    dst.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.iterdir()):
        if path.suffix != ".tsv":
            continue
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        if lines and lines[0].startswith("concept\t"):
            lines = lines[:1] + [ln for ln in lines[1:] if ln.split("\t", 1)[0] in keep]
        (dst / path.name).write_text("".join(lines), encoding="utf-8")


def build_all(jobs: list[tuple[Path, list[str], int, int, Path, list[str]]], log) -> None:
    """`corpusgen build` for each (out, langs, scenes, seed, lexicons, more options), side by
    side, unless the same build is already in `out`."""
    running = []
    for out, langs, scenes, seed, lexicons, more in jobs:
        want = {"langs": langs, "n": scenes, "seed": seed, "lexicons": _tree_hash(lexicons)}
        if more:
            want["options"] = more
        marker = out / "experiment_build.json"
        if marker.is_file() and json.loads(marker.read_text(encoding="utf-8")) == want:
            continue
        cmd = [*corpusgen_command(), "build", "--langs", ",".join(langs), "--n", str(scenes),
               "--seed", str(seed), "--min-parts", "2", "--max-parts", "3", "--out", str(out),
               "--overwrite", "--quiet", "--lexicons", str(lexicons), *more]
        log("$ " + " ".join(cmd))
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
        running.append((proc, marker, want))
    for proc, marker, want in running:
        _, err = proc.communicate()
        if proc.returncode:
            last = (err.strip().splitlines() or ["(no message)"])[-1]
            raise DataProblem(f"corpusgen build failed: {last}")
        marker.write_text(json.dumps(want), encoding="utf-8")


def _tree_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.iterdir()):
        if p.is_file():
            h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()[:16]


