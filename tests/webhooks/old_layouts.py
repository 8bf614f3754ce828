"""Databases as earlier releases left them: today's layout, made and filled by the product,
then taken back to a shipped schema version of the event log or the workspace.

What each version had (`git log -- linksplus/eventlog/schema.py linksplus/workspace/schema.py`):

event log 1  events (no ``remote``, indexed by payment and by link too), deliveries with a
             row for every accepted delivery, schema_version
          2  events.remote; deliveries only of what stored nothing
          3  payments, link_changes (payments kept whole in every write)
          4  payments_upto (SQLite moves in bulk; PostgreSQL still kept payments whole)
          5  payment_days, day_offsets; reconciliation_checks made unversioned on first use
          6  reconciliation_checks versioned
workspace 1  ws_link_owners (no reminder columns), ws_uploads, ws_upload_rows
          2  reminder columns, ws_team_settings, ws_seen
          3  ws_user_prefs; login_attempts made unversioned by the login throttle
"""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from linksplus.eventlog.ingest import derived_rows_sql

EVENT_LOG_VERSIONS = [1, 2, 3, 4, 5, 6]
WORKSPACE_VERSIONS = [1, 2, 3]


def event_log_back_to(conn: Connection, version: int) -> None:
    """Take a current event log in `conn` back to `version`'s layout, keeping its data as
    that release kept it."""
    backend = conn.dialect.name
    if version < 7:
        conn.execute(text("DROP TABLE payment_links"))
    if version < 5:
        conn.execute(text("DROP TABLE reconciliation_checks"))
        conn.execute(text("DROP TABLE payment_days"))
        conn.execute(text("DROP TABLE day_offsets"))
    if version in (3, 4) and (version == 3 or backend == "postgresql"):
        # Version 3 kept payments whole in every write, and so did version 4 on PostgreSQL
        # (its payments_upto row was not read).
        conn.execute(text(derived_rows_sql(backend, "TRUE")[0]))
        conn.execute(text("UPDATE payments_upto SET upto = 0"))
    if version < 4:
        conn.execute(text("DROP TABLE payments_upto"))
    if version < 3:
        conn.execute(text("DROP TABLE payments"))
        conn.execute(text("DROP TABLE link_changes"))
    if version < 2:
        conn.execute(
            text(
                "INSERT INTO deliveries (received_at, outcome, event, payment_id, link_id, "
                "remote) SELECT received_at, 'accepted', event, payment_id, link_id, remote "
                "FROM events ORDER BY id"
            )
        )
        conn.execute(text("ALTER TABLE events DROP COLUMN remote"))
        conn.execute(text("CREATE INDEX ix_events_payment ON events (payment_id, occurred_at)"))
        conn.execute(text("CREATE INDEX ix_events_link ON events (link_id)"))
    conn.execute(text("UPDATE schema_version SET version = :v"), {"v": version})


def workspace_back_to(conn: Connection, version: int) -> None:
    """Take current workspace tables in `conn` back to `version`'s layout."""
    if version < 4:  # this release's new tables (login_attempts was made unversioned at 3)
        for table in (
            "ws_announced",
            "ws_message_prefs",
            "ws_login_generations",
            "ws_outbox",
            "ws_notify_cursor",
            "ws_alert_prefs",
            "ws_customers",
            "ws_upload_customers",
            "ws_voids",
            "ws_activity",
            "ws_team_reminders",
            "ws_link_reminders",
            "ws_reminders_sent",
            "ws_reminder_optouts",
            "ws_digest_prefs",
            "ws_digests_sent",
            "ws_users",
            "ws_user_totp",
            "ws_console_options",
            "ws_mirror_links",
            "ws_mirror_sync",
        ):
            conn.execute(text(f"DROP TABLE {table}"))
    if version < 3:
        conn.execute(text("DROP TABLE login_attempts"))
        conn.execute(text("DROP TABLE ws_user_prefs"))
    if version < 2:
        conn.execute(text("DROP TABLE ws_team_settings"))
        conn.execute(text("DROP TABLE ws_seen"))
        conn.execute(text("ALTER TABLE ws_link_owners DROP COLUMN reminded_at"))
        conn.execute(text("ALTER TABLE ws_link_owners DROP COLUMN reminded_by"))
    conn.execute(text("UPDATE ws_schema_version SET version = :v"), {"v": version})


def table_columns(conn: Connection, prefix: str) -> dict[str, list[str]]:
    """The columns of each table whose name starts with `prefix` (version tables aside)."""
    found = inspect(conn)
    return {
        name: sorted(column["name"] for column in found.get_columns(name))
        for name in found.get_table_names()
        if name.startswith(prefix) and not name.endswith("schema_version")
    }


def table_rows(conn: Connection, columns: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """Every row of each table in `columns`, by those columns, in a fixed order: what a
    migration must keep."""
    out = {}
    for name, listed in columns.items():
        rows = conn.execute(text(f"SELECT {', '.join(listed)} FROM {name}"))
        out[name] = sorted((tuple(row) for row in rows), key=repr)
    return out
