"""The baseline page of bench/browser_pages.py: a heading and one table of 160 rows and 10
columns (the size of the demo manager's Links table), nothing else."""

import numpy as np
import pandas as pd
import streamlit as st

st.title("Bare table")
rng = np.random.default_rng(0)
st.dataframe(
    pd.DataFrame(
        {
            "Link": np.arange(1380, 1220, -1),
            "Name": [f"Course {n}" for n in range(160)],
            "Amount": rng.integers(500, 5000, 160) * 1.0,
            "Cur.": "THB",
            "Status": "Active",
            "Paid": rng.integers(0, 5, 160),
            "Paid amount": rng.integers(0, 9000, 160) * 1.0,
            "Made by": "Somchai",
            "Created": pd.date_range("2026-09-01", periods=160, freq="13h"),
            "Note": "",
        }
    ),
    hide_index=True,
)
