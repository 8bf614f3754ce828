"""What is still owed: unpaid single-use links by how long ago they were made.

A link is owed while it is single-use, still active and has no successful payment. Its
age is the whole days since it was made (as Needs follow-up counts them), put in one of the
buckets 0–3, 4–7, 8–14 and 15+ days. Everything here is vectorised over the Links page's
frame (with its ``paid_count`` column), so the Links page's age filter and this report
agree link for link.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from linksplus.console.exact_sums import exact_group_sum
from linksplus.console.follow_up import made_by
from linksplus.i18n import N_, _, format_number, ngettext
from linksplus.money import CURRENCIES, format_amount
from linksplus.workspace.store import OUTSIDE

# key (as in the URL, ``?age=8-14``) -> (first day, last day or None, label)
BUCKETS: dict[str, tuple[int, int | None, str]] = {
    "0-3": (0, 3, N_("0–3 days")),
    "4-7": (4, 7, N_("4–7 days")),
    "8-14": (8, 14, N_("8–14 days")),
    "15+": (15, None, N_("15+ days")),
}


def parse_bucket(raw: str | None) -> str | None:
    """The bucket key an address names, or None. "15+" arrives as "15 " when the plus sign
    was not escaped (a plus is a space in a query string), so that is read as 15+ too."""
    text = (raw or "").strip()
    if text == "15":
        return "15+"
    return text if text in BUCKETS else None


def bucket_label(key: str) -> str:
    """The bucket's label in the reader's language ("8–14 days")."""
    return _(BUCKETS[key][2])


def _now(now: datetime | None) -> pd.Timestamp:
    return pd.Timestamp(now or datetime.now(UTC))


def with_paid_counts(links: pd.DataFrame, paid: pd.DataFrame) -> pd.DataFrame:
    """`links` with ``paid_count``: successful payments in the link's own currency, from
    per-link totals (`paid`: link_id, currency, paid_count), as the Links page counts them."""
    counts = paid.groupby(["link_id", "currency"])["paid_count"].sum()
    key = pd.MultiIndex.from_arrays([links["id"], links["currency"]])
    return links.assign(paid_count=counts.reindex(key).fillna(0).astype("int64").to_numpy())


def owed_mask(frame: pd.DataFrame) -> np.ndarray:
    """Which links of `frame` are still owed: single-use, active, not paid."""
    paid = frame["paid_count"] if "paid_count" in frame else pd.Series(0, index=frame.index)
    return (
        ~frame["multiple_usage"].to_numpy(bool)
        & (frame["status"] == "active").to_numpy(bool)
        & (paid.fillna(0).to_numpy() == 0)
    )


def age_days(frame: pd.DataFrame, now: datetime | None = None) -> np.ndarray:
    """Whole days since each link of `frame` was made (0 for one made in the future)."""
    days = (_now(now) - frame["created_at"]).dt.days.to_numpy()
    return np.clip(days, 0, None)


def age_buckets(frame: pd.DataFrame, now: datetime | None = None) -> np.ndarray:
    """Each link's bucket key (object array)."""
    days = age_days(frame, now)
    out = np.empty(len(frame), dtype=object)
    for key, (low, high, _label) in BUCKETS.items():
        inside = days >= low if high is None else (days >= low) & (days <= high)
        out[inside] = key
    return out


def bucket_mask(frame: pd.DataFrame, key: str, now: datetime | None = None) -> np.ndarray:
    """The owed links of `frame` in bucket `key` (the Links page's ``?age=`` filter)."""
    low, high, _label = BUCKETS[key]
    days = age_days(frame, now)
    inside = days >= low if high is None else (days >= low) & (days <= high)
    return owed_mask(frame) & inside


def owed_links(
    links: pd.DataFrame,
    owners: pd.DataFrame,
    now: datetime | None = None,
    void_ids: Iterable[int] = (),
) -> pd.DataFrame:
    """The owed links of `links`, oldest first, with ``made_by``, ``age_days`` and
    ``bucket``; a void link (`void_ids`) is owed to nobody."""
    out = links[owed_mask(links) & ~links["id"].isin(list(void_ids)).to_numpy(bool)]
    out = out.assign(made_by=made_by(out["id"], owners), age_days=age_days(out, now))
    out = out.assign(bucket=age_buckets(out, now))
    return out.sort_values(["created_at", "id"], ignore_index=True)


def unpaid_by_age(owed: pd.DataFrame, members: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Per salesperson, bucket and currency (from `owed_links`): how many links and the
    amount outstanding in minor units. Salespeople in `members` with nothing owed appear
    with a zero row (bucket and currency empty)."""
    keys = ["made_by", "bucket", "currency"]
    counts = owed.groupby(keys).size().rename("links").reset_index()
    sums = exact_group_sum(owed, keys, "amount").rename(columns={"amount": "outstanding"})
    out = counts.merge(sums, on=keys) if len(owed) else counts.assign(outstanding=0)
    missing = [m for m in members or {} if m not in set(out["made_by"])]
    if missing:
        zeros = pd.DataFrame(
            {"made_by": missing, "bucket": "", "currency": "", "links": 0, "outstanding": 0}
        )
        out = pd.concat([out, zeros], ignore_index=True)
    out["links"] = out["links"].astype("int64")
    return out.reset_index(drop=True)


def _cell(part: pd.DataFrame) -> str:
    """ "3 links: 1,200.00 THB · 5.00 USD" (never one sum of two currencies)."""
    count = int(part["links"].sum())
    if not count:
        return "—"
    amounts = " · ".join(
        format_amount(int(a), c, code=True) if c in CURRENCIES else f"{int(a)} {c.upper()}"
        for c, a in zip(part["currency"], part["outstanding"], strict=True)
    )
    text = ngettext("{count} link: {amounts}", "{count} links: {amounts}", count)
    return text.format(count=format_number(count), amounts=amounts)


def matrix(by_age: pd.DataFrame, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Salesperson x bucket, each cell the links and amounts owed per currency as text;
    a ``username`` column first (hidden by the page) names the row."""
    names = dict(names or {})
    rows = []
    for who in dict.fromkeys(by_age["made_by"]):
        mine = by_age[by_age["made_by"] == who]
        row = {
            "username": who,
            _("Salesperson"): _("Made outside the console")
            if who == OUTSIDE
            else names.get(who, who),
        }
        for key in BUCKETS:
            row[bucket_label(key)] = _cell(mine[mine["bucket"] == key])
        rows.append(row)
    columns = ["username", _("Salesperson"), *(bucket_label(k) for k in BUCKETS)]
    return pd.DataFrame(rows, columns=columns)
