"""The declared seams hold: both engines are `Engine`s and both build-file targets are
`BuildFiles`, method by method with the same parameters, so `build.run` can call either
without knowing which it has."""

from __future__ import annotations

import ast
import inspect

import fsspec
import pytest

import mnemophrase.corpusgen.build.run
from mnemophrase.corpusgen.build.engine import Engine
from mnemophrase.corpusgen.build.engine_local import LocalEngine
from mnemophrase.corpusgen.build.engine_ray import RayEngine
from mnemophrase.corpusgen.output.build_files import BuildFiles
from mnemophrase.corpusgen.output.folder import LocalFiles
from mnemophrase.corpusgen.output.url import UrlFiles


def _methods(protocol: type) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(member) for name, member in vars(protocol).items()
            if inspect.isfunction(member) and not name.startswith("_")}


def _parameters(signature: inspect.Signature) -> list[tuple[str, object]]:
    return [(p.name, p.kind) for p in signature.parameters.values()]


@pytest.mark.parametrize(("protocol", "implementation"), [
    (Engine, LocalEngine), (Engine, RayEngine), (BuildFiles, LocalFiles), (BuildFiles, UrlFiles)])
def test_an_implementation_has_every_method_of_its_seam(protocol, implementation):
    for name, declared in _methods(protocol).items():
        assert hasattr(implementation, name), f"{implementation.__name__} has no {name}"
        actual = inspect.signature(getattr(implementation, name))
        assert _parameters(actual) == _parameters(declared), (implementation.__name__, name)


def test_both_build_file_targets_have_the_declared_attributes(tmp_path):
    fs = fsspec.filesystem("memory")
    targets = [LocalFiles(tmp_path), UrlFiles("memory://seam", fs, "/seam", tmp_path / "small")]
    for files in targets:
        for name in BuildFiles.__annotations__:
            assert hasattr(files, name), f"{type(files).__name__} has no {name}"


def _used_in_build(*names: str) -> set[str]:
    """The attributes build.run takes from the variables called `names`."""
    tree = ast.parse(inspect.getsource(mnemophrase.corpusgen.build.run))
    return {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name) and node.value.id in names}


def test_the_seams_declare_exactly_what_the_build_uses():
    assert _used_in_build("engine") == set(_methods(Engine))
    assert _used_in_build("files", "folder") == (set(_methods(BuildFiles))
                                                 | set(BuildFiles.__annotations__))
