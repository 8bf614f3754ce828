"""Team performance: per salesperson, for a period, what they made and what it brought in.

A period's figures are about the links *made* in it (a cohort): links made, how many of them
were paid (at least one successful payment, whenever it came), conversion (paid / made), the
volume paid on them per currency (never two currencies added together), and the median and
90th-percentile time to pay: the first successful payment minus the link's creation.

The payments are aggregated per link and currency by the event log as they are moved
(``payment_links``: one row per paid link and currency), plus the few thousand after the mark
grouped in SQL; everything after that is vectorised pandas over one row per
link: a team of 20,000 links and 500,000 payments reads its 20,000-odd rows once per move of
the mark (every few thousand events), and after a new payment only the tail.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import altair as alt
import numpy as np
import pandas as pd
from sqlalchemy import func, select

from linksplus.console.chart_text import (
    LINE_BREAK,
    amount_axis,
    column_px,
    text_chars,
    wrapped,
    wrapped_axis,
)
from linksplus.console.csv_export import frame_csv
from linksplus.console.exact_sums import exact_group_sum, exact_ints
from linksplus.console.follow_up import made_by
from linksplus.console.links_table import decimal_amount
from linksplus.eventlog import queries
from linksplus.i18n import N_, _, format_number, format_share
from linksplus.money import CURRENCIES, format_amount, to_decimal
from linksplus.workspace.store import OUTSIDE

# What `paid_by_link` answers, one row per link and currency of its successful payments.
PAID_COLUMNS = ["link_id", "currency", "paid_count", "paid_amount", "first_paid_at"]
# The quantile the "p90" column is: linear interpolation between the closest ranks (numpy's
# and pandas' default), so 10 links paid after 1..10 hours give 9.1 hours.
P90 = 0.9
SORTS: dict[str, str] = {
    "made": N_("Links made"),
    "paid": N_("Links paid"),
    "conversion": N_("Conversion"),
    "median_hours": N_("Median time to pay"),
    "p90_hours": N_("90th percentile time to pay"),
}


def paid_by_link_query(link_ids: Iterable[int], backend: str, upto: int | None = None):
    """Per link and currency: successful payments, their amount (as `queries.exact_sum`'s
    two columns) and the first one's time: one GROUP BY on the (link, time) index (on
    `backend`: ``sqlite`` or ``postgresql``; `upto`: the event log's mark, when read)."""
    p = queries.payments(None, None, link_ids, backend=backend, upto=upto)
    return (
        select(
            p.c.link_id,
            p.c.currency,
            func.count(),
            *queries.exact_sum(p.c.amount, "amount"),
            func.min(p.c.occurred_at),
        )
        .where(p.c.status == queries.SUCCESSFUL)
        .group_by(p.c.link_id, p.c.currency)
    )


# The moved part's frame per (event log, mark, links): built once per move of the mark
# (every few thousand events), not after every payment.
_MOVED_FRAMES: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_MOVED_LOCK = threading.Lock()


def paid_by_link(log, link_ids: Iterable[int]) -> pd.DataFrame:
    """`PAID_COLUMNS` for `link_ids` from the event log `log` (an `EventLog`); currencies in
    lower case, amounts exact ints of minor units, times UTC. Read from the per-link
    figures the event log keeps as payments are moved (`EventLog.paid_by_link`), so after a
    new payment only the tail is grouped and added; `paid_by_link_query` groups every
    payment, to the same figures."""
    ids = tuple(int(i) for i in link_ids)
    upto, moved, tail = log.paid_by_link(ids)
    key = (log.url, upto, ids)
    with _MOVED_LOCK:
        frame = _MOVED_FRAMES.get(key)
    if frame is None:
        frame = paid_frame(moved)
        with _MOVED_LOCK:
            _MOVED_FRAMES[key] = frame
            while len(_MOVED_FRAMES) > 8:
                _MOVED_FRAMES.popitem(last=False)
    if not tail:
        return frame.copy()
    return _added(frame, paid_frame(tail))


def _added(moved: pd.DataFrame, tail: pd.DataFrame) -> pd.DataFrame:
    """The moved and tail figures of the same links added: counts and amounts summed, the
    earlier first payment kept. Only the rows of the tail's links are regrouped (a row of
    another currency comes out of the grouping as it went in)."""
    keys = ["link_id", "currency"]
    touched = moved["link_id"].isin(tail["link_id"].to_numpy()).to_numpy()
    both = pd.concat([moved[touched], tail], ignore_index=True)
    merged = both.groupby(keys, as_index=False, sort=False).agg(
        paid_count=("paid_count", "sum"),
        paid_amount=("paid_amount", "sum"),
        first_paid_at=("first_paid_at", "min"),
    )
    return pd.concat([moved[~touched], _typed(merged[PAID_COLUMNS])], ignore_index=True)


