"""The Links page's filters, sort, pages and CSV as SQL over the links mirror
(``ws_mirror_links``): a view of 50 rows reads 50 rows, never the whole team.

The filters mean what `links_table.filter_mask` means over a frame (a test holds the two
together): "name contains" ignores case as Python lowers it, dates are the reader's local
days, and a Still-owed age bucket is a single-use active link with no successful payment
in its own currency (``payment_links`` and the event log's tail, in the same database).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson
import pandas as pd
from sqlalchemy import and_, exists, func, not_, or_, select, text, tuple_
from sqlalchemy.engine import Connection, Engine

from linksplus.console.aging import BUCKETS
from linksplus.console.links_table import COLUMNS, VOID, LinkFilters
from linksplus.console.timezones import day_bounds
from linksplus.eventlog.counting import counted_sql
from linksplus.eventlog.queries import SUCCESSFUL
from linksplus.eventlog.schema import payment_links
from linksplus.money import display_amount
from linksplus.workspace.schema import customers, mirror_links, voids

PAGE_ROWS = 50
CSV_CHUNK = 5_000
m = mirror_links.c
# Sort keys the page offers: (column, descending); the link id breaks ties the same way.
SORTS: dict[str, tuple[str, bool]] = {
    "newest": ("created_at", True),
    "oldest": ("created_at", False),
    "amount_high": ("amount", True),
    "amount_low": ("amount", False),
    "name": ("name_lower", False),
}


def _paid_in_own_currency(backend: str):
    """A link of the mirror has a successful payment in its own currency: moved into
    ``payment_links`` (a primary-key probe per link), or in the event log's tail (after
    ``payments_upto``: a few thousand events at most, read once as a set, not per link)."""
    pl = payment_links.c
    moved = exists().where(pl.link_id == m.link_id, pl.currency == m.currency)
    table = "events NOT INDEXED" if backend == "sqlite" else "events"
    # A plain IN list of ids, which SQLite materialises once (a row-value IN of (link,
    # currency) was evaluated per link: 19 s at 150,000 links), then the currency only for
    # the few links it finds.
    paid = (
        f"FROM {table} WHERE id > (SELECT upto FROM payments_upto) "
        f"AND {counted_sql(backend)} AND status = '{SUCCESSFUL}'"
    )
    key = "CAST(link_id AS TEXT) || ':' || currency"
    tail = text(
        f"(ws_mirror_links.link_id IN (SELECT link_id {paid}) AND "
        f"CAST(ws_mirror_links.link_id AS TEXT) || ':' || ws_mirror_links.currency "
        f"IN (SELECT {key} {paid}))"
    )
    return moved | tail


def _void():
    """The link is marked void in the console (``ws_voids``)."""
    return exists().where(voids.c.link_id == m.link_id)


def owed_clause(backend: str):
    """Still owed: single-use, active, not void, and no successful payment in its
    currency."""
    return and_(
        m.multiple_usage.is_(False),
        m.status == "active",
        not_(_void()),
        not_(_paid_in_own_currency(backend)),
    )


def _lower(column, backend: str):
    """`column` in lower case as Python lowers it: SQLite's own lower() folds only ASCII,
    so on SQLite it is Python's (`_with_lower` registers it on the connection)."""
    return func.py_lower(column) if backend == "sqlite" else func.lower(column)


def _text_clause(words: str, backend: str):
    """The link's name, or its customer's (``ws_customers``), contains `words`."""
    customer = exists().where(
        customers.c.link_id == m.link_id,
        _lower(customers.c.name, backend).contains(words, autoescape=True),
    )
    return or_(m.name_lower.contains(words, autoescape=True), customer)


def _status_clause(statuses: tuple[str, ...]):
    """The status the console shows is one of `statuses`: "void" for a void link, else
    Links+'s."""
    own = [s for s in statuses if s != VOID]
    shown = and_(m.status.in_(own), not_(_void())) if own else None
    if VOID not in statuses:
        return shown
    return _void() if shown is None else or_(_void(), shown)


def _age_clauses(key: str, now: datetime) -> list:
    """Made between the bucket's days ago (whole days, as `aging.age_days` counts them; a
    link made in the future is 0 days old)."""
    low, high, _label = BUCKETS[key]
    out = []
    if low > 0:
        out.append(m.created_at <= now - timedelta(days=low))
    if high is not None:
        out.append(m.created_at > now - timedelta(days=high + 1))
    return out


