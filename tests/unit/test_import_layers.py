"""Imports point down: no package of linksplus imports from one that imports it back, and
every module imports on its own, in any order, in a fresh interpreter."""

from __future__ import annotations

import ast
import os
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "linksplus"


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _node(module: str, root: Path) -> str:
    """The graph node of a module: its subpackage (``pkg.sub``), else the root module itself
    (``pkg.models``), else the root package (``pkg``, its ``__init__``)."""
    parts = module.split(".")
    if len(parts) < 2:
        return parts[0]
    if (root / parts[1]).is_dir():
        return f"{parts[0]}.{parts[1]}"
    if (root / f"{parts[1]}.py").is_file():
        return f"{parts[0]}.{parts[1]}"
    return parts[0]  # a name defined in the root package's __init__


def _imported(tree: ast.AST, module: str, is_package: bool) -> list[tuple[str, int]]:
    """Every module `module` names in an import statement (at any depth), with its line."""
    found = []
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.Import):
            found += [(alias.name, stmt.lineno) for alias in stmt.names]
        elif isinstance(stmt, ast.ImportFrom):
            base = stmt.module or ""
            if stmt.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - stmt.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from pkg import models` imports the module pkg.models; `from pkg import X`
            # of anything else imports pkg itself. _node tells the two apart.
            found += [(f"{base}.{alias.name}", stmt.lineno) for alias in stmt.names]
    return found


def package_graph(root: Path) -> dict[str, dict[str, list[str]]]:
    """{node: {imported node: ["file:line", ...]}} for the package at `root`, where the nodes
    are its subpackages, its root modules and the root package itself."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path, root)
        source = _node(module, root)
        graph[source]  # every node, even one that imports nothing of ours
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for name, line in _imported(tree, module, path.name == "__init__.py"):
            if name.split(".")[0] != root.name:
                continue
            target = _node(name, root)
            if target != source:
                graph[source][target].append(f"{path.relative_to(root.parent)}:{line}")
    return graph


def _reaches(graph: dict[str, dict[str, list[str]]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo += graph.get(node, {})
    return False


def imports_back(root: Path) -> set[str]:
    """Every import between the packages under `root` that lies on a cycle, as
    "a -> b (file:line, ...)"; empty when every import points down."""
    graph = package_graph(root)
    return {
        f"{a} -> {b} ({', '.join(dict.fromkeys(lines))})"
        for a, edges in graph.items()
        for b, lines in edges.items()
        if _reaches(graph, b, a)
    }


def test_no_package_imports_from_a_package_that_imports_it_back():
    cycles = "\n".join(sorted(imports_back(PACKAGE)))
    assert not cycles, f"these imports point back up (each lies on a cycle):\n{cycles}"


def test_the_walk_finds_a_cycle_between_packages(tmp_path):
    # The check above can fail: two subpackages and a root module that import each other.
    root = tmp_path / "pkg"
    for folder in (root, root / "store", root / "web"):
        folder.mkdir()
        (folder / "__init__.py").write_text("")
    (root / "store" / "ingest.py").write_text("import json\nfrom pkg.web.payload import check\n")
    (root / "web" / "payload.py").write_text("def check():\n    from ..store import ingest\n")
    (root / "version.py").write_text("")
    (root / "client.py").write_text("from pkg import version\n")
    assert imports_back(root) == {
        "pkg.store -> pkg.web (pkg/store/ingest.py:2)",
        "pkg.web -> pkg.store (pkg/web/payload.py:2)",
    }
    (root / "web" / "payload.py").write_text("from pkg.version import x\n")
    assert imports_back(root) == set()
    # A root module taking a name from the package's __init__, which imports it: a cycle.
    (root / "__init__.py").write_text("__version__ = '1'\nfrom pkg.client import Client\n")
    (root / "client.py").write_text("from pkg import __version__\n")
    assert imports_back(root) == {
        "pkg -> pkg.client (pkg/__init__.py:2)",
        "pkg.client -> pkg (pkg/client.py:1)",
    }


def _all_modules() -> list[str]:
    names = [_module_name(path, PACKAGE) for path in PACKAGE.rglob("*.py")]
    return sorted(name for name in names if not name.endswith("__main__"))  # runs the CLI


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_module_imports_in_a_shuffled_order(seed):
    order = _all_modules()
    random.Random(seed).shuffle(order)
    script = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    env = {**os.environ, "PYTHONPATH": str(PACKAGE.parent)}
    done = subprocess.run(
        [sys.executable, "-c", script, *order],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, f"importing in the order {order} failed:\n{done.stderr}"
