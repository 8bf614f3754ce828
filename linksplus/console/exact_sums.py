"""Sums of money that stay exact: int64 while nothing can overflow, Python ints beyond."""

from __future__ import annotations

import numpy as np
import pandas as pd


def exact_ints(values: pd.Series) -> pd.Series:
    """Exact integers: int64 while every value (and any sum of them) fits, else Python ints
    in an object column (an absurd amount must not wrap round)."""
    ints = [int(v) for v in values]
    if sum(abs(v) for v in ints) < 2**62:
        return pd.Series(ints, index=values.index, dtype="int64")
    return pd.Series(ints, index=values.index, dtype="object")


def exact_group_sum(frame: pd.DataFrame, keys: list[str], column: str) -> pd.DataFrame:
    """``frame.groupby(keys)[column].sum()`` as a frame, exact however large the sums."""
    values = frame[column]
    if values.dtype != object and len(values):
        total = np.abs(values.to_numpy(dtype=np.float64)).sum()
        if total >= 2**62:
            values = values.astype(object).map(int)
    grouped = frame.assign(**{column: values}).groupby(keys, sort=True)[column].sum().reset_index()
    return grouped