def where(
    team_id: int,
    filters: LinkFilters,
    tz: str | None,
    *,
    backend: str,
    now: datetime | None = None,
) -> list:
    """The WHERE clauses of `filters` for `team_id`'s mirrored links."""
    out = [m.team_id == team_id]
    words = filters.text.strip().lower()
    if words:
        out.append(_text_clause(words, backend))
    if filters.statuses:
        out.append(_status_clause(filters.statuses))
    if filters.template_ids:
        out.append(m.template_id.in_(filters.template_ids))
    if filters.currency:
        out.append(m.currency == filters.currency)
        if filters.amount_min is not None:
            out.append(m.amount >= filters.amount_min)
        if filters.amount_max is not None:
            out.append(m.amount <= filters.amount_max)
    start, end = day_bounds(filters.created_from, filters.created_to, tz)
    if start is not None:
        out.append(m.created_at >= start)
    if end is not None:
        out.append(m.created_at < end)
    if filters.usage in ("single", "multiple"):
        out.append(m.multiple_usage.is_(filters.usage == "multiple"))
    if filters.age in BUCKETS:
        out += [owed_clause(backend), *_age_clauses(filters.age, now or datetime.now(UTC))]
    return out


def _with_lower(conn: Connection) -> Connection:
    """`conn`, with ``py_lower`` (Python's str.lower) known to it on SQLite."""
    if conn.dialect.name == "sqlite":
        raw = conn.connection.driver_connection
        raw.create_function("py_lower", 1, _py_lower, deterministic=True)
    return conn


def _py_lower(value):
    return value.lower() if isinstance(value, str) else value


def _order(sort: str):
    column, descending = SORTS.get(sort, SORTS["newest"])
    keys = (m[column], m.link_id)
    return [k.desc() for k in keys] if descending else [k.asc() for k in keys]


_FRAME_COLUMNS = (
    m.link_id,
    m.name,
    m.status,
    m.template_id,
    m.currency,
    m.amount,
    m.multiple_usage,
    m.created_at,
    m.data,
)


@dataclass(frozen=True)
class LinksQuery:
    """One team's filtered links in the mirror of `engine`, for one reader (`tz`)."""

    engine: Engine
    team_id: int
    filters: LinkFilters = field(default_factory=LinkFilters)
    tz: str | None = None
    sort: str = "newest"
    now: datetime | None = None

    def _where(self) -> list:
        backend = self.engine.dialect.name
        return where(self.team_id, self.filters, self.tz, backend=backend, now=self.now)

    def count(self) -> int:
        """How many links pass the filters."""
        query = select(func.count()).select_from(mirror_links).where(*self._where())
        with self.engine.connect() as conn:
            _with_lower(conn)
            return int(conn.execute(query).scalar_one())

    def page(
        self, number: int = 1, templates: Mapping[int, str] | None = None, rows: int = PAGE_ROWS
    ) -> pd.DataFrame:
        """Page `number` (from 1) of `rows` links, as `links_table.links_frame` makes them."""
        query = (
            select(*_FRAME_COLUMNS)
            .where(*self._where())
            .order_by(*_order(self.sort))
            .limit(rows)
            .offset(max(0, number - 1) * rows)
        )
        with self.engine.connect() as conn:
            _with_lower(conn)
            return frame_of(conn.execute(query).all(), templates or {})

    def chunks(
        self, templates: Mapping[int, str] | None = None, size: int = CSV_CHUNK
    ) -> Iterator[pd.DataFrame]:
        """Every link passing the filters, newest first, `size` at a time: each chunk is
        one query after the last one's (created_at, id), so no query reads the team."""
        after: tuple | None = None
        while True:
            query = select(*_FRAME_COLUMNS).where(*self._where())
            if after is not None:
                query = query.where(tuple_(m.created_at, m.link_id) < after)
            query = query.order_by(m.created_at.desc(), m.link_id.desc()).limit(size)
            with self.engine.connect() as conn:
                _with_lower(conn)
                rows = conn.execute(query).all()
            if rows:
                yield frame_of(rows, templates or {})
            if len(rows) < size:
                return
            after = (rows[-1].created_at, rows[-1].link_id)

    def currencies(self) -> tuple[str, ...]:
        """The currencies of the team's mirrored links (for the currency filter)."""
        query = select(m.currency).where(m.team_id == self.team_id).distinct()
        with self.engine.connect() as conn:
            _with_lower(conn)
            return tuple(sorted(c for c in conn.execute(query).scalars() if c))


def frame_of(rows: list, templates: Mapping[int, str]) -> pd.DataFrame:
    """Mirror rows as the Links page's frame (`links_table.COLUMNS`)."""
    out = []
    for r in rows:
        data = orjson.loads(r.data)
        template = templates.get(r.template_id) or (
            f"Template {r.template_id}" if r.template_id else ""
        )
        out.append(
            (
                r.link_id,
                r.name,
                r.status,
                r.template_id,
                template,
                r.currency,
                int(r.amount),
                display_amount(r.amount, r.currency),
                bool(r.multiple_usage),
                r.created_at,
                data.get("payment_url") or data.get("transaction_url") or "",
                data.get("additional") or "",
            )
        )
    frame = pd.DataFrame(out, columns=COLUMNS)
    frame["id"] = frame["id"].astype("int64")
    frame["amount"] = frame["amount"].astype("int64")
    frame["multiple_usage"] = frame["multiple_usage"].astype(bool)
    frame["template_id"] = pd.array(frame["template_id"], dtype="Int64")
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame
