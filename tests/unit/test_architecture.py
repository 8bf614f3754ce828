"""Architecture rules that keep the code readable: every function in linksplus/ is under 60
lines (a longer one is split where its parts have names of their own)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "linksplus"
MAX_LINES = 60


def long_functions(root: Path) -> list[str]:
    """Every function or method under `root` spanning MAX_LINES lines or more (from its
    ``def`` to its last line, decorators left out), as "path:line name (n lines)"."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if node.end_lineno - node.lineno >= MAX_LINES:
                lines = node.end_lineno - node.lineno + 1
                where = path.relative_to(root.parent)
                found.append(f"{where}:{node.lineno} {node.name} ({lines} lines)")
    return found


def test_every_function_is_under_60_lines():
    found = "\n".join(long_functions(PACKAGE))
    assert not found, f"split these where their parts have names of their own:\n{found}"


def test_the_check_finds_a_long_function(tmp_path):
    root = tmp_path / "pkg"
    root.mkdir()
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_LINES - 1))
    (root / "short.py").write_text(f"def fits():\n{body}")  # 60 lines: def + 59
    indented = body.replace("    ", "        ")
    grows = f"class A:\n    async def grows(self):\n{indented}        y = 0\n"  # 61 lines
    (root / "long.py").write_text(grows)
    assert long_functions(root) == ["pkg/long.py:2 grows (61 lines)"]
