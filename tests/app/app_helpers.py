"""Helpers for reading an AppTest page."""

from __future__ import annotations

import pandas as pd
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


def table_rows(at: AppTest, key: str) -> pd.DataFrame:
    """The rows of the page's table called `key`. A selectable table carries its key;
    Streamlit gives a display-only one none, so the page names its container instead."""
    try:
        return at.dataframe(key=key).value
    except KeyError:
        (frame,) = at.container(key=key).dataframe
        return frame.value
