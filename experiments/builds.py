"""The two corpusgen builds of a run, made with the `corpusgen build` command a user runs.

The training build reads a copy of the lexicon without the held-out concepts; the outside
build reads the full copy. Both run side by side and are reused while their options, their
lexicon files, the generator's code and the versions of the language libraries it calls are
unchanged: a build made by an older generator is made again, not reused (`content_digest`
then tells the units whether the rows changed).
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
    from mnemophrase.corpusgen.lang import language_versions

    generator = generator_digest()
    running = []
    for out, langs, scenes, seed, lexicons, more in jobs:
        want = {"langs": langs, "n": scenes, "seed": seed, "lexicons": _tree_hash(lexicons),
                "generator": generator, "libraries": language_versions(langs)}
        if more:
            want["options"] = more
        marker = build_marker(out)
        if marker.is_file() and json.loads(marker.read_text(encoding="utf-8")) == want:
            continue
        # where earlier versions kept it: inside, corpusgen would refuse to overwrite the build
        (out / "experiment_build.json").unlink(missing_ok=True)
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


def build_marker(build: Path) -> Path:
    """What a build was made from, beside it (corpusgen owns the build folder)."""
    return build.with_name(build.name + ".made-from.json")


def generator_digest() -> str:
    """A digest of the generator's code (corpusgen and the command line that drives it):
    a build is remade when it changes."""
    import mnemophrase.cli
    import mnemophrase.corpusgen

    roots = [Path(package.__file__).parent for package in (mnemophrase.corpusgen,
                                                            mnemophrase.cli)]
    return _digest(sorted(p for root in roots for p in root.rglob("*") if p.is_file()
                          and "__pycache__" not in p.parts and p.suffix != ".pyc"),
                   roots[0].parent)


def content_digest(build: Path) -> str:
    """A digest of the rows a build holds (the bytes of its Arrow data files, which the
    experiment reads), so a unit is retrained when the rows it would read change."""
    from mnemophrase.corpusgen.contract import ARROW_DIR

    files = sorted((build / ARROW_DIR).rglob("*.arrow"))
    if not files:
        raise DataProblem(f"{build}: no Arrow data files; remove the folder to build it again")
    return _digest(files, build)


def _tree_hash(folder: Path) -> str:
    """A digest of the files directly in `folder` (a lexicon)."""
    return _digest(sorted(p for p in folder.iterdir() if p.is_file()), folder)


def _digest(files: list[Path], root: Path) -> str:
    """One digest of `files`: each one's path under `root` and the sha256 of its bytes."""
    from mnemophrase.corpusgen.output.records import file_sha256

    h = hashlib.sha256()
    for path in files:
        h.update(path.relative_to(root).as_posix().encode() + b"\0"
                 + file_sha256(path, lambda n: None).encode())
    return h.hexdigest()[:16]
