"""`EventLog`: record payment webhooks exactly once, and read them back for reports."""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, not_, select, text

from linksplus.config import DEFAULT_EVENTLOG_URL
from linksplus.eventlog import counting, frames, queries
from linksplus.eventlog.engine import backend_name, make_engine
from linksplus.eventlog.ingest import BulkWriter, delivery_write, event_write
from linksplus.eventlog.schema import (
    WRITE_LOCK_KEY,
    SchemaOnce,
    count_days,
    day_offsets,
    deliveries,
    events,
    payments_upto,
)
from linksplus.eventlog.writer import GroupCommitWriter

NOT_COUNTED = "stored, not counted: "


def _not_counted(event, amount, currency, occurred_at, received_at) -> str | None:
    """The Webhook log's reason for a stored event that reports do not count."""
    why = counting.not_counted(event, amount, currency, occurred_at, received_at)
    return None if why is None else NOT_COUNTED + why


# How many rows of figures of the moved payments an EventLog keeps, all reads together
# (see `_summed`): a few MB. A year's daily figures are 365 x currencies rows; a team's
# per-link figures, links x currencies x statuses.
KEPT_ROWS = 100_000


def _id_key(link_ids: Iterable[int] | None) -> tuple[int, ...] | None:
    return None if link_ids is None else tuple(int(i) for i in link_ids)


def _fetch(conn, query) -> list:
    result = conn.execute(query)
    return queries.merge_sums(list(result.keys()), result.all())


def _combined(rows: Iterable[tuple], groups: int) -> list[tuple]:
    """`rows` with equal groups (their first `groups` columns) made one by adding the
    rest, ordered by group."""
    totals: dict[tuple, list[int]] = {}
    for row in rows:
        values = totals.setdefault(tuple(row[:groups]), [0] * (len(row) - groups))
        for i, value in enumerate(row[groups:]):
            values[i] += int(value)
    return [(*group, *values) for group, values in sorted(totals.items())]


