"""Every path of a build folder's layout comes from `mnemophrase.corpusgen.contract`: product
code that spells "stats.json", "README.md" or joins a path with "data", "arrow" or "tokenizer"
itself would drift from the contract the day the layout changes."""

from __future__ import annotations

import ast
from pathlib import Path

from mnemophrase.corpusgen.contract import ARROW_DIR, CARD, DATA_DIR, STATS, TOKENIZER_DIR

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("mnemophrase",)
CONTRACT = "mnemophrase/corpusgen/contract.py"
FILES = (CARD, STATS)  # a layout name wherever it appears
FOLDERS = (DATA_DIR, ARROW_DIR, TOKENIZER_DIR)  # a layout name where a path is made or compared


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def _path_pieces(tree: ast.AST) -> set[int]:
    """Constants used as a piece of a path (`root / "data"`), compared (`top == "arrow"`) or
    listed in a set literal."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            out |= {id(node.left), id(node.right)}
        elif isinstance(node, ast.Compare):
            out |= {id(node.left), *map(id, node.comparators)}
        elif isinstance(node, ast.Set):
            out |= set(map(id, node.elts))
    return out


def _literals(path: Path) -> list[str]:
    """`where:line: 'literal'` for each layout name `path` spells itself."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip, pieces = _docstrings(tree), _path_pieces(tree)
    where = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    return [f"{where}:{node.lineno}: {node.value!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and id(node) not in skip
            and (node.value in FILES or (node.value in FOLDERS and id(node) in pieces))]


def _product_files() -> list[Path]:
    return sorted(p for part in PRODUCT for p in (ROOT / part).rglob("*.py")
                  if p.relative_to(ROOT).as_posix() != CONTRACT)


def test_product_code_takes_the_layout_from_the_contract():
    found = [hit for path in _product_files() for hit in _literals(path)]
    assert not found, "\n".join(found)


def test_the_check_finds_a_layout_literal(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('from pathlib import Path\n\ndef f(root: Path):\n'
                      '    """Reads stats.json."""\n'
                      '    return root / "data", root / "stats.json"\n')
    hits = [h.split(": ", 1)[1] for h in _literals(sample)]
    assert hits == ["'data'", "'stats.json'"]

