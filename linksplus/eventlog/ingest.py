"""The write path: event and delivery-log rows applied in bulk, in SQL written per backend.

Why the driver's cursor, and how new events are told from duplicates on each backend:
docs/architecture.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from linksplus.eventlog.counting import counted_sql
from linksplus.eventlog.queries import SUCCESSFUL
from linksplus.eventlog.schema import WRITE_LOCK_KEY
from linksplus.events import MAX_BIGINT, PaymentEvent, storable, summary, validate

EVENT_FIELDS = (
    "event",
    "link_id",
    "payment_id",
    "amount",
    "currency",
    "status",
    "occurred_at",
    "received_at",
    "payload",
    "remote",
)
DELIVERY_FIELDS = ("received_at", "outcome", "reason", "event", "payment_id", "link_id", "remote")
# The delivery log is for looking at recent traffic; a flood of rejected requests must not
# fill the disk. Every PRUNE_EVERY deliveries, rows older than the newest KEEP go.
DELIVERIES_KEEP = 100_000
PRUNE_EVERY = 1_000
# Bound parameters per statement stay far below SQLite's 32,766 and PostgreSQL's 65,535.
MAX_ROWS_PER_STATEMENT = 500
# The most stored events that ``payments`` may lag behind (schema.payments_upto). The
# reads scan that tail by id; the write that passes it moves the whole tail at once.
TAIL_MAX = 5000


@dataclass(slots=True)
class EventWrite:
    """One event row, in EVENT_FIELDS order.

    A stored event is its own ``accepted`` entry in the delivery log. With ``remote`` set
    (it came as a webhook), a duplicate gets a ``duplicate`` row in ``deliveries``.
    """

    values: tuple

    def __reduce__(self) -> tuple:
        # Pickled per event on the way to the webhook worker; the default for a slots
        # dataclass looks its slot names up on every call.
        return EventWrite, (self.values,)


@dataclass(slots=True)
class DeliveryWrite:
    """One delivery-log row, in DELIVERY_FIELDS order."""

    values: tuple

    def __reduce__(self) -> tuple:
        return DeliveryWrite, (self.values,)


class WriteCheck:
    """A write that stores nothing: it rewrites the schema_version row in the batch's
    transaction, so it succeeds only when the database takes writes and commits them
    (not read-only, locked, full or gone). The receiver's health check."""

    def __reduce__(self) -> tuple:
        return WriteCheck, ()


OUTCOMES = ("accepted", "duplicate", "rejected")
# The outcomes with rows of their own in ``deliveries``; an accepted one is its event row.
LOGGED_OUTCOMES = ("duplicate", "rejected")
_REASON_MAX = 500
_REMOTE_MAX = 100


def _clip(value: Any, size: int) -> str | None:
    if value is None:
        return None
    return storable(str(value))[:size]


