"""Shared fixtures: a small real build, a CLI runner, and mini lexicons to break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from mnemophrase.cli import main
from mnemophrase.corpusgen.lexicon import default_lexicon_dir


def run(*args: str):
    """Run `corpusgen ARGS` in-process; returns click's Result (stdout and stderr apart)."""
    return CliRunner().invoke(main, list(map(str, args)), catch_exceptions=False)


def assert_one_line_failure(result, *fragments: str) -> None:
    """A click Result of bad input: non-zero exit, one stderr line holding every fragment,
    no traceback."""
    assert result.exit_code != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture(scope="session")
def small_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("builds") / "small"
    result = run("build", "--langs", "ru,en,th", "--n", 3000, "--out", out, "--quiet",
                 "--seed", 7)
    assert result.exit_code == 0, result.output + result.stderr
    return out


def copy_lexicon(dest: Path, concepts: int | None = None) -> Path:
    """The shipped lexicons, or their first `concepts` concepts of each field, in `dest`."""
    src = default_lexicon_dir()
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("fields.tsv", "roles.tsv"):
        shutil.copy(src / name, dest / name)
    lines = (src / "concepts.tsv").read_text(encoding="utf-8").splitlines()
    keep = lines[1:]
    if concepts is not None:
        per_field: dict[str, int] = {}
        keep = []
        for line in lines[1:]:
            field = line.split("\t")[1]
            if per_field.get(field, 0) < concepts:
                per_field[field] = per_field.get(field, 0) + 1
                keep.append(line)
    ids = {line.split("\t")[0] for line in keep}
    (dest / "concepts.tsv").write_text("\n".join([lines[0], *keep]) + "\n", encoding="utf-8")
    for lang in ("ru", "en", "th"):
        rows = (src / f"{lang}.tsv").read_text(encoding="utf-8").splitlines()
        body = [r for r in rows[1:] if r.split("\t")[0] in ids]
        (dest / f"{lang}.tsv").write_text("\n".join([rows[0], *body]) + "\n", encoding="utf-8")
    return dest


@pytest.fixture
def mini_lexicon(tmp_path) -> Path:
    return copy_lexicon(tmp_path / "lex", concepts=6)
