"""A chart with its text alternative: the summary sentence as the chart's accessible name
and as a caption under it, so that what the chart says can be read without seeing it."""

from __future__ import annotations

import altair as alt
import streamlit as st

from linksplus.ui.widgets import md_escape


def chart(figure: alt.Chart, summary: str) -> None:
    """`figure` stretched to its column, `summary` (may quote names people typed: shown
    escaped) as its alternative text and caption."""
    st.altair_chart(figure, width="stretch", alt=summary or None)
    if summary:
        st.caption(md_escape(summary))