def paid_frame(rows: Iterable[tuple]) -> pd.DataFrame:
    """`PAID_COLUMNS` rows as a frame with fixed dtypes (also when empty)."""
    return _typed(pd.DataFrame(list(rows), columns=PAID_COLUMNS))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame["link_id"] = frame["link_id"].astype("int64")
    frame["currency"] = frame["currency"].astype(str).str.lower()
    frame["paid_count"] = frame["paid_count"].astype("int64")
    frame["paid_amount"] = exact_ints(frame["paid_amount"])
    frame["first_paid_at"] = pd.to_datetime(frame["first_paid_at"], utc=True)
    return frame


@dataclass(frozen=True)
class Performance:
    """A period's figures. `table`: one row per salesperson (``username``, ``name``,
    ``made``, ``paid``, ``conversion``, ``median_hours``, ``p90_hours``, and
    ``paid_<currency>`` in minor units per currency seen). `volume`: made_by, name, currency,
    amount (minor units) of the paid volume. `times`: one row per paid link (made_by,
    hours). `templates`: template, made, paid, conversion. `cohort`: the links made in the
    period with made_by, paid and first_paid_at."""

    table: pd.DataFrame
    volume: pd.DataFrame
    times: pd.DataFrame
    templates: pd.DataFrame
    cohort: pd.DataFrame
    currencies: tuple[str, ...]

    @property
    def empty(self) -> bool:
        """No link was made in the period."""
        return self.cohort.empty


def team_performance(
    links: pd.DataFrame,
    owners: pd.DataFrame,
    paid: pd.DataFrame,
    start: datetime | None,
    end: datetime | None,
    members: Mapping[str, str] | None = None,
    *,
    only: str | None = None,
    names: Mapping[str, str] | None = None,
) -> Performance:
    """The figures of the links made in ``[start, end)``.

    `links`: the Links page's frame (id, created_at, template, ...); `owners`: who made
    each (`Workspace.owners_frame`); `paid`: `paid_by_link` of the team's links. `members`:
    username -> name of the team's salespeople, who appear with zeros when they made
    nothing. `only`: one username, whose row alone is computed (sales staff see only
    theirs). `names`: username -> name of anyone else who may have made links."""
    members = dict(members or {})
    people = {**(names or {}), **members}
    cohort = _cohort(links, owners, start, end)
    if only is not None:
        cohort = cohort[cohort["made_by"] == only]
        members = {only: people.get(only, only)}
    mine = paid[paid["link_id"].isin(cohort["id"].to_numpy())]
    cohort = _with_time_to_pay(cohort, mine)
    volume = _volume(cohort, mine, people)
    table, currencies = _with_volumes(_per_person(cohort, members, people), volume)
    times = cohort.loc[cohort["paid"], ["made_by", "hours"]].reset_index(drop=True)
    return Performance(
        table=table.sort_values(["made", "username"], ascending=[False, True], ignore_index=True),
        volume=volume,
        times=times,
        templates=by_template(cohort),
        cohort=cohort,
        currencies=currencies,
    )


def _cohort(
    links: pd.DataFrame, owners: pd.DataFrame, start: datetime | None, end: datetime | None
) -> pd.DataFrame:
    """The links made in ``[start, end)``, with who made each (``made_by``)."""
    created = links["created_at"]
    keep = np.ones(len(links), dtype=bool)
    if start is not None:
        keep &= (created >= pd.Timestamp(start)).to_numpy(bool)
    if end is not None:
        keep &= (created < pd.Timestamp(end)).to_numpy(bool)
    cohort = links.loc[keep, ["id", "name", "template", "currency", "amount", "created_at"]]
    return cohort.assign(made_by=made_by(cohort["id"], owners))


