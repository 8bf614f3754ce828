"""Module docstrings say what a module is for in a few lines; the design essays live in
docs/architecture.md, which the README links."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_DOCSTRING_LINES = 15


def test_module_docstrings_are_a_few_lines():
    long = {}
    for path in sorted((ROOT / "linksplus").rglob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        if doc and len(doc.splitlines()) > MAX_DOCSTRING_LINES:
            long[str(path.relative_to(ROOT))] = len(doc.splitlines())
    assert not long, (
        f"docstrings over {MAX_DOCSTRING_LINES} lines (move the essay to docs/): {long}"
    )


def test_the_readme_links_the_architecture_page_and_its_diagram():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    architecture = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    assert "(docs/architecture.md)" in architecture
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    diagram = page.split("```", 2)[1]
    for box in ("Links+ sandbox", "webhook receiver", "worker process", "app", "event log"):
        assert box in diagram
    for table in ("events", "deliveries", "schema_version"):
        assert table in diagram and f"`{table}`" in page
