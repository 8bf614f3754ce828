"""Who to follow up, and what was paid since a user last looked (pure pandas)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from linksplus.workspace.store import OUTSIDE


def made_by(link_ids: pd.Series, owners: pd.DataFrame) -> np.ndarray:
    """Each link's maker (``owners`` from `Workspace.owners_frame`), or OUTSIDE."""
    makers = pd.Series(owners["made_by"].to_numpy(), index=owners["link_id"].to_numpy())
    # object first: with no owner at all the map is float NaNs, which text cannot fill.
    return link_ids.map(makers).astype(object).fillna(OUTSIDE).to_numpy(dtype=object)


def needs_follow_up(
    links: pd.DataFrame,
    owners: pd.DataFrame,
    username: str,
    days: int,
    now: datetime,
    void_ids: Iterable[int] = (),
) -> pd.DataFrame:
    """`username`'s single-use links still open and unpaid `days` after they were made,
    and not reminded in the last `days` days, and not void (`void_ids`); oldest first,
    with ``age_days``."""
    cutoff = pd.Timestamp(now - timedelta(days=days))
    mine = owners[owners["made_by"] == username.lower()][["link_id", "reminded_at"]]
    frame = links.merge(mine, left_on="id", right_on="link_id", how="inner")
    paid = frame["paid_count"] if "paid_count" in frame else pd.Series(0, index=frame.index)
    keep = (
        ~frame["multiple_usage"].astype(bool)
        & (frame["status"] == "active")
        & (paid.fillna(0) == 0)
        & (frame["created_at"] <= cutoff)
        & (frame["reminded_at"].isna() | (frame["reminded_at"] <= cutoff))
        & ~frame["id"].isin(list(void_ids))
    )
    out = frame[keep].sort_values(["created_at", "id"]).reset_index(drop=True)
    out["age_days"] = (pd.Timestamp(now) - out["created_at"]).dt.days
    return out


def paid_since(payments: pd.DataFrame, since: datetime | None) -> pd.DataFrame:
    """The successful payments after `since` (all of them when None), newest first."""
    ok = payments[payments["status"] == "successful"]
    if since is not None:
        ok = ok[ok["occurred_at"] > pd.Timestamp(since)]
    return ok.sort_values("occurred_at", ascending=False).reset_index(drop=True)
