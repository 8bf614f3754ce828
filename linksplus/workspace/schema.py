"""The workspace's tables and their in-place migrations.

Its own MetaData and its own version table (``ws_schema_version``), so it shares a database
with the event log without touching the event log's tables or version. Each migration step
may run twice (two processes starting at once on SQLite) to the same end.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from linksplus.eventlog.schema import UTCDateTime

SCHEMA_VERSION = 5
# Any constant other than the event log's: serialises migrations between processes.
_PG_LOCK_KEY = 0x574B5350

metadata = MetaData()

# One row per link made through the console.
link_owners = Table(
    "ws_link_owners",
    metadata,
    Column("link_id", BigInteger, primary_key=True, autoincrement=False),
    Column("team_id", BigInteger, nullable=False),
    Column("made_by", String(150), nullable=False),
    Column("made_at", UTCDateTime, nullable=False),
    Column("how", String(20), nullable=False),  # form, template, bulk, duplicate
    Column("upload_id", String(64)),
    Column("upload_row", Integer),
    # Version 2: the latest follow-up reminder (Needs follow-up hides the link for a while).
    Column("reminded_at", UTCDateTime),
    Column("reminded_by", String(150)),
    Index("ix_ws_link_owners_team_by", "team_id", "made_by"),
)

# One row per spreadsheet upload: its id is a hash of the file's content and the user.
uploads = Table(
    "ws_uploads",
    metadata,
    Column("upload_id", String(64), primary_key=True),
    Column("username", String(150), nullable=False),
    Column("team_id", BigInteger, nullable=False),
    Column("filename", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("rows", Integer, nullable=False),
    Index("ix_ws_uploads_user", "username"),
)

# One row per spreadsheet row to create, with its outcome.
upload_rows = Table(
    "ws_upload_rows",
    metadata,
    Column("upload_id", String(64), primary_key=True),
    Column("row_no", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),  # minor units
    Column("currency", String(3), nullable=False),
    Column("template_id", BigInteger, nullable=False),
    Column("multiple_usage", Boolean, nullable=False),
    Column("note", Text),
    # waiting (not sent yet), sending (sent, outcome unknown), done, failed (may resume)
    Column("state", String(10), nullable=False),
    Column("attempted_at", UTCDateTime),  # the first send: the create check looks from here
    Column("link_id", BigInteger),
    Column("payment_url", Text),
    Column("error", Text),
    Column("done_at", UTCDateTime),
)

# Version 2: per-team settings, and when each user last looked at their paid links.
team_settings = Table(
    "ws_team_settings",
    metadata,
    Column("team_id", BigInteger, primary_key=True, autoincrement=False),
    Column("follow_up_days", Integer, nullable=False),
)

seen = Table(
    "ws_seen",
    metadata,
    Column("username", String(150), primary_key=True),
    Column("paid_seen_at", UTCDateTime, nullable=False),
)

# Version 3: each user's language and whether years are written in the Buddhist era.
user_prefs = Table(
    "ws_user_prefs",
    metadata,
    Column("username", String(150), primary_key=True),
    Column("language", String(8), nullable=False),
    Column("buddhist_era", Boolean, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Version 5: each user's login generation. Every login (its session, its cookie) carries
# the generation it was made in; ending a user's logins adds one, and a login of an older
# generation is over on its next run, in every app process (linksplus/ui/auth.py).
login_generations = Table(
    "ws_login_generations",
    metadata,
    Column("username", String(150), primary_key=True),
    Column("generation", Integer, nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
)

schema_version = Table(
    "ws_schema_version",
    metadata,
    Column("version", Integer, nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
)


def _reminders_on_owners(conn: Connection) -> None:
    """Version 1 to 2: the link owners table gets the latest reminder's time and author
    (new tables of version 2 are made by create_all)."""
    have = {c["name"] for c in inspect(conn).get_columns(link_owners.name)}
    for name in ("reminded_at", "reminded_by"):
        if name not in have:
            kind = link_owners.c[name].type.compile(dialect=conn.dialect)
            conn.execute(text(f"ALTER TABLE {link_owners.name} ADD COLUMN {name} {kind}"))


def _only_new_tables(conn: Connection) -> None:
    """Only new tables, which create_all makes: version 2 to 3 (ws_user_prefs), 4 to 5
    (ws_login_generations)."""


# Version n -> n+1, each run inside the migration's transaction.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: _reminders_on_owners,
    2: _only_new_tables,
    # 3 -> 4 is another branch's (login_attempts); reconciled at merge.
    3: _only_new_tables,
    4: _only_new_tables,
}


class SchemaError(RuntimeError):
    """The database holds a workspace layout this code does not know (a newer release)."""


def _migrate(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    found = (
        conn.execute(schema_version.select()).all()
        if conn.dialect.has_table(conn, schema_version.name)
        else []
    )
    version = max((row.version for row in found), default=0)
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"the console's records have schema version {version}; this release knows up "
            f"to {SCHEMA_VERSION}. Upgrade linksplus."
        )
    if version == SCHEMA_VERSION:
        return
    if version:  # an existing layout moves up one version at a time
        for step in range(version, SCHEMA_VERSION):
            MIGRATIONS[step](conn)
    # New tables of any version are made here; migrations change the existing ones.
    metadata.create_all(conn, checkfirst=True)
    conn.execute(schema_version.delete())
    conn.execute(
        schema_version.insert().values(version=SCHEMA_VERSION, applied_at=datetime.now(UTC))
    )


def ensure_schema(engine: Engine) -> None:
    """Create or migrate the workspace tables; SchemaError when the layout is too new."""
    for attempt in range(2):
        try:
            with engine.begin() as conn:
                _migrate(conn)
            return
        except (OperationalError, ProgrammingError):
            # Another SQLite process migrated between our read and our CREATE: once more,
            # now finding its work done. A real connection problem fails twice.
            if attempt:
                raise