def _with_time_to_pay(cohort: pd.DataFrame, mine: pd.DataFrame) -> pd.DataFrame:
    """`cohort` with each link's first successful payment, whether it is paid, and the
    hours from its creation to that payment; `mine`: the cohort's rows of `paid_by_link`."""
    first = mine.groupby("link_id")["first_paid_at"].min()
    cohort = cohort.reset_index(drop=True)
    cohort["first_paid_at"] = pd.to_datetime(
        first.reindex(cohort["id"]).reset_index(drop=True), utc=True
    )
    cohort["paid"] = cohort["first_paid_at"].notna()
    # A payment dated before the link's creation (clocks apart) counts as paid at once.
    hours = (cohort["first_paid_at"] - cohort["created_at"]).dt.total_seconds() / 3600
    cohort["hours"] = hours.clip(lower=0)
    return cohort


def _per_person(
    cohort: pd.DataFrame, members: Mapping[str, str], people: Mapping[str, str]
) -> pd.DataFrame:
    """One row per salesperson (every one of `members`, and whoever else made a link):
    links made and paid, conversion, median and p90 hours to pay."""
    per = cohort.groupby("made_by", sort=False).agg(
        made=("id", "size"),
        paid=("paid", "sum"),
        median_hours=("hours", "median"),
        p90_hours=("hours", lambda h: h.quantile(P90)),
    )
    everyone = list(dict.fromkeys([*members, *per.index]))
    table = per.reindex(everyone)
    table["made"] = table["made"].fillna(0).astype("int64")
    table["paid"] = table["paid"].fillna(0).astype("int64")
    table["conversion"] = np.where(
        table["made"] > 0, table["paid"] / table["made"].where(table["made"] > 0, 1), 0.0
    )
    table = table.rename_axis("username").reset_index()
    table.insert(1, "name", [_person(u, people) for u in table["username"]])
    return table


def _volume(cohort: pd.DataFrame, mine: pd.DataFrame, people: Mapping[str, str]) -> pd.DataFrame:
    """The amount paid per salesperson and currency (made_by, name, currency, amount)."""
    makers = pd.Series(cohort["made_by"].to_numpy(), index=cohort["id"].to_numpy())
    paid_rows = mine.assign(made_by=mine["link_id"].map(makers).to_numpy())
    volume = exact_group_sum(paid_rows, ["made_by", "currency"], "paid_amount").rename(
        columns={"paid_amount": "amount"}
    )
    volume.insert(1, "name", [_person(u, people) for u in volume["made_by"]])
    return volume