def payload_text(payload: dict, raw: bytes | str | None) -> str:
    """The payload as stored: the body as received when it is UTF-8, else re-encoded."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raw = None
    # The raw text keeps the sender's exact bytes; a JSON string cannot hold a bare NUL.
    if isinstance(raw, str) and "\x00" not in raw:
        return raw
    return json.dumps(payload, separators=(",", ":"))


def event_write(
    payload: dict | PaymentEvent,
    raw: bytes | str | None = None,
    remote: str | None = None,
    received_at: datetime | None = None,
) -> EventWrite:
    """The write that stores one payload (validated; PayloadError when not).

    `remote`, the sender's address, makes it a delivery: logged as ``duplicate`` when the
    event is already stored (a stored event is its own ``accepted`` entry).
    """
    parsed = payload if isinstance(payload, PaymentEvent) else validate(payload)
    return EventWrite(
        (
            parsed.event,
            parsed.link_id,
            parsed.payment_id,
            parsed.amount,
            parsed.currency,
            parsed.status,
            parsed.occurred_at,
            received_at or datetime.now(UTC),
            payload_text(parsed.payload, raw),
            _clip(remote, _REMOTE_MAX),
        )
    )


def delivery_write(
    outcome: str,
    reason: Any = None,
    event: Any = None,
    payment_id: Any = None,
    link_id: Any = None,
    remote: Any = None,
    received_at: datetime | None = None,
) -> DeliveryWrite:
    """A delivery-log row for an attempt that stored nothing, every value clipped to fit."""
    if outcome not in LOGGED_OUTCOMES:
        raise ValueError(
            f"outcome must be one of {LOGGED_OUTCOMES}, not {outcome!r}"
            + (
                ": an accepted delivery is its event; record the event"
                if outcome == "accepted"
                else ""
            )
        )
    if isinstance(link_id, bool) or not isinstance(link_id, int) or link_id > MAX_BIGINT:
        link_id = None
    return DeliveryWrite(
        (
            received_at or datetime.now(UTC),
            outcome,
            _clip(reason, _REASON_MAX),
            _clip(event, 100),
            _clip(payment_id, 255),
            link_id,
            _clip(remote, _REMOTE_MAX),
        )
    )


def rejected_write(
    reason: str, data: Any = None, remote: str | None = None, received_at: datetime | None = None
) -> DeliveryWrite:
    """The delivery-log row of a rejected delivery, with what can be read of its `data`."""
    return delivery_write(
        "rejected", reason, remote=remote, received_at=received_at, **summary(data)
    )


def _sqlite_time(value: datetime) -> str:
    # The exact text SQLAlchemy's SQLite DateTime writes (naive UTC), so reads and range
    # filters through Core see one format. %-formatting on purpose: isoformat() of an aware
    # datetime, or an f-string, costs half as much again, and this runs for every event.
    v = value if value.tzinfo is UTC else value.astimezone(UTC)
    return "%04d-%02d-%02d %02d:%02d:%02d.%06d" % (  # noqa: UP031
        v.year,
        v.month,
        v.day,
        v.hour,
        v.minute,
        v.second,
        v.microsecond,
    )


_PAYMENT_FIELDS = "payment_id, link_id, occurred_at, status, amount, currency"


def _sources(backend: str, new_events: str, source: str | None) -> tuple[str, str]:
    where = f"WHERE ({new_events}) AND {counted_sql(backend)}"
    if source is None:
        # SQLite, left to itself, reads every payment.completed event through the unique
        # (event, payment_id) index instead of the batch's few rows by rowid.
        source = "events NOT INDEXED" if backend == "sqlite" else "events"
    return source, where


def derived_rows_sql(backend: str, new_events: str, source: str | None = None) -> list[str]:
    """The statements that bring ``payments`` and ``link_changes`` up to date with the
    events of `source` (the ``events`` table unless given, read as ``events``) matching
    the SQL condition `new_events` (a batch's, or every one)."""
    source, where = _sources(backend, new_events, source)
    # PostgreSQL refuses to update one row twice in a statement: one event per payment
    # first (there is one today: only payment.completed counts, stored once per payment).
    distinct = "DISTINCT ON (payment_id) " if backend == "postgresql" else ""
    order = " ORDER BY payment_id, occurred_at DESC, id DESC" if distinct else ""
    newer = "(excluded.occurred_at, excluded.event_id) > (payments.occurred_at, payments.event_id)"
    return [
        f"INSERT INTO payments ({_PAYMENT_FIELDS}, event_id) "
        f"SELECT {distinct}{_PAYMENT_FIELDS}, id FROM {source} {where}{order} "
        "ON CONFLICT (payment_id) DO UPDATE SET link_id = excluded.link_id, "
        "occurred_at = excluded.occurred_at, status = excluded.status, "
        "amount = excluded.amount, currency = excluded.currency, "
        f"event_id = excluded.event_id WHERE {newer}",
        # Ordered by link: two PostgreSQL writers lock the rows in one order, no deadlock.
        "INSERT INTO link_changes (link_id, changes) "
        f"SELECT link_id, COUNT(*) FROM {source} {where} GROUP BY link_id ORDER BY link_id "
        "ON CONFLICT (link_id) DO UPDATE SET changes = link_changes.changes + excluded.changes",
    ]


def local_day_sql(backend: str, column: str, minutes: str) -> str:
    """SQL: the calendar day of the UTC time `column`, `minutes` east of UTC (SQL too)."""
    if backend == "sqlite":
        return f"date({column}, ({minutes}) || ' minutes')"
    return f"CAST(({column} AT TIME ZONE 'UTC') + make_interval(mins => {minutes}) AS DATE)"


def day_rows_sql(backend: str, table: str, new_rows: str, minutes: int | None = None) -> str:
    """The statement that adds the rows of `table` (``events``, whose counted ones are
    payments not in ``payments`` yet, or ``payments`` itself) matching `new_rows` to
    ``payment_days``: at `minutes` only, or at every offset in ``day_offsets``.

    Adding is right because a payment is moved once: it has one counted event (only
    ``payment.completed`` counts, stored once per payment), so no row moved before
    changes."""
    if table == "events":
        source, where = _sources(backend, new_rows, None)
    else:
        source, where = table, f"WHERE ({new_rows})"
    offsets = (
        "day_offsets AS o" if minutes is None else f"(SELECT {int(minutes)} AS utc_offset) AS o"
    )
    day = local_day_sql(backend, "occurred_at", "o.utc_offset")
    # The halves of a positive amount, without "%" (a placeholder to PostgreSQL's driver).
    high = "amount / 4294967296"
    low = f"amount - {high} * 4294967296"
    return (
        "INSERT INTO payment_days (utc_offset, link_id, day, currency, status, payments, "
        "amount_high, amount_low) "
        f"SELECT o.utc_offset, link_id, {day}, currency, status, COUNT(*), "
        f"SUM({high}), SUM({low}) FROM {source} CROSS JOIN {offsets} {where} "
        f"GROUP BY o.utc_offset, link_id, {day}, currency, status "
        # Ordered by key: two PostgreSQL writers lock the rows in one order, no deadlock.
        f"ORDER BY o.utc_offset, link_id, {day}, currency, status "
        "ON CONFLICT (utc_offset, link_id, day, currency, status) DO UPDATE SET "
        "payments = payment_days.payments + excluded.payments, "
        "amount_high = payment_days.amount_high + excluded.amount_high, "
        "amount_low = payment_days.amount_low + excluded.amount_low"
    )


def paid_link_rows_sql(backend: str, table: str, new_rows: str) -> str:
    """The statement that adds the successful payments among the rows of `table` (as in
    `day_rows_sql`) matching `new_rows` to ``payment_links``: per link and currency, the
    count, the amount's 32-bit halves and the earliest time. Adding is right for the same
    reason as there: a payment is moved once."""
    if table == "events":
        source, where = _sources(backend, new_rows, None)
    else:
        source, where = table, f"WHERE ({new_rows})"
    high = "amount / 4294967296"
    low = f"amount - {high} * 4294967296"
    earlier = "MIN" if backend == "sqlite" else "LEAST"  # of two values
    return (
        "INSERT INTO payment_links (link_id, currency, payments, amount_high, amount_low, "
        f"first_paid_at) SELECT link_id, currency, COUNT(*), SUM({high}), SUM({low}), "
        f"MIN(occurred_at) FROM {source} {where} AND status = '{SUCCESSFUL}' "
        # Ordered by key: two PostgreSQL writers lock the rows in one order, no deadlock.
        "GROUP BY link_id, currency ORDER BY link_id, currency "
        "ON CONFLICT (link_id, currency) DO UPDATE SET "
        "payments = payment_links.payments + excluded.payments, "
        "amount_high = payment_links.amount_high + excluded.amount_high, "
        "amount_low = payment_links.amount_low + excluded.amount_low, "
        f"first_paid_at = {earlier}(payment_links.first_paid_at, excluded.first_paid_at)"
    )


def _with_changes(insert_events: str) -> str:
    """PostgreSQL: `insert_events` and the upkeep of ``link_changes`` for its new rows as
    ONE statement (one round trip per batch), answering the new events' keys and ids, and
    the mark (``payments_upto``) with each."""
    changes_sql = derived_rows_sql("postgresql", "TRUE", "new AS events")[1]
    return (
        f"WITH new AS ({insert_events} RETURNING *), new_changes AS ({changes_sql}) "
        "SELECT event, payment_id, id, (SELECT upto FROM payments_upto) FROM new"
    )


def _chunks(rows: list[tuple]) -> list[list[tuple]]:
    return [
        rows[i : i + MAX_ROWS_PER_STATEMENT] for i in range(0, len(rows), MAX_ROWS_PER_STATEMENT)
    ]


class BulkWriter:
    """Applies a batch of EventWrite / DeliveryWrite items on one open connection.

    Used by one writing thread at a time, so its caches and prune counter need no lock.
    """

    def __init__(self, backend: str):
        self.backend = backend
        self._sqlite = backend == "sqlite"
        self._mark = "?" if self._sqlite else "%s"
        self._time = _sqlite_time if self._sqlite else (lambda value: value)
        self._sql: dict[tuple[str, int], str] = {}
        self._prune = (
            f"DELETE FROM deliveries WHERE id <= "
            f"(SELECT MAX(id) FROM deliveries) - {DELIVERIES_KEEP}"
        )
        self._deliveries_written = 0
        # Moving the tail: into payments, and payment_days; (SQLite) link_changes' upkeep,
        # each batch (PostgreSQL's is in the insert's statement).
        after = f"events.id > {self._mark}"
        self._payments_sql, self._changes_sql = derived_rows_sql(backend, after)
        self._days_sql = day_rows_sql(backend, "events", after)
        self._paid_links_sql = paid_link_rows_sql(backend, "events", after)
        # id(received_at) -> its text, within one batch (the objects are alive meanwhile).
        self._formatted: dict[int, str] = {}

    def _statement(self, kind: str, rows: int) -> str:
        """The SQL of `kind` for `rows` rows, built once per size (batch sizes repeat)."""
        sql = self._sql.get((kind, rows))
        if sql is not None:
            return sql
        if kind == "existing":
            # A join, not "(event, payment_id) IN (VALUES ...)": SQLite scans the whole
            # table for the IN form, and searches the unique index for the join.
            pairs = ", ".join([f"({self._mark}, {self._mark})"] * rows)
            sql = (
                f"SELECT e.event, e.payment_id, e.id FROM (VALUES {pairs}) AS k "
                "JOIN events AS e ON e.event = k.column1 AND e.payment_id = k.column2"
            )
        else:
            table, fields = (
                ("events", EVENT_FIELDS) if kind == "events" else ("deliveries", DELIVERY_FIELDS)
            )
            row = f"({', '.join([self._mark] * len(fields))})"
            sql = f"INSERT INTO {table} ({', '.join(fields)}) VALUES " + ", ".join([row] * rows)
            if kind == "events":
                sql += " ON CONFLICT (event, payment_id) DO NOTHING"
                if not self._sqlite:
                    sql = _with_changes(sql)
        if len(self._sql) < 256:
            self._sql[(kind, rows)] = sql
        return sql

    def _insert_events(self, cursor: Any, events: list[EventWrite]) -> list[bool]:
        """Insert the batch's events; per event True (new) or False (duplicate)."""
        first: dict[tuple[str, str], int] = {}
        rows: list[tuple] = []
        for i, item in enumerate(events):
            values = item.values
            key = (values[0], values[2])
            if key in first:
                continue  # a second delivery in this batch: the first one decides
            first[key] = i
            received_at = self._time(values[7])
            self._formatted[id(values[7])] = received_at  # a duplicate's row reuses it
            rows.append((*values[:6], self._time(values[6]), received_at, *values[8:]))
        new: set[int] = set()
        since: int | None = None  # SQLite: every id above it is this batch's
        last = 0
        upto: int | None = None  # PostgreSQL: the mark, as the insert read it
        locked = self._sqlite  # SQLite's write lock is the transaction's (BEGIN IMMEDIATE)
        for chunk in _chunks(rows):
            if self._sqlite:
                cursor.execute(
                    self._statement("events", len(chunk)), [v for row in chunk for v in row]
                )
                inserted = cursor.rowcount
                if inserted == len(chunk):
                    new.update(first[(row[0], row[2])] for row in chunk)
                elif inserted:
                    new.update(first[key] for key in self._new_keys(cursor, chunk, inserted))
                if inserted and since is None:
                    since = cursor.lastrowid - inserted
                if inserted:
                    last = cursor.lastrowid
            else:
                sql = self._statement("events", len(chunk))
                values = [v for row in chunk for v in row]
                if locked:
                    cursor.execute(sql, values)
                else:
                    # Number and commit events in order, one writer at a time
                    # (schema.payments_upto): the lock first, in the insert's round trip.
                    with cursor.connection.pipeline():
                        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,))
                        cursor.execute(sql, values)
                    locked = True
                for event, payment_id, row_id, mark in cursor.fetchall():
                    new.add(first[(event, payment_id)])
                    last, upto = max(last, row_id), mark
        if since is not None:
            cursor.execute(self._changes_sql, (since,))
        if last:
            self._move_tail(cursor, last, upto)
        return [i in new for i in range(len(events))]

    def _move_tail(self, cursor: Any, last: int, upto: int | None = None) -> None:
        """Once more than TAIL_MAX events (up to id `last`) are not in ``payments``, move
        them all into it, ``payment_days`` and ``payment_links``, in this transaction: one
        statement for thousands of events touches each page of the (link, time) index once,
        where a statement per batch would touch it once per batch."""
        if upto is None:
            cursor.execute("SELECT upto FROM payments_upto")
            (upto,) = cursor.fetchone()
        if last - upto > TAIL_MAX:
            cursor.execute(self._payments_sql, (upto,))
            cursor.execute(self._days_sql, (upto,))
            cursor.execute(self._paid_links_sql, (upto,))
            cursor.execute(f"UPDATE payments_upto SET upto = {self._mark}", (last,))

    def _new_keys(self, cursor: Any, chunk: list[tuple], inserted: int) -> list[tuple]:
        """SQLite, when only some of `chunk` was new: the keys of the `inserted` new rows."""
        last = cursor.lastrowid
        cursor.execute(
            self._statement("existing", len(chunk)), [v for row in chunk for v in (row[0], row[2])]
        )
        keys = [
            (event, payment_id)
            for event, payment_id, row_id in cursor.fetchall()
            if row_id > last - inserted
        ]
        if len(keys) != inserted:
            # Not numbered as expected: fail the batch; the writer retries item by item.
            raise RuntimeError("could not tell the new events of a batch from the old")
        return keys

    def _insert_deliveries(self, cursor: Any, rows: list[tuple]) -> None:
        for chunk in _chunks(rows):
            cursor.execute(
                self._statement("deliveries", len(chunk)), [v for row in chunk for v in row]
            )
        before = self._deliveries_written // PRUNE_EVERY
        self._deliveries_written += len(rows)
        if self._deliveries_written // PRUNE_EVERY != before:
            cursor.execute(self._prune)

    def apply(self, dbapi_conn: Any, items: list) -> list[Any]:
        """Write `items` on the driver's connection, in its open transaction (the caller
        commits); per item True/False (event new/duplicate) or None (delivery, check)."""
        cursor = dbapi_conn.cursor()
        try:
            if self._sqlite and not dbapi_conn.in_transaction:
                # Take the write lock now: the existence check and the insert then see the
                # same table, and a second process waits here (busy_timeout) instead of
                # failing on a read-to-write upgrade.
                cursor.execute("BEGIN IMMEDIATE")
            events = [item for item in items if isinstance(item, EventWrite)]
            news = iter(self._insert_events(cursor, events))
            results, deliveries = [], []
            for item in items:
                if isinstance(item, EventWrite):
                    new = next(news)
                    results.append(new)
                    event, link_id, payment_id, *_, received_at, _, remote = item.values
                    if not new and remote is not None:
                        text = self._formatted.get(id(received_at)) or self._time(received_at)
                        deliveries.append(
                            (text, "duplicate", None, event, payment_id, link_id, remote)
                        )
                elif isinstance(item, WriteCheck):
                    results.append(None)
                    cursor.execute("UPDATE schema_version SET version = version")
                else:
                    results.append(None)
                    received_at, *rest = item.values
                    deliveries.append((self._time(received_at), *rest))
            if deliveries:
                self._insert_deliveries(cursor, deliveries)
            return results
        finally:
            self._formatted.clear()
            cursor.close()
