"""The layers point one way, as docs/architecture.md's "may import" table says: the test reads
the table, so the document and the rule cannot drift apart. Imports inside functions count:
they are arrows too, only later."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE_DOC = ROOT / "docs" / "architecture.md"
PACKAGES = ("mnemophrase", "experiments")
CLI = "mnemophrase.cli"
MAX_CORPUSGEN_LEVELS = 6


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
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


def _edges() -> dict[str, set[str]]:
    """module -> the project modules it imports (a package's own parents are not arrows:
    Python runs them on the way in, whoever imports the module)."""
    edges = {}
    for module in MODULES:
        targets = set()
        for name in _imports(module):
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module and not module.startswith(name + "."):
                targets.add(name)
        edges[module] = targets
    return edges


EDGES = _edges()


def _table() -> list[tuple[list[str], list[str] | None]]:
    """The "may import" table, in order: (the row's paths, the paths it may import, or None
    for "every row above")."""
    text = TABLE_DOC.read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not line.startswith("| `"):
            continue
        paths = re.findall(r"`([^`]+)`", cells[0])
        if not paths or not all(p.endswith(("/", ".py")) for p in paths):
            continue
        allowed = None if cells[2] == "every row above" else re.findall(r"`([^`]+/|[^`]+\.py)`",
                                                                        cells[2])
        rows.append((paths, allowed))
    return rows


TABLE = _table()


def _matches(path: str, module: str) -> int:
    """How specifically the table path `path` names `module` (0: not at all)."""
    name = path.removesuffix("/").removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    if path.endswith(".py"):
        return len(name) + 1 if module == name else 0
    return len(name) if module == name or module.startswith(name + ".") else 0


def _row_of(module: str) -> int | None:
    scores = [(max(_matches(p, module) for p in paths), i) for i, (paths, _) in enumerate(TABLE)]
    best, row = max(scores)
    return row if best else None


def _row_index(path: str) -> int:
    return next(i for i, (paths, _) in enumerate(TABLE) if path in paths)


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


def test_the_table_is_read():
    rows = [path for paths, _ in TABLE for path in paths]
    for path in ("mnemophrase/corpusgen/contract.py", "mnemophrase/corpusgen/build/",
                 "mnemophrase/tokenizer/", "mnemophrase/train_plugin/", "mnemophrase/cli/"):
        assert path in rows, f"{path} is not a row of {TABLE_DOC.name}'s table"


def test_every_row_imports_only_rows_above_it():
    later = [f"{paths[0]} -> {path}" for i, (paths, allowed) in enumerate(TABLE)
             for path in allowed or [] if _row_index(path) >= i]
    assert not later, later


def test_every_module_belongs_to_a_row():
    homeless = sorted(m for m in MODULES if _row_of(m) is None)
    assert not homeless, homeless


def test_every_import_is_one_the_table_allows():
    forbidden = []
    for module, targets in EDGES.items():
        row = _row_of(module)
        allowed = TABLE[row][1]
        for target in targets:
            to = _row_of(target)
            if to == row or (allowed is None and to < row):
                continue
            if allowed is None or TABLE[to][0][0] not in allowed:
                forbidden.append(f"{module} -> {target}")
    assert not forbidden, sorted(forbidden)


def test_no_import_cycle():
    assert not _cycles(EDGES), _cycles(EDGES)


def test_corpusgen_has_at_most_six_levels():
    level: dict[int, int] = {}
    for i, (paths, allowed) in enumerate(TABLE):
        below = range(i) if allowed is None else [_row_index(p) for p in allowed]
        level[i] = 1 + max((level[j] for j in below), default=0)
    inside = [level[i] for i, (paths, _) in enumerate(TABLE)
              if paths[0].startswith("mnemophrase/corpusgen/")]
    assert max(inside) <= MAX_CORPUSGEN_LEVELS, level


def test_only_the_cli_imports_click():
    users = sorted(m for m in MODULES if m != CLI and not m.startswith(CLI + ".")
                   and any(n.split(".")[0] == "click" for n in _imports(m)))
    assert not users, users
