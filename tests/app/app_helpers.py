"""Helpers for reading an AppTest page."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

PASSWORD = "s3cret-for-tests"


def texts(at: AppTest) -> str:
    """Every piece of text on the page, for `in` checks."""
    parts = []
    for kind in (
        "title",
        "caption",
        "markdown",
        "error",
        "warning",
        "info",
        "success",
        "code",
        "subheader",
    ):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label}: {m.value}" for m in at.metric]
    return "\n".join(parts)


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
