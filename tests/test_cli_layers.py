"""The layers point one way: only the CLI module imports click or reaches from corpusgen into
the tokenizer, the plugin or the model loaders, and no module imports itself back through
others (imports inside functions count: they are arrows too, only later)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("corpusgen", "tokenizer", "train_plugin", "basemodel")
CLI = "corpusgen.cli"


def _modules() -> dict[str, Path]:
    out = {}
    for part in PARTS:
        for path in (ROOT / part).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


MODULES = _modules()


def _imported(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".")
        if MODULES[module].name != "__init__.py":
            package = package[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join([*package, base] if base else package)
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def _imports(module: str) -> set[str]:
    """Every name `module` imports, anywhere in it, as written (resolved when relative)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    return {name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
            for name in _imported(module, node)}


def _project_edges() -> dict[str, set[str]]:
    edges = {}
    for module in MODULES:
        targets = set()
        for name in _imports(module):
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        edges[module] = targets
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


@pytest.mark.parametrize("part", PARTS)
def test_no_import_cycle(part):
    edges = _project_edges()
    cycles = [c for c in _cycles(edges) if c[0].split(".")[0] == part]
    assert not cycles, cycles


@pytest.mark.parametrize("part", PARTS)
def test_only_the_cli_module_imports_click(part):
    users = sorted(m for m in MODULES if m.split(".")[0] == part
                   and not (m == CLI or m.startswith(CLI + "."))
                   and any(n.split(".")[0] == "click" for n in _imports(m)))
    assert not users, users


def test_corpusgen_reaches_the_other_parts_only_from_the_cli_module():
    arrows = sorted(f"{m} -> {n}" for m in MODULES
                    if m.startswith("corpusgen") and not (m == CLI or m.startswith(CLI + "."))
                    for n in _imports(m) if n.split(".")[0] in PARTS[1:])
    assert not arrows, arrows


def test_nothing_downstream_is_imported_by_the_model_loaders():
    arrows = sorted(f"{m} -> {n}" for m in MODULES if m.startswith("basemodel")
                    for n in _imports(m) if n.split(".")[0] in ("tokenizer", "train_plugin"))
    assert not arrows, arrows
