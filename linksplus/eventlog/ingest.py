"""The write path: event and delivery-log rows applied in bulk, in SQL written per backend.

Why the driver's cursor and not Core statements here: measured in the receiver, one Core
``execute`` costs about 90 µs a row, more than parsing, checking and answering the request
together; the driver's own cursor, on the same connection and inside the same SQLAlchemy
transaction, costs a few µs. The schema, the reads and the reports stay in Core.

A batch's events go in one multi-row ``INSERT ... ON CONFLICT DO NOTHING RETURNING event,
payment_id`` (SQLite 3.35+ and PostgreSQL alike): the keys that come back are the new ones,
every other is a duplicate. Two deliveries of one event in the same batch are told apart in
Python first: the first is inserted (or found a duplicate), the second is a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

EVENT_FIELDS = ("event", "link_id", "payment_id", "amount", "currency", "status",
                "occurred_at", "received_at", "payload")
DELIVERY_FIELDS = ("received_at", "outcome", "reason", "event", "payment_id", "link_id",
                   "remote")
# The delivery log is for looking at recent traffic; a flood of rejected requests must not
# fill the disk. Every PRUNE_EVERY deliveries, rows older than the newest KEEP go.
DELIVERIES_KEEP = 100_000
PRUNE_EVERY = 1_000
# Bound parameters per statement stay far below SQLite's 32,766 and PostgreSQL's 65,535.
MAX_ROWS_PER_INSERT = 500


@dataclass(slots=True)
class EventWrite:
    """One event row (EVENT_FIELDS order) and, optionally, its delivery-log row.

    `delivery` is in DELIVERY_FIELDS order with outcome None: it becomes ``accepted`` or
    ``duplicate`` once the insert tells which.
    """

    values: tuple
    delivery: tuple | None = None


@dataclass(slots=True)
class DeliveryWrite:
    """One delivery-log row, in DELIVERY_FIELDS order."""

    values: tuple


def _sqlite_time(value: datetime) -> str:
    # The exact text SQLAlchemy's SQLite DateTime writes (naive UTC), so reads and range
    # filters through Core see one format. Slicing off "+00:00" is cheaper than replace().
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(sep=" ", timespec="microseconds")[:26]


class BulkWriter:
    """Applies a batch of EventWrite / DeliveryWrite items on one open connection.

    Used only from the writer thread, so its prune counter needs no lock.
    """

    def __init__(self, backend: str):
        self.backend = backend
        self._mark = "?" if backend == "sqlite" else "%s"
        self._event_row_sql = f"({', '.join([self._mark] * len(EVENT_FIELDS))})"
        self._insert_events_sql: dict[int, str] = {}
        self._insert_delivery = (
            f"INSERT INTO deliveries ({', '.join(DELIVERY_FIELDS)}) "
            f"VALUES ({', '.join([self._mark] * len(DELIVERY_FIELDS))})")
        self._prune = (f"DELETE FROM deliveries WHERE id <= "
                       f"(SELECT MAX(id) FROM deliveries) - {DELIVERIES_KEEP}")
        self._time = _sqlite_time if backend == "sqlite" else (lambda value: value)
        self._deliveries_written = 0

    def _events_sql(self, rows: int) -> str:
        sql = self._insert_events_sql.get(rows)
        if sql is None:
            sql = (f"INSERT INTO events ({', '.join(EVENT_FIELDS)}) VALUES "
                   + ", ".join([self._event_row_sql] * rows)
                   + " ON CONFLICT (event, payment_id) DO NOTHING RETURNING event, payment_id")
            if len(self._insert_events_sql) < 64:  # batch sizes repeat; keep the common ones
                self._insert_events_sql[rows] = sql
        return sql

    def _delivery_row(self, values: tuple, outcome: str | None = None) -> tuple:
        received_at, stored_outcome, *rest = values
        return (self._time(received_at), outcome or stored_outcome, *rest)

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
            rows.append((*values[:6], self._time(values[6]), self._time(values[7]),
                         values[8]))
        inserted: set[int] = set()
        for start in range(0, len(rows), MAX_ROWS_PER_INSERT):
            chunk = rows[start:start + MAX_ROWS_PER_INSERT]
            cursor.execute(self._events_sql(len(chunk)), [v for row in chunk for v in row])
            inserted.update(first[key] for key in cursor.fetchall())
        return [i in inserted for i in range(len(events))]

    def apply(self, conn: Connection, items: list) -> list[Any]:
        """Write `items`; per item True/False (event new/duplicate) or None (delivery)."""
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            events = [item for item in items if isinstance(item, EventWrite)]
            news = iter(self._insert_events(cursor, events))
            results, deliveries = [], []
            for item in items:
                if isinstance(item, EventWrite):
                    new = next(news)
                    results.append(new)
                    if item.delivery is not None:
                        outcome = "accepted" if new else "duplicate"
                        deliveries.append(self._delivery_row(item.delivery, outcome))
                else:
                    results.append(None)
                    deliveries.append(self._delivery_row(item.values))
            if deliveries:
                cursor.executemany(self._insert_delivery, deliveries)
                self._maybe_prune(cursor, len(deliveries))
            return results
        finally:
            cursor.close()

    def _maybe_prune(self, cursor: Any, written: int) -> None:
        before = self._deliveries_written // PRUNE_EVERY
        self._deliveries_written += written
        if self._deliveries_written // PRUNE_EVERY != before:
            cursor.execute(self._prune)
