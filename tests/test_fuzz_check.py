"""Random damage and random option values thrown at `corpusgen check`, `sample` and the
lexicon loader: every answer is an exit code with one-line messages (never a traceback), and
the inputs are left exactly as they were."""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import copy_lexicon, run

FUZZ = settings(max_examples=25, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
LEXICON_LINE = re.compile(r"^(\S.*?: .+|\.\.\. and \d+ more problems)$")


def _digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _no_traceback(result) -> list[str]:
    """The result's stderr lines. `run` does not catch exceptions: one that escapes the
    command fails the test by itself."""
    assert "Traceback" not in result.output + result.stderr
    return result.stderr.strip().splitlines()


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fuzz") / "build"
    result = run("build", "--langs", "ru,en,th", "-n", 60, "--out", out, "--quiet")
    assert result.exit_code == 0, result.stderr
    return out


DAMAGE = st.sampled_from(["truncate", "flip", "insert", "delete", "replace", "empty"])


def _damage(path: Path, how: str, at: float, junk: bytes) -> None:
    data = path.read_bytes()
    cut = int(len(data) * at)
    if how == "truncate":
        path.write_bytes(data[:cut])
    elif how == "flip" and data:
        i = min(cut, len(data) - 1)
        path.write_bytes(data[:i] + bytes([data[i] ^ 0x5A]) + data[i + 1:])
    elif how == "insert":
        path.write_bytes(data[:cut] + junk + data[cut:])
    elif how == "delete":
        path.unlink()
    elif how == "replace":
        path.write_bytes(junk)
    else:
        path.write_bytes(b"")


@FUZZ
@given(which=st.integers(0, 10_000), how=DAMAGE, at=st.floats(0, 1),
       junk=st.binary(min_size=1, max_size=64),
       options=st.lists(st.sampled_from(["--quick", "--sample", "--quiet"]), max_size=2,
                        unique=True),
       sample=st.integers(-5, 10**7))
def test_check_and_sample_answer_damage_in_one_line_each(tiny_build, which, how, at, junk,
                                                        options, sample):
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "b"
        shutil.copytree(tiny_build, copy)
        files = sorted(p for p in copy.rglob("*") if p.is_file())
        target = files[which % len(files)]
        _damage(target, how, at, junk)
        before = _digest(copy)
        args = [a for o in options for a in ((o, str(sample)) if o == "--sample" else (o,))]
        checked = run("check", copy, *args)
        lines = _no_traceback(checked)
        assert checked.exit_code in (0, 1, 2)
        if "--sample" in options and sample < 0:
            assert checked.exit_code == 2 and len(lines) == 1
        elif checked.exit_code == 1:
            assert lines and lines[-1].startswith("corpusgen: ")
            assert len(lines) <= 52
        sampled = run("sample", copy, "-n", 2)
        sample_lines = _no_traceback(sampled)
        assert sampled.exit_code in (0, 1)
        if sampled.exit_code:
            assert len(sample_lines) == 1 and sample_lines[0].startswith("corpusgen: ")
        assert _digest(copy) == before, "check or sample changed the build"


TEXT_DAMAGE = st.sampled_from(["bytes", "bom", "crlf", "nfd", "tab", "cells", "blank",
                               "utf16", "truncate"])


@FUZZ
@given(file=st.sampled_from(["concepts.tsv", "fields.tsv", "roles.tsv", "ru.tsv", "en.tsv",
                             "th.tsv"]),
       how=TEXT_DAMAGE, at=st.floats(0, 1), junk=st.binary(min_size=1, max_size=32),
       text=st.text(min_size=1, max_size=12),
       langs=st.one_of(st.none(), st.sampled_from(["ru", "en,th", "ru,en,th", "xx", "ru,ru",
                                                   ",", "th,zz"])))
def test_the_lexicon_loader_answers_any_damage_by_file_and_line(tmp_path_factory, file, how,
                                                               at, junk, text, langs):
    lexicons = copy_lexicon(tmp_path_factory.mktemp("lex"), concepts=3)
    path = lexicons / file
    raw = path.read_bytes()
    cut = int(len(raw) * at)
    damaged = {
        "bytes": raw[:cut] + junk + raw[cut:],
        "bom": b"\xef\xbb\xbf" + raw,
        "crlf": raw.replace(b"\n", b"\r\n"),
        "nfd": unicodedata.normalize("NFD", raw.decode()).encode(),
        "tab": raw[:cut] + b"\t" + raw[cut:],
        "cells": raw[:cut] + text.encode("utf-8", "surrogatepass") + raw[cut:],
        "blank": raw[:cut] + b"\n\n" + raw[cut:],
        "utf16": raw.decode().encode("utf-16"),
        "truncate": raw[:cut],
    }[how]
    path.write_bytes(damaged)
    before = _digest(lexicons)
    args = ["lexicon", "check", "--lexicons", lexicons]
    if langs is not None:
        args += ["--langs", langs]
    result = run(*args)
    lines = _no_traceback(result)
    assert result.exit_code in (0, 1, 2)
    if result.exit_code == 1:
        assert lines and all(LEXICON_LINE.match(line) for line in lines), lines
        assert len(lines) <= 21
    elif result.exit_code == 2:
        assert len(lines) == 1
    assert _digest(lexicons) == before, "the loader changed a lexicon file"
