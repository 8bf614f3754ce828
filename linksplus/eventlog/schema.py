"""The event log's tables (schema version 6) and their history, for `schema_history.migrate`.

``events`` is the exact record (one row per event and payment id), ``deliveries`` the
attempts that stored nothing; ``payments``, ``payment_days`` and ``link_changes`` the shape
the reports read, kept in the writes' transactions (``payments_upto``: how far the first
two are); ``day_offsets`` the UTC offsets ``payment_days`` counts days at;
``reconciliation_checks`` the last reconciliations; ``schema_version`` the layout version.
Versions 1 to 5 are migrated in place. What each table is for and why:
docs/architecture.md.
"""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
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
from sqlalchemy.types import TypeDecorator

from linksplus import schema_history
from linksplus.schema_history import SchemaHistory, migrate

SCHEMA_VERSION = 7


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
    # The event reads filter on occurred_at (reports read ``payments``). No more indexes:
    # each one is written on every insert.
    Index("ix_events_occurred_at", "occurred_at"),
)

# One row per payment that reports count: its latest counted event (by occurred_at, then
# id). Written only by the write path's upsert (`ingest`) and the version-3 migration.
payments = Table(
    "payments",
    metadata,
    Column("payment_id", String(255), primary_key=True),
    Column("link_id", BigInteger, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("status", String(50), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("event_id", BigInteger, nullable=False),  # the events row it comes from
    # A team is a set of links: every report filters on link_id and a time range, and the
    # index holds every column they read, so a report never touches the table itself or
    # another team's rows. Newest first per link, payment id breaking ties, for pages.
    Index(
        "ix_payments_link_time",
        "link_id",
        "occurred_at",
        "payment_id",
        "status",
        "amount",
        "currency",
    ),
    # SQLite: the table is its primary key's B-tree (no rowid tree besides): one B-tree
    # less to write per payment.
    sqlite_with_rowid=False,
)

# Every counted event with an id up to ``upto`` is in ``payments`` and ``payment_days``;
# the reads take the few later ones (at most `ingest.TAIL_MAX`) from ``events`` by id.
# Moving them in batches of thousands, not per write, is what keeps ingest fast: each write
# would otherwise touch a page of the (link, time) index per link it pays. Writers number
# and commit events in order (SQLite has one writer at a time; PostgreSQL's take
# `WRITE_LOCK_KEY` first), so no id at or below the mark is still uncommitted. One row.
payments_upto = Table(
    "payments_upto",
    metadata,
    Column("upto", BigInteger, nullable=False),
)

# PostgreSQL: the transaction-level advisory lock each write that stores events takes
# before numbering them (see payments_upto). Any constant.
WRITE_LOCK_KEY = 0x4C505F5752

# Per link, local day (at ``utc_offset`` minutes east of UTC), currency and status: how
# many payments and their amount, of the moved payments. A year of a busy link is at most
# 365 rows per currency and status where ``payments`` has one per payment: a report reads
# these for the whole days of its window and ``payments`` only for the hours at its ends.
# Amounts are kept as the sums of their high and low 32 bits (`queries.exact_sum`), which
# cannot overflow. Kept at each offset in ``day_offsets`` (a report at another offset reads
# ``payments``: still exact, only slower).
payment_days = Table(
    "payment_days",
    metadata,
    Column("utc_offset", Integer, primary_key=True, autoincrement=False),
    Column("link_id", BigInteger, primary_key=True, autoincrement=False),
    Column("day", Date, primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("status", String(50), primary_key=True),
    Column("payments", BigInteger, nullable=False),
    Column("amount_high", BigInteger, nullable=False),
    Column("amount_low", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

# The UTC offsets, in minutes, that ``payment_days`` counts days at. A new log starts with
# the console's default timezone's (Asia/Bangkok, +07:00, no daylight saving);
# `EventLog.add_day_offset` adds one, counting the payments so far.
DEFAULT_DAY_OFFSETS = (420,)
day_offsets = Table(
    "day_offsets",
    metadata,
    Column("utc_offset", Integer, primary_key=True, autoincrement=False),
)

# Per link, how many times its payments changed: the sum over a team's links is the
# team's change marker, read every few seconds by each open Payments page.
link_changes = Table(
    "link_changes",
    metadata,
    Column("link_id", BigInteger, primary_key=True, autoincrement=False),
    Column("changes", BigInteger, nullable=False),
    sqlite_with_rowid=False,
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

# Version 6: the last reconciliations' results (`audit.save_check` keeps the newest few).
# Made unversioned on first use by earlier releases: version 6 finds it and keeps it.
reconciliation_checks = Table(
    "reconciliation_checks",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("checked_at", UTCDateTime, nullable=False),
    Column("checked_by", String(255)),
    Column("differences", Integer, nullable=False),
    Column("result", Text, nullable=False),  # JSON written and read by console.reconcile
)

# Version 7: per link and currency, the moved payments' successful ones: how many, their
# amount (as the sums of the amounts' high and low 32 bits, like ``payment_days``) and the
# first one's time. Filled by the same move as ``payment_days``, so Team performance reads
# one row per paid link and currency plus the tail, not every payment of the year.
payment_links = Table(
    "payment_links",
    metadata,
    Column("link_id", BigInteger, primary_key=True, autoincrement=False),
    Column("currency", String(3), primary_key=True),
    Column("payments", BigInteger, nullable=False),
    Column("amount_high", BigInteger, nullable=False),
    Column("amount_low", BigInteger, nullable=False),
    Column("first_paid_at", UTCDateTime, nullable=False),
    sqlite_with_rowid=False,
)

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
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


def _payments_from_events(conn: Connection) -> None:
    """Version 2 to 3: ``payments`` and ``link_changes`` built from the stored events, in
    the statements the write path uses for each batch (here over every event)."""
    from linksplus.eventlog.ingest import derived_rows_sql  # ingest imports this module

    for sql in derived_rows_sql(conn.dialect.name, new_events="TRUE"):
        conn.execute(text(sql))


def _payments_complete(conn: Connection) -> None:
    """Version 3 to 4 (and a new log): ``payments`` holds every stored event so far."""
    conn.execute(payments_upto.delete())
    conn.execute(text("INSERT INTO payments_upto (upto) SELECT COALESCE(MAX(id), 0) FROM events"))


def _payments_moved_and_days_counted(conn: Connection) -> None:
    """Version 4 to 5: on PostgreSQL, version 4 kept ``payments`` whole in every write, so
    every stored event is moved (on SQLite, the version-4 mark already says how far); then
    ``payment_days`` at the default offsets."""
    if conn.dialect.name == "postgresql":
        _payments_complete(conn)
    _day_offsets_default(conn)


def _day_offsets_default(conn: Connection) -> None:
    """Version 4 to 5 (and a new log): ``payment_days`` at the default offsets (and any
    other already listed), counted from ``payments``."""
    kept = set(conn.execute(day_offsets.select()).scalars())
    for minutes in DEFAULT_DAY_OFFSETS:
        if minutes not in kept:
            conn.execute(day_offsets.insert().values(utc_offset=minutes))
    for minutes in sorted(kept | set(DEFAULT_DAY_OFFSETS)):
        count_days(conn, minutes)
    if conn.dialect.name == "postgresql":
        # Statistics now, not when autovacuum gets to it: without them the planner reads
        # the days of every team's links for one team's report.
        conn.execute(text("ANALYZE payment_days"))


def count_days(conn: Connection, minutes: int) -> None:
    """``payment_days`` at `minutes`, from the moved payments (those in ``payments``)."""
    from linksplus.eventlog.ingest import day_rows_sql  # ingest imports this module

    conn.execute(payment_days.delete().where(payment_days.c.utc_offset == minutes))
    conn.execute(text(day_rows_sql(conn.dialect.name, "payments", "TRUE", minutes)))


def _only_new_tables(conn: Connection) -> None:
    """Version 5 to 6: only a new table (reconciliation_checks), which create_all makes or,
    made by an earlier release outside the versions, finds and keeps."""


def _paid_links_counted(conn: Connection) -> None:
    """Version 6 to 7: ``payment_links`` counted from the moved payments (``payments``)."""
    from linksplus.eventlog.ingest import paid_link_rows_sql  # ingest imports this module

    conn.execute(payment_links.delete())
    conn.execute(text(paid_link_rows_sql(conn.dialect.name, "payments", "TRUE")))
    if conn.dialect.name == "postgresql":
        conn.execute(text("ANALYZE payment_links"))


def _new_log(conn: Connection) -> None:
    """A new log: nothing stored, everything moved; days at the default offsets."""
    _payments_complete(conn)
    _day_offsets_default(conn)


class SchemaError(schema_history.SchemaError):
    """The database holds a layout this code does not know (made by a newer release)."""


# Version n -> n+1, each run inside the migration's transaction.
MIGRATIONS = {
    1: _accepted_deliveries_become_events,
    2: _payments_from_events,
    3: _payments_complete,
    4: _payments_moved_and_days_counted,
    5: _only_new_tables,
    6: _paid_links_counted,
}

HISTORY = SchemaHistory(
    name="event log",
    metadata=metadata,
    version_table=schema_version,
    version=SCHEMA_VERSION,
    steps=MIGRATIONS,
    # Any constant: serialises schema creation between processes sharing one PostgreSQL.
    lock_key=0x4C494E4B53,
    too_new="the event log has schema version {found}; this release knows up to {known}. "
    "Upgrade linksplus.",
    error=SchemaError,
    on_create=_new_log,
)


def ensure_schema(engine: Engine) -> None:
    """Create or migrate the event log's tables; SchemaError when the layout is too new."""
    migrate(engine, HISTORY)


class SchemaOnce(schema_history.SchemaOnce):
    """`ensure_schema(engine)` on the first call only, then nothing (thread-safe)."""

    def __init__(self, engine: Engine):
        super().__init__(engine, HISTORY)