def _with_volumes(
    table: pd.DataFrame, volume: pd.DataFrame
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """`table` with a ``paid_<currency>`` column per currency of `volume`, and those
    currencies."""
    currencies = tuple(sorted(set(volume["currency"])))
    for cur in currencies:
        part = volume[volume["currency"] == cur].set_index("made_by")["amount"]
        column = table["username"].map(part)
        table[f"paid_{cur}"] = exact_ints(column.fillna(0)) if len(column) else column
    table = table[
        ["username", "name", "made", "paid", "conversion", "median_hours", "p90_hours"]
        + [f"paid_{c}" for c in currencies]
    ]
    return table, currencies


def _person(username: str, members: Mapping[str, str]) -> str:
    if username == OUTSIDE:
        return _("Made outside the console")
    return members.get(username) or username


def by_template(cohort: pd.DataFrame) -> pd.DataFrame:
    """Per template: links made, paid, conversion; most made first."""
    if cohort.empty:
        return pd.DataFrame({"template": [], "made": [], "paid": [], "conversion": []}).astype(
            {"made": "int64", "paid": "int64", "conversion": "float64"}
        )
    grouped = cohort.assign(template=cohort["template"].replace("", _("No template")))
    out = grouped.groupby("template").agg(made=("id", "size"), paid=("paid", "sum"))
    out["paid"] = out["paid"].astype("int64")
    out["conversion"] = out["paid"] / out["made"]
    return out.reset_index().sort_values(["made", "template"], ascending=[False, True])


def team_members(users: Iterable, team_id: int) -> dict[str, str]:
    """username -> name of the salespeople listed on `team_id` in the users file (a user
    of every team, ``"*"``, is nobody's salesperson)."""
    out = {}
    for user in users:
        teams = user.teams if isinstance(user.teams, (list, tuple)) else ()
        if "sales" in user.roles and int(team_id) in {int(t) for t in teams}:
            out[user.username] = user.name
    return out


# -- what people see ---------------------------------------------------------------------


def duration_text(hours: float) -> str:
    """A time to pay for people: "45 min", "5.5 h", "3.2 days"; "—" when there is none."""
    if hours is None or pd.isna(hours):
        return "—"
    if hours < 1:
        return _("{minutes} min").format(minutes=format_number(round(hours * 60)))
    if hours < 48:
        return _("{hours} h").format(hours=format_number(round(hours, 1)))
    return _("{days} days").format(days=format_number(round(hours / 24, 1)))


def sort_table(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """`table` sorted by one of `SORTS` or a ``paid_<currency>`` column, biggest first
    (for times: fastest first, no time last); ties by name."""
    if by not in table.columns:
        by = "made"
    fastest = by in ("median_hours", "p90_hours")
    return table.sort_values(
        [by, "name"], ascending=[fastest, True], na_position="last", ignore_index=True
    )


def sort_options(currencies: Iterable[str]) -> dict[str, str]:
    """The "Sort by" choices: key -> label (translated)."""
    out = {key: _(label) for key, label in SORTS.items()}
    for cur in currencies:
        out[f"paid_{cur}"] = _("Paid volume ({currency})").format(currency=cur.upper())
    return out


def shown_table(table: pd.DataFrame, currencies: Iterable[str]) -> pd.DataFrame:
    """The table as people read it: counts, conversion and times as text in their language,
    one "Paid (CUR)" column per currency with the amount formatted."""
    out = pd.DataFrame(
        {
            _("Salesperson"): table["name"],
            _("Links made"): table["made"],
            _("Links paid"): table["paid"],
            _("Conversion"): [format_share(c) for c in table["conversion"]],
            _("Median time to pay"): [duration_text(h) for h in table["median_hours"]],
            _("90th percentile time to pay"): [duration_text(h) for h in table["p90_hours"]],
        }
    )
    for cur in currencies:
        label = _("Paid ({currency})").format(currency=cur.upper())
        out[label] = [_money(a, cur) for a in table[f"paid_{cur}"]]
    return out


def shown_widths(shown: pd.DataFrame) -> dict[str, dict]:
    """Column widths (px) for `shown_table`'s columns: every header whole in either
    language (`chart_text.column_px`) and room for the longest cell."""
    out = {}
    for column in shown.columns:
        longest = max((text_chars(v) for v in shown[column].astype(str)), default=0)
        # A long name may be cut in its cell (the whole of it is on the chart below).
        out[column] = {"width": column_px(column, min(16 + 7 * longest, 200))}
    return out


def _money(minor: object, currency: str) -> str:
    return format_amount(int(minor), currency) if currency in CURRENCIES else str(int(minor))


def table_csv(table: pd.DataFrame, currencies: Iterable[str]) -> bytes:
    """Exactly the rows shown, in their order, as CSV: amounts as exact decimals of each
    currency, times to pay in days (the unit the page uses for them), text neutralised
    against spreadsheet formulas."""
    out = pd.DataFrame(
        {
            _("salesperson"): table["name"],
            _("username"): table["username"],
            _("links_made"): table["made"],
            _("links_paid"): table["paid"],
            _("conversion"): table["conversion"].round(4),
            _("median_days_to_pay"): (table["median_hours"] / 24).round(3),
            _("p90_days_to_pay"): (table["p90_hours"] / 24).round(3),
        }
    )
    for cur in currencies:
        out[_("paid_{currency}").format(currency=cur)] = [
            decimal_amount(a, cur) for a in table[f"paid_{cur}"]
        ]
    return frame_csv(out)


_PADDING = {"left": 4, "right": 16, "top": 4, "bottom": 4}


def _band(labels: pd.Series) -> alt.Step:
    """A bar's band for `labels` (made by `chart_text.wrapped`): room for the label's lines
    and a bar a finger can point at, however few or many the rows."""
    lines = max((str(t).count(LINE_BREAK) + 1 for t in labels), default=1)
    return alt.Step(max(32, 14 * lines + 10))


def volume_chart(volume: pd.DataFrame, currency: str) -> alt.Chart:
    """Paid volume per salesperson in ONE currency (major units, for drawing only): a bar
    per person, each as thick as `_band`, names wrapped, never cut."""
    part = volume[volume["currency"] == currency]
    frame = pd.DataFrame(
        {
            "name": part["name"],
            "label": [wrapped(n) for n in part["name"]],
            "volume": [float(to_decimal(int(a), currency)) for a in part["amount"]],
            "text": [format_amount(int(a), currency) for a in part["amount"]],
        }
    )
    title = _("Paid ({currency})").format(currency=currency.upper())
    return (
        alt.Chart(frame)
        .mark_bar(cornerRadiusTopRight=3, cornerRadiusBottomRight=3)
        .encode(
            x=alt.X("volume:Q", title=title, axis=amount_axis(tickCount=4)),
            y=alt.Y("label:N", title=None, sort="-x", axis=wrapped_axis()),
            tooltip=[
                alt.Tooltip("name:N", title=_("Salesperson")),
                alt.Tooltip("text:N", title=title),
            ],
        )
        .properties(height=_band(frame["label"]), padding=_PADDING)
    )


def volume_summary(volume: pd.DataFrame, currency: str) -> str:
    """The per-salesperson chart in words: who brought in most, and how many were paid."""
    part = volume[volume["currency"] == currency].sort_values("amount", ascending=False)
    if part.empty:
        return ""
    top = part.iloc[0]
    return _("{people} salespeople were paid in {currency}; the most, {amount}, by {name}.").format(
        people=format_number(len(part)),
        currency=currency.upper(),
        amount=f"{_money(top['amount'], currency)} {currency.upper()}",
        name=top["name"],
    )


def time_to_pay_bins(times: pd.DataFrame, bins: int = 20) -> pd.DataFrame:
    """The time-to-pay histogram's bars: ``start`` and ``end`` (days) and ``links``, counted
    here (numpy), so a chart of 20,000 paid links sends 20 rows to the browser."""
    days = times["hours"].to_numpy(dtype=float) / 24
    if not len(days):
        return pd.DataFrame({"start": [], "end": [], "links": []})
    counts, edges = np.histogram(days, bins=bins, range=(0.0, max(float(days.max()), 1.0)))
    return pd.DataFrame({"start": edges[:-1], "end": edges[1:], "links": counts})


def time_to_pay_chart(times: pd.DataFrame) -> alt.Chart:
    """How long the period's paid links took to be paid, in days (a histogram)."""
    return (
        alt.Chart(time_to_pay_bins(times))
        .mark_bar()
        .encode(
            x=alt.X("start:Q", bin="binned", title=_("Days from creation to payment")),
            x2="end:Q",
            y=alt.Y("links:Q", title=_("Links paid")),
            tooltip=[
                alt.Tooltip("start:Q", title=_("From (days)"), format=".1f"),
                alt.Tooltip("end:Q", title=_("To (days)"), format=".1f"),
                alt.Tooltip("links:Q", title=_("Links paid")),
            ],
        )
        .properties(height=200, padding=_PADDING)
    )


def template_chart(templates: pd.DataFrame) -> alt.Chart:
    """Conversion per template (share of the links made from it that were paid)."""
    frame = templates.assign(
        label=[wrapped(t) for t in templates["template"]],
        text=[
            _("{paid} of {made} paid").format(paid=format_number(p), made=format_number(m))
            for p, m in zip(templates["paid"], templates["made"], strict=True)
        ],
    )
    return (
        alt.Chart(frame)
        .mark_bar(cornerRadiusTopRight=3, cornerRadiusBottomRight=3)
        .encode(
            x=alt.X(
                "conversion:Q",
                title=_("Conversion"),
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            y=alt.Y("label:N", title=None, sort="-x", axis=wrapped_axis()),
            tooltip=[
                alt.Tooltip("template:N", title=_("Template")),
                alt.Tooltip("conversion:Q", title=_("Conversion"), format=".0%"),
                alt.Tooltip("text:N", title=_("Links paid")),
            ],
        )
        .properties(height=_band(frame["label"]), padding=_PADDING)
    )


def time_to_pay_summary(times: pd.DataFrame) -> str:
    """The time-to-pay histogram in words: how many links, the median and slowest time."""
    hours = times["hours"].dropna()
    if hours.empty:
        return ""
    return _("{links} links paid: half within {median}, the slowest after {slowest}.").format(
        links=format_number(len(hours)),
        median=duration_text(float(hours.median())),
        slowest=duration_text(float(hours.max())),
    )


def template_summary(templates: pd.DataFrame) -> str:
    """Conversion by template in words: the best converting template."""
    if templates.empty:
        return ""
    best = templates.sort_values(["conversion", "made"], ascending=False).iloc[0]
    return _(
        "{templates} templates; the best converting is {template}: {paid} of {made} paid."
    ).format(
        templates=format_number(len(templates)),
        template=best["template"],
        paid=format_number(int(best["paid"])),
        made=format_number(int(best["made"])),
    )