class EventLog:
    """The event log at `url` (``sqlite:///file`` or ``postgresql+psycopg://...``).

    Safe to share between threads: one engine with pooled connections for reads, and one
    writer thread that commits writes in batches (see `writer`). The schema is made on first
    use, so constructing an EventLog never touches the database. (The webhook receiver
    writes from its own worker process, with the same write path: see `ingest`.)
    """

    def __init__(self, url: str = DEFAULT_EVENTLOG_URL):
        self.url = str(url)
        self.backend = backend_name(self.url)
        self.engine = make_engine(self.url)
        self._ready = SchemaOnce(self.engine)
        self._kept: OrderedDict[tuple, tuple[int, list]] = OrderedDict()
        self._kept_lock = threading.Lock()
        self._writer = GroupCommitWriter(
            self.engine, BulkWriter(self.backend).apply, prepare=self._ready
        )

    def __repr__(self) -> str:
        return f"EventLog({self.engine.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        """Commit what was submitted, then release every connection."""
        self._writer.close()
        self.engine.dispose()

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------------

    def record(self, payload: dict, *, remote: str | None = None) -> bool:
        """Store one webhook payload; True when new, False when (event, payment.id) exists.

        The row is committed when this returns. PayloadError (ValueError) when invalid.
        `remote`: the sender's address, when it came as a webhook (see `ingest.event_write`).
        """
        return self._writer.run(event_write(payload, remote=remote))

    def record_delivery(
        self,
        outcome: str,
        reason: str | None = None,
        event: Any = None,
        payment_id: Any = None,
        link_id: Any = None,
        remote: str | None = None,
    ) -> None:
        """Log a delivery attempt that stored nothing: ``duplicate`` or ``rejected``."""
        self._writer.run(delivery_write(outcome, reason, event, payment_id, link_id, remote))

    def add_day_offset(self, minutes: int) -> bool:
        """Keep the per-day figures (``payment_days``) at `minutes` east of UTC too,
        counting every payment so far: reports of that offset's days then read them.
        False when they were kept at it already."""
        if isinstance(minutes, bool) or not isinstance(minutes, int) or abs(minutes) > 18 * 60:
            raise ValueError("the UTC offset must be a whole number of minutes within ±1080")
        self._ready()
        with self.engine.connect() as conn:
            if self.backend == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # no write may move payments meanwhile
            else:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK_KEY})
            found = conn.execute(
                select(day_offsets.c.utc_offset).where(day_offsets.c.utc_offset == minutes)
            ).first()
            if found is None:
                conn.execute(day_offsets.insert().values(utc_offset=minutes))
                count_days(conn, minutes)
            conn.commit()
        return found is None

    def day_offsets(self) -> list[int]:
        """The UTC offsets (minutes) the per-day figures are kept at."""
        return sorted(int(row[0]) for row in self._rows(select(day_offsets.c.utc_offset)))

    # -- reading -------------------------------------------------------------------------

    def _rows(self, query) -> list:
        self._ready()
        with self.engine.connect() as conn:
            return _fetch(conn, query)

    def _snapshot(self, conn) -> tuple[Any, int]:
        """`conn` in a transaction that sees one snapshot for every statement, and the mark
        (``payments_upto``) in it."""
        if self.backend == "sqlite":
            conn.exec_driver_sql("BEGIN")
        else:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        return conn, int(conn.execute(select(payments_upto.c.upto)).scalar_one())

    def read_at_mark(self, build: Callable[[int], Any]) -> list[tuple]:
        """The rows of the query `build(upto)` (given the mark, for the `queries` that take
        ``upto``), read in the mark's snapshot, `queries.exact_sum` pairs merged."""
        self._ready()
        with self.engine.connect() as conn:
            conn, upto = self._snapshot(conn)
            return _fetch(conn, build(upto))

    def _summed(
        self,
        query: Callable[[str, list[int], int], Any],
        groups: int,
        key: tuple,
    ) -> list[tuple]:
        """The rows of an aggregate `query(part, offsets, upto)` (its first `groups`
        columns the group, the rest counts and sums; `offsets` those ``payment_days`` is
        kept at; `upto` the mark), ordered by the group: the sum of `_parts`."""
        _upto, kept, tail = self._parts(query, key)
        if not tail:
            return kept
        return _combined(itertools.chain(kept, tail), groups)

    def _parts(
        self, query: Callable[[str, list[int], int], Any], key: tuple
    ) -> tuple[int, list[tuple], list[tuple]]:
        """The mark and the two parts of an aggregate, read in one snapshot: the payments
        moved into ``payments``, whose rows are kept under `key` until the mark moves
        (every few thousand events: a new payment costs the tail's few rows, not a
        year's), and the tail after it."""
        self._ready()
        with self.engine.connect() as conn:
            conn, upto = self._snapshot(conn)  # one snapshot for the mark and both parts
            with self._kept_lock:
                kept = self._kept.get(key)
            if kept is None or kept[0] != upto:
                offsets = list(conn.execute(select(day_offsets.c.utc_offset)).scalars())
                kept = (upto, _fetch(conn, query("moved", offsets, upto)))
                with self._kept_lock:
                    self._kept.pop(key, None)
                    self._kept[key] = kept
                    while sum(len(rows) for _, rows in self._kept.values()) > KEPT_ROWS:
                        self._kept.popitem(last=False)  # the oldest first
            tail = _fetch(conn, query("tail", [], upto))
        return upto, kept[1], tail

    def count(self) -> int:
        """How many distinct events are stored."""
        return int(self._rows(select(func.count()).select_from(events))[0][0])

    def _event_query(self, columns: dict, start, end, link_ids):
        query = select(*(events.c[name] for name in columns))
        query = queries.time_range(query, events.c.occurred_at, start, end)
        query = queries.only_links(query, events.c.link_id, link_ids)
        return query.order_by(events.c.occurred_at, events.c.id)

    # Every read takes `link_ids`: only the events of those links (say, one team's, or one
    # link's), bound as a single parameter however many ids there are. None: every link.

    def events(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        link_ids: Iterable[int] | None = None,
    ) -> pd.DataFrame:
        """Stored events with start <= occurred_at < end, oldest first."""
        cols = frames.EVENT_COLUMNS
        return frames.to_frame(self._rows(self._event_query(cols, start, end, link_ids)), cols)

    def export(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        link_ids: Iterable[int] | None = None,
    ) -> pd.DataFrame:
        """Like `events`, plus ``payload``: the JSON text as received, unknown fields kept."""
        cols = frames.EXPORT_COLUMNS
        return frames.to_frame(self._rows(self._event_query(cols, start, end, link_ids)), cols)

    def payments(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        link_ids: Iterable[int] | None = None,
        *,
        limit: int | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> pd.DataFrame:
        """One row per payment, newest first: its latest counted event, the row every total
        below counts (a payment reported pending, then successful, is one row). With
        `limit`, one page: at most `limit` rows older than `before`, the (occurred_at,
        payment_id) of the last row of the previous page."""
        self._ready()
        with self.engine.connect() as conn:
            conn, upto = self._snapshot(conn)
            query = queries.latest_payments(
                start, end, link_ids, limit=limit, before=before, backend=self.backend, upto=upto
            )
            rows = _fetch(conn, query)
        return frames.to_frame(rows, frames.PAYMENT_COLUMNS)

    def iter_payments(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        link_ids: Iterable[int] | None = None,
        chunk_rows: int = 10_000,
    ) -> Iterator[pd.DataFrame]:
        """The same rows as `payments`, as frames of at most `chunk_rows`, streamed from one
        query (a server-side cursor on PostgreSQL): never the whole window in memory."""
        self._ready()
        with self.engine.connect() as conn:
            conn, upto = self._snapshot(conn)
            query = queries.latest_payments(start, end, link_ids, backend=self.backend, upto=upto)
            result = conn.execution_options(yield_per=chunk_rows).execute(query)
            for part in result.partitions():
                yield frames.to_frame(part, frames.PAYMENT_COLUMNS)

    def changes(self, link_ids: Iterable[int] | None = None) -> int:
        """A number that moves whenever a payment of `link_ids` is stored or changes (a few
        primary-key reads): compare it with the last one seen before reading anything."""
        return int(self._rows(queries.changes(link_ids))[0][0])

    def totals_by_currency(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        link_ids: Iterable[int] | None = None,
        *,
        by_status: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Per currency: successful amount and count, failed count, payments, success rate
        (worked out from `totals_by_status`, or from its frame `by_status` when given)."""
        if by_status is None:
            by_status = self.totals_by_status(start, end, link_ids)
        totals: dict[str, list[int]] = {}
        for currency, status, count, amount in by_status.itertuples(index=False):
            row = totals.setdefault(currency, [0, 0, 0, 0])
            if status == queries.SUCCESSFUL:
                row[0], row[1] = int(amount), int(count)
            elif status == queries.FAILED:
                row[2] = int(count)
            row[3] += int(count)
        rows = [
            (currency, *row, row[1] / row[3] if row[3] else 0.0)
            for currency, row in sorted(totals.items())
        ]
        return frames.to_frame(rows, frames.CURRENCY_COLUMNS)

    def _link_status(
        self, start, end, link_ids, minutes: int = 0
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """`totals_by_status` and `totals_by_link`, from one query (sums as Python ints:
        exact however large). `minutes`: the UTC offset whose days the window's bounds
        are likely to fall on (the days of ``payment_days`` at it serve best)."""
        status: dict[tuple, list[int]] = {}
        links: dict[tuple, list[int]] = {}
        ids = _id_key(link_ids)

        def query(part: str, offsets: list[int], upto: int):
            return queries.by_link_status(
                start,
                end,
                ids,
                backend=self.backend,
                part=part,
                minutes=minutes,
                offsets=offsets,
                upto=upto,
            )

        for link_id, currency, state, count, amount in self._summed(
            query, 3, ("by_link_status", start, end, ids)
        ):
            count, amount = int(count), int(amount)
            total = status.setdefault((currency, state), [0, 0])
            total[0] += count
            total[1] += amount
            link = links.setdefault((link_id, currency), [0, 0, 0])
            if state == queries.SUCCESSFUL:
                link[0], link[1] = link[0] + count, link[1] + amount
            elif state == queries.FAILED:
                link[2] += count
        return (
            frames.to_frame(
                [(*key, *value) for key, value in sorted(status.items())], frames.STATUS_COLUMNS
            ),
            frames.to_frame(
                [(*key, *value) for key, value in sorted(links.items())], frames.LINK_COLUMNS
            ),
        )

    def paid_by_link(
        self, link_ids: Iterable[int] | None = None
    ) -> tuple[int, list[tuple], list[tuple]]:
        """Per link and currency (of `link_ids`, when given): successful payments, their
        amount (an exact int of minor units) and the first one's time, in two parts to add
        up: (mark, moved, tail). The moved payments' figures come from ``payment_links``
        and are kept (the same list) until the mark moves, so after a new payment only the
        tail is read."""
        ids = _id_key(link_ids)

        def query(part: str, offsets: list[int], upto: int):
            return queries.paid_by_link(ids, backend=self.backend, part=part, upto=upto)

        return self._parts(query, ("paid_by_link", ids))

    def totals_by_status(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        link_ids: Iterable[int] | None = None,
    ) -> pd.DataFrame:
        """Per currency and status: how many payments and their total amount."""
        return self._link_status(start, end, link_ids)[0]

    def daily_totals(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        utc_offset_minutes: int = 0,
        link_ids: Iterable[int] | None = None,
    ) -> pd.DataFrame:
        """Successful amount and count per day (as seen at `utc_offset_minutes`) and currency."""
        ids = _id_key(link_ids)

        def query(part: str, offsets: list[int], upto: int):
            offset = utc_offset_minutes
            return queries.daily(
                start,
                end,
                offset,
                ids,
                backend=self.backend,
                part=part,
                offsets=offsets,
                upto=upto,
            )

        key = ("daily", start, end, utc_offset_minutes, ids)
        return frames.to_frame(self._summed(query, 2, key), frames.DAILY_COLUMNS)

    def totals_by_link(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        link_ids: Iterable[int] | None = None,
    ) -> pd.DataFrame:
        """Per link and currency: paid count and amount (successful), failed count."""
        return self._link_status(start, end, link_ids)[1]

    def report(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        utc_offset_minutes: int = 0,
        link_ids: Iterable[int] | None = None,
    ) -> dict[str, pd.DataFrame]:
        """The Payments page's figures in two passes over the window's payments:
        ``by_status``, ``by_currency``, ``by_link`` and ``daily`` (as the methods of those
        names give them)."""
        by_status, by_link = self._link_status(start, end, link_ids, utc_offset_minutes)
        return {
            "by_status": by_status,
            "by_currency": self.totals_by_currency(by_status=by_status),
            "by_link": by_link,
            "daily": self.daily_totals(start, end, utc_offset_minutes, link_ids),
        }

    def delivery_counts(self) -> pd.DataFrame:
        """How many deliveries had each outcome (outcomes never seen are left out)."""
        logged = select(deliveries.c.outcome, func.count()).group_by(deliveries.c.outcome)
        counts = dict(self._rows(logged))
        counts["accepted"] = self.count()  # every stored event was once accepted
        rows = [(outcome, counts[outcome]) for outcome in sorted(counts) if counts[outcome]]
        return frames.to_frame(rows, frames.DELIVERY_COUNT_COLUMNS)

    def deliveries(self, limit: int = 500) -> pd.DataFrame:
        """The latest `limit` delivery attempts, newest first: stored events (accepted)
        and the attempts that stored nothing, merged by the time they arrived. An accepted
        event that reports do not count has the reason as ``reason``, starting with
        NOT_COUNTED."""
        cols = frames.DELIVERY_COLUMNS
        limit = max(0, int(limit))
        # Newest by id in each table (its primary key: no scan), then merged here.
        accepted = (
            select(
                events.c.received_at,
                events.c.event,
                events.c.payment_id,
                events.c.link_id,
                events.c.remote,
                events.c.amount,
                events.c.currency,
                events.c.occurred_at,
            )
            .order_by(events.c.id.desc())
            .limit(limit)
        )
        logged = (
            select(*(deliveries.c[name] for name in cols))
            .order_by(deliveries.c.id.desc())
            .limit(limit)
        )
        stored = []
        for received, event, payment_id, link_id, remote, *money in self._rows(accepted):
            why = _not_counted(event, *money, received)
            stored.append((received, "accepted", why, event, payment_id, link_id, remote))
        rows = heapq.merge(stored, self._rows(logged), key=lambda row: row[0], reverse=True)
        return frames.to_frame(itertools.islice(rows, limit), cols)

    def not_counted(self) -> int:
        """How many stored events reports do not count (see `counting`)."""
        query = select(func.count()).select_from(events).where(not_(counting.counted()))
        return int(self._rows(query)[0][0])

    def health(self) -> dict[str, Any]:
        """``{"ok", "backend", "events"}``; ok False with an ``error`` when unreachable."""
        try:
            return {"ok": True, "backend": self.backend, "events": self.count()}
        except Exception as exc:  # a health check reports, it does not raise
            return {
                "ok": False,
                "backend": self.backend,
                "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}",
            }
