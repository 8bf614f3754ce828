"""Page files are named in one place, `linksplus/ui/nav.py`; everything else links through
the navigation's `st.Page` objects (`widgets.nav_page`)."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "linksplus" / "ui"


def page_paths(path: Path) -> list[str]:
    """The string constants in `path` that name a page file ("pages/....py")."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.name}:{node.lineno}: {node.value}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith("pages/")
        and node.value.endswith(".py")
    ]


def test_page_files_are_named_only_in_nav():
    found = [
        p for path in sorted(UI.glob("*.py")) if path.name != "nav.py" for p in page_paths(path)
    ]
    assert found == []
    assert page_paths(UI / "nav.py")  # the check reads the paths it is looking for
