"""The workspace's tables and their history, for `schema_history.migrate`.

Its own MetaData and its own version table (``ws_schema_version``), so it shares a database
with the event log without touching the event log's tables or version. Each migration step
may run twice (two processes starting at once on SQLite) to the same end.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
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

from linksplus import schema_history
from linksplus.eventlog.schema import UTCDateTime
from linksplus.schema_history import SchemaHistory, migrate

SCHEMA_VERSION = 4

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

# Version 4: the login throttle's counters (`linksplus.console.throttle`), per (username,
# address) and per address. Made unversioned on first use by earlier releases: version 4
# finds it and keeps it.
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("username", String(200), primary_key=True),
    Column("address", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", Float, nullable=False),  # Unix time; 0 when not locked
    Column("last_failure", Float, nullable=False),  # Unix time of the last counted attempt
)

# Version 4: each payment toasted to a user ("Payment received…"), so that it is announced
# once per person, ever, not again in every new session.
announced = Table(
    "ws_announced",
    metadata,
    Column("username", String(150), primary_key=True),
    Column("payment_id", String(255), primary_key=True),
    Column("announced_at", UTCDateTime, nullable=False),
)

# Version 4: how each salesperson signs a Thai message to a customer (ค่ะ or ครับ).
message_prefs = Table(
    "ws_message_prefs",
    metadata,
    Column("username", String(150), primary_key=True),
    Column("thai_particle", String(8), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Version 4: each user's login generation. Every login (its session, its cookie) carries
# the generation it was made in; ending a user's logins adds one, and a login of an older
# generation is over on its next run, in every app process (linksplus/ui/auth.py).
login_generations = Table(
    "ws_login_generations",
    metadata,
    Column("username", String(150), primary_key=True),
    Column("generation", Integer, nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
)

# Version 4: paid-link alerts (`linksplus.notify`). Each user's channels: email on unless
# turned off (NULL: never chose), a LINE user id, and a manager's whole-team subscription.
alert_prefs = Table(
    "ws_alert_prefs",
    metadata,
    Column("username", String(150), primary_key=True),
    Column("email_on", Boolean),
    Column("line_user_id", String(64)),
    Column("team_alerts", Boolean, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# How far the notifier has read the event log (events.id), one row per name: a notifier
# moves it forward only by compare-and-set, in the transaction that adds the outbox rows.
notify_cursor = Table(
    "ws_notify_cursor",
    metadata,
    Column("name", String(20), primary_key=True),
    Column("upto", BigInteger, nullable=False),
)

# One message to send: a payment, a recipient and a channel, once (the unique key). States:
# pending (to send, at next_attempt_at; a lease says who is sending it), sent, failed (given
# up after a day of retries).
outbox = Table(
    "ws_outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("event_id", BigInteger, nullable=False),
    Column("payment_id", String(255), nullable=False),
    Column("link_id", BigInteger, nullable=False),
    Column("team_id", BigInteger),
    Column("amount", BigInteger, nullable=False),  # minor units
    Column("currency", String(3), nullable=False),
    Column("paid_at", UTCDateTime, nullable=False),
    Column("recipient", String(150), nullable=False),  # a username
    Column("channel", String(10), nullable=False),  # email, line
    Column("address", String(320), nullable=False),  # the email address or LINE user id
    Column("language", String(8), nullable=False),
    Column("state", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime),
    Column("claimed_by", String(100)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("error", Text),
    UniqueConstraint("payment_id", "recipient", "channel", name="uq_ws_outbox_message"),
    Index("ix_ws_outbox_due", "state", "next_attempt_at"),
)

# Version 4: the links mirror (`linksplus.workspace.links_mirror`): each team's links as
# Links+ last reported them, so pages read them with SQL instead of listing the API. `data`
# is the link's JSON as the API sent it (unknown fields too); the columns are what the views
# filter and sort on.
mirror_links = Table(
    "ws_mirror_links",
    metadata,
    Column("link_id", BigInteger, primary_key=True, autoincrement=False),
    Column("team_id", BigInteger, nullable=False),
    Column("template_id", BigInteger),
    Column("name", Text, nullable=False),
    # The name in lower case as Python lowers it (SQLite's lower() knows only ASCII), for
    # the Links page's "name contains".
    Column("name_lower", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),  # minor units
    Column("currency", String(3), nullable=False),
    Column("multiple_usage", Boolean, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UTCDateTime),
    Column("updated_at", UTCDateTime),
    Column("data", Text, nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),  # when the mirror last heard of it
    # Newest first per team, and every column the filters read: a count or a filtered
    # page scans this index, never the rows with their JSON.
    Index(
        "ix_ws_mirror_links_team_created",
        "team_id",
        "created_at",
        "link_id",
        "status",
        "multiple_usage",
        "currency",
        "amount",
        "template_id",
        "name_lower",
    ),
    Index("ix_ws_mirror_links_team_status", "team_id", "status"),
)

# Version 4: per team, how far the links mirror is: whether it has been read to the oldest
# link once (`complete`), when it last looked for new links and finished a full pass, where
# an unfinished full pass resumes, and the lease of the one instance syncing it.
mirror_sync = Table(
    "ws_mirror_sync",
    metadata,
    Column("team_id", BigInteger, primary_key=True, autoincrement=False),
    Column("complete", Boolean, nullable=False),
    Column("refreshed_at", UTCDateTime),
    Column("full_at", UTCDateTime),
    Column("full_offset", Integer, nullable=False),
    Column("api_total", Integer),
    Column("not_before", UTCDateTime),  # a 429 asked to wait until then
    Column("lease_owner", String(100)),
    Column("lease_until", UTCDateTime),
)

# Version 4: the customer a link is for (`linksplus.workspace.customers`): personal data,
# read only with the link's team, erased on request (all of it: the row goes).
customers = Table(
    "ws_customers",
    metadata,
    Column("link_id", BigInteger, primary_key=True, autoincrement=False),
    Column("team_id", BigInteger, nullable=False),
    Column("name", String(200)),
    Column("phone", String(32)),
    Column("email", String(254)),
    Column("line", String(200)),  # a LINE user id or a note for LINE (e.g. "@somsak")
    Column("updated_by", String(150), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_ws_customers_team", "team_id"),
)

# Version 4: the customer of a bulk upload's row not made yet (its link does not exist, so
# it has no link id): moved to ws_customers when the row's link is made.
upload_customers = Table(
    "ws_upload_customers",
    metadata,
    Column("upload_id", String(64), primary_key=True),
    Column("row_no", Integer, primary_key=True, autoincrement=False),
    Column("team_id", BigInteger, nullable=False),
    Column("name", String(200)),
    Column("phone", String(32)),
    Column("email", String(254)),
    Column("line", String(200)),
)

# Version 4: links marked void in the console (Links+ cannot cancel one): who, when, why.
# Un-void deletes the row.
voids = Table(
    "ws_voids",
    metadata,
    Column("link_id", BigInteger, primary_key=True, autoincrement=False),
    Column("team_id", BigInteger, nullable=False),
    Column("voided_by", String(150), nullable=False),
    Column("voided_at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Index("ix_ws_voids_team", "team_id"),
)

# Version 4: the audit log (`linksplus.workspace.activity`): who did what, when, from which
# address. `detail` is a small JSON object of ids and names, never a key or a password.
activity = Table(
    "ws_activity",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("username", String(150), nullable=False),  # as typed, for a failed login
    Column("action", String(40), nullable=False),
    Column("address", String(64)),  # the browser's address; NULL when not known
    Column("detail", Text, nullable=False),
    Index("ix_ws_activity_at", "at"),
    Index("ix_ws_activity_user_at", "username", "at"),
)

# Version 4: a team's automatic reminder defaults (`linksplus.workspace.reminders`): after how
# many unpaid days, and how many at most. Keyed by team like ws_team_settings, which is not
# altered.
team_reminders = Table(
    "ws_team_reminders",
    metadata,
    Column("team_id", BigInteger, primary_key=True, autoincrement=False),
    Column("after_days", Integer, nullable=False),
    Column("max_count", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Version 4: a link whose customer gets automatic reminders: every `after_days` unpaid days,
# at most `max_count`, in `language`, with the link's name, amount and payment address as
# they were when asked (the notifier needs no Links+ call to write one).
link_reminders = Table(
    "ws_link_reminders",
    metadata,
    Column("link_id", BigInteger, primary_key=True, autoincrement=False),
    Column("team_id", BigInteger, nullable=False),
    Column("after_days", Integer, nullable=False),
    Column("max_count", Integer, nullable=False),
    Column("language", String(8), nullable=False),
    Column("name", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),  # minor units
    Column("currency", String(3), nullable=False),
    Column("payment_url", Text, nullable=False),
    Column("set_by", String(150), nullable=False),
    Column("set_at", UTCDateTime, nullable=False),
)

# Version 4: each automatic reminder, once per (link, number) and once per (team, email, day)
# by the unique keys: a notifier inserts both in one transaction before sending, so two
# notifiers never send one twice. State sending (leased until lease_until) or sent.
reminders_sent = Table(
    "ws_reminders_sent",
    metadata,
    Column("link_id", BigInteger, primary_key=True, autoincrement=False),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("team_id", BigInteger, nullable=False),
    Column("email", String(254), nullable=False),
    Column("day", String(10), nullable=False),  # the Bangkok date, YYYY-MM-DD
    Column("state", String(10), nullable=False),
    Column("claimed_by", String(100)),
    Column("lease_until", UTCDateTime),
    Column("sent_at", UTCDateTime),
    UniqueConstraint("team_id", "email", "day", name="uq_ws_reminders_sent_daily"),
)

# Version 4: customer emails that asked for no more reminders from a team (the unsubscribe
# address in each reminder).
reminder_optouts = Table(
    "ws_reminder_optouts",
    metadata,
    Column("team_id", BigInteger, primary_key=True, autoincrement=False),
    Column("email", String(254), primary_key=True),
    Column("opted_out_at", UTCDateTime, nullable=False),
)

# Version 4: the manager's daily digest (`linksplus.notify.digest`): the time of day, in the
# manager's timezone, or no row (no digest).
digest_prefs = Table(
    "ws_digest_prefs",
    metadata,
    Column("username", String(150), primary_key=True),
    Column("send_at", String(5), nullable=False),  # HH:MM
    Column("timezone", String(64), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Version 4: each digest sent (or being sent), once per manager and date by the key.
digests_sent = Table(
    "ws_digests_sent",
    metadata,
    Column("username", String(150), primary_key=True),
    Column("day", String(10), primary_key=True),  # the manager's date, YYYY-MM-DD
    Column("state", String(10), nullable=False),
    Column("claimed_by", String(100)),
    Column("lease_until", UTCDateTime),
    Column("sent_at", UTCDateTime),
)

# Version 4: the console's users, when no `users_file` is set (linksplus/workspace/users.py).
# `username` is kept lower-case, so it is unique case-insensitively; `teams` is "*" or team
# ids joined by commas; `must_change` marks a one-time password (changed at next login).
users = Table(
    "ws_users",
    metadata,
    Column("username", String(150), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("password_hash", String(60), nullable=False),
    Column("role", String(20), nullable=False),
    Column("teams", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("must_change", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Version 4: a user's second factor (TOTP, linksplus/workspace/totp.py): the secret, whether
# a first code confirmed it, the last time step used (each code counts once), and the
# SHA-256 digests of the unused recovery codes (a JSON list).
user_totp = Table(
    "ws_user_totp",
    metadata,
    Column("username", String(150), primary_key=True),
    Column("secret", String(64), nullable=False),
    Column("confirmed", Boolean, nullable=False),
    Column("last_step", BigInteger, nullable=False),
    Column("recovery", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Version 4: console-wide choices an admin makes in the console, name -> value (such as
# whether admins must use a second factor).
console_options = Table(
    "ws_console_options",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
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
    """Only new tables, which create_all makes (or finds, made unversioned by an earlier
    release, and keeps): version 2 to 3 (ws_user_prefs), 3 to 4 (login_attempts,
    ws_announced, ws_message_prefs, ws_login_generations, the alerts' ws_alert_prefs,
    ws_notify_cursor, ws_outbox, the customers' ws_customers, ws_upload_customers and
    ws_voids, the audit log's ws_activity, the reminders' ws_team_reminders,
    ws_link_reminders, ws_reminders_sent, ws_reminder_optouts, the digest's
    ws_digest_prefs, ws_digests_sent, the users' ws_users, ws_user_totp,
    ws_console_options, and the links mirror's ws_mirror_links, ws_mirror_sync)."""


# Version n -> n+1, each run inside the migration's transaction.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: _reminders_on_owners,
    2: _only_new_tables,
    3: _only_new_tables,
}


class SchemaError(schema_history.SchemaError):
    """The database holds a workspace layout this code does not know (a newer release)."""


HISTORY = SchemaHistory(
    name="workspace",
    metadata=metadata,
    version_table=schema_version,
    version=SCHEMA_VERSION,
    steps=MIGRATIONS,
    # Any constant other than the event log's: serialises migrations between processes.
    lock_key=0x574B5350,
    too_new="the console's records have schema version {found}; this release knows up "
    "to {known}. Upgrade linksplus.",
    error=SchemaError,
)


def ensure_schema(engine: Engine) -> None:
    """Create or migrate the workspace tables; SchemaError when the layout is too new."""
    migrate(engine, HISTORY)


class SchemaOnce(schema_history.SchemaOnce):
    """`ensure_schema(engine)` on the first call only, then nothing (thread-safe)."""

    def __init__(self, engine: Engine):
        super().__init__(engine, HISTORY)
