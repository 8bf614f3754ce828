"""The event log's tables, and making them on first use.

``events`` holds one row per (event, payment id): a payment announced by several webhooks
is stored once. The delivery log, for the admin page, is those rows (each one an accepted
delivery) together with ``deliveries``: the attempts that stored nothing, duplicates and
rejections. ``schema_version`` holds one row, the layout version, so releases can migrate.

Version 2 (this one) stopped writing a ``deliveries`` row for each accepted event as well:
that second row cost the receiver as much again per event as the event itself. The
sender's address moved to ``events.remote``.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.types import TypeDecorator

SCHEMA_VERSION = 2
# Any constant: serialises schema creation between processes sharing one PostgreSQL.
_PG_LOCK_KEY = 0x4C494E4B53


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and read back as an aware UTC datetime.

    SQLite has no time zones: values are stored as naive UTC text in one fixed format, so
    that comparing them as text (range filters) orders them in time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the event log; use an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite only makes INTEGER PRIMARY KEY an auto-increment rowid alias, not BIGINT.
_ID = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

events = Table(
    "events",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("event", String(100), nullable=False),
    Column("link_id", BigInteger, nullable=False),
    Column("payment_id", String(255), nullable=False),
    Column("amount", BigInteger, nullable=False),  # minor units, never a float
    Column("currency", String(3), nullable=False),
    Column("status", String(50), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("payload", Text, nullable=False),
    Column("remote", String(100)),  # the sender's address, when it came as a webhook
    UniqueConstraint("event", "payment_id", name="uq_events_event_payment"),
    # Every read filters on occurred_at. No more indexes: each one is written on every
    # insert, and the reports' per-payment window sorts the filtered rows anyway.
    Index("ix_events_occurred_at", "occurred_at"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("received_at", UTCDateTime, nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("reason", Text),
    Column("event", String(100)),
    Column("payment_id", String(255)),
    Column("link_id", BigInteger),
    Column("remote", String(100)),
)

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
)


class SchemaError(RuntimeError):
    """The database holds a layout this code does not know (made by a newer release)."""


def _create(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        # Two receivers starting at once would otherwise race on CREATE TABLE.
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    metadata.create_all(conn, checkfirst=True)
    found = conn.execute(schema_version.select()).all()
    if not found:
        conn.execute(
            schema_version.insert().values(version=SCHEMA_VERSION, applied_at=datetime.now(UTC))
        )
        return
    version = max(row.version for row in found)
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"the event log has schema version {version}; this release knows "
            f"up to {SCHEMA_VERSION}. Upgrade linksplus."
        )
    if version < 2:
        _accepted_deliveries_become_events(conn)
    if version < SCHEMA_VERSION:
        conn.execute(schema_version.delete())
        conn.execute(
            schema_version.insert().values(version=SCHEMA_VERSION, applied_at=datetime.now(UTC))
        )


def _accepted_deliveries_become_events(conn: Connection) -> None:
    """Version 1 to 2: each accepted delivery row gives its event its sender's address,
    then goes; the event row is that delivery's entry in the log from now on.

    Every step may run twice (two SQLite processes upgrading at once) to the same end.
    """
    if "remote" not in {column["name"] for column in inspect(conn).get_columns("events")}:
        conn.execute(text("ALTER TABLE events ADD COLUMN remote VARCHAR(100)"))
    # UPDATE ... FROM (PostgreSQL; SQLite 3.33+) joins through the unique index once,
    # where a correlated subquery would scan the deliveries once per event.
    conn.execute(
        text(
            "UPDATE events SET remote = accepted.remote FROM "
            "(SELECT event, payment_id, MIN(remote) AS remote FROM deliveries "
            " WHERE outcome = 'accepted' GROUP BY event, payment_id) AS accepted "
            "WHERE events.event = accepted.event AND events.payment_id = accepted.payment_id"
        )
    )
    conn.execute(text("DELETE FROM deliveries WHERE outcome = 'accepted'"))


def ensure_schema(engine: Engine) -> None:
    """Create the tables and version row when missing; SchemaError when too new."""
    try:
        with engine.begin() as conn:
            _create(conn)
    except (OperationalError, ProgrammingError):
        # Another SQLite process created the tables between our check and CREATE: retry
        # once, now finding them. A real connection problem fails again and propagates.
        with engine.begin() as conn:
            _create(conn)


class SchemaOnce:
    """`ensure_schema(engine)` on the first call only, then nothing (thread-safe): for the
    reads and writes that each need the schema but must not check it every time."""

    def __init__(self, engine: Engine):
        self._engine = engine
        self._lock = threading.Lock()
        self._done = False

    def __call__(self) -> None:
        if self._done:
            return
        with self._lock:
            if not self._done:
                ensure_schema(self._engine)
                self._done = True
