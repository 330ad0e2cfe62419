"""The wheel, built from a copy of the sources: one top-level import package, `mnemophrase`
(`corpusgen`, `tokenizer` and `basemodel` are other distributions' import names on PyPI), the
`corpusgen` command, and every language folder and lexicon found without a list to edit."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mnemophrase.corpusgen.lang import available_languages

ROOT = Path(__file__).resolve().parents[1]
CODES = available_languages()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """The wheel of a copy of the sources holding one language more, `zz`, that exists only in
    the copy: a folder and a lexicon file, nothing else edited."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "mnemophrase", src / "mnemophrase", ignore=ignore)
    for file in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / file, src / file)
    plugins, lexicons = src / "mnemophrase" / "corpusgen" / "lang", src / "mnemophrase" / "lexicons"
    shutil.copytree(plugins / "en", plugins / "zz", ignore=ignore)
    shutil.copy(lexicons / "en.tsv", lexicons / "zz.tsv")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp / "dist"), str(src)], check=True, capture_output=True)
    return zipfile.ZipFile(next((tmp / "dist").glob("mnemo_corpus-*.whl")))


def _dist_info(wheel: zipfile.ZipFile, name: str) -> str | None:
    found = [n for n in wheel.namelist() if n.endswith(f".dist-info/{name}")]
    return wheel.read(found[0]).decode() if found else None


def test_the_wheel_installs_one_top_level_import_package(wheel):
    top = {name.split("/")[0] for name in wheel.namelist()}
    assert {t for t in top if not t.endswith(".dist-info")} == {"mnemophrase"}
    top_level = _dist_info(wheel, "top_level.txt")
    if top_level is not None:  # what pip and importlib.metadata read as the import names
        assert top_level.split() == ["mnemophrase"]


def test_the_wheel_keeps_the_corpusgen_command(wheel):
    entry_points = configparser.ConfigParser()
    entry_points.read_string(_dist_info(wheel, "entry_points.txt"))
    assert dict(entry_points["console_scripts"]) == {"corpusgen": "mnemophrase.cli:main"}


def test_the_wheel_carries_every_language_folder_and_lexicon(wheel):
    names = set(wheel.namelist())
    for code in (*CODES, "zz"):
        assert f"mnemophrase/corpusgen/lang/{code}/__init__.py" in names, code
        assert f"mnemophrase/lexicons/{code}.tsv" in names, code
    for name in ("concepts.tsv", "fields.tsv", "roles.tsv"):
        assert f"mnemophrase/lexicons/{name}" in names
    assert {"mnemophrase/__init__.py", "mnemophrase/basemodel/__init__.py",
            "mnemophrase/tokenizer/__init__.py", "mnemophrase/train_plugin/__init__.py",
            "mnemophrase/corpusgen/build/run.py", "mnemophrase/corpusgen/grammar/draw.py",
            "mnemophrase/corpusgen/output/url.py", "mnemophrase/corpusgen/check/content.py",
            "mnemophrase/cli/__init__.py"} <= names
