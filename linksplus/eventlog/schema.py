"""The event log's tables, and making them on first use.

``events`` holds one row per (event, payment id): a payment announced by several webhooks
is stored once. ``deliveries`` is the log of every delivery attempt, for the admin page.
``schema_version`` holds one row, the layout version, so later releases can migrate.
"""

from __future__ import annotations

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
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.types import TypeDecorator

SCHEMA_VERSION = 1
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
    "events", metadata,
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
    UniqueConstraint("event", "payment_id", name="uq_events_event_payment"),
    # Every read filters on occurred_at. No more indexes: each one is written on every
    # insert, and the reports' per-payment window sorts the filtered rows anyway.
    Index("ix_events_occurred_at", "occurred_at"),
)

deliveries = Table(
    "deliveries", metadata,
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
    "schema_version", metadata,
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
        conn.execute(schema_version.insert().values(version=SCHEMA_VERSION,
                                                    applied_at=datetime.now(UTC)))
        return
    version = max(row.version for row in found)
    if version > SCHEMA_VERSION:
        raise SchemaError(f"the event log has schema version {version}; this release knows "
                          f"up to {SCHEMA_VERSION}. Upgrade linksplus.")
    # Versions below SCHEMA_VERSION would be migrated here; version 1 is the first.


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
