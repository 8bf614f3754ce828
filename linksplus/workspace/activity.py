"""The audit log ("activity log"): who did what in the console, when, and from where.

Not the receiver's delivery audit (`linksplus.eventlog.audit`): this is people's actions
in the app (logins, links made, uploads, settings, reconciliations, CSV exports), kept in
the workspace's ``ws_activity`` table and shown to admins on the Audit log page.

A row's `detail` is a small JSON object of ids and names. Whatever is named like a key,
password, secret or token is dropped, and a text that looks like an Omise key or contains
one of the configured secrets (`redact`) is replaced, so a careless caller cannot put a
credential into the log.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from linksplus.i18n import N_
from linksplus.workspace.schema import activity

# The action kinds, as stored (never change a stored value; add new ones).
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"
LINK_CREATED = "link_created"  # detail: link, team, how (form, template, duplicate, bulk)
BULK_UPLOAD = "bulk_upload"  # detail: upload, team, filename, rows
USER_ADDED = "user_added"
USER_CHANGED = "user_changed"
USER_DISABLED = "user_disabled"
USER_ENABLED = "user_enabled"
PASSWORD_RESET = "password_reset"
SETTINGS_CHANGED = "settings_changed"  # detail: what (names of settings, never values)
RECONCILIATION_RUN = "reconciliation_run"
CSV_EXPORTED = "csv_exported"  # detail: what, team
LINK_VOIDED = "link_voided"  # detail: link, team, reason
LINK_UNVOIDED = "link_unvoided"  # detail: link, team
CUSTOMER_ERASED = "customer_erased"  # detail: links, erased (ids only: no copy of the data)

# Each kind's name on the Audit log page (translated where shown: _(LABELS[kind])).
LABELS: dict[str, str] = {
    LOGIN: N_("Logged in"),
    LOGIN_FAILED: N_("Login failed"),
    LOGOUT: N_("Logged out"),
    LINK_CREATED: N_("Link created"),
    BULK_UPLOAD: N_("Bulk upload"),
    USER_ADDED: N_("User added"),
    USER_CHANGED: N_("User changed"),
    USER_DISABLED: N_("User disabled"),
    USER_ENABLED: N_("User enabled"),
    PASSWORD_RESET: N_("Password reset"),
    SETTINGS_CHANGED: N_("Settings changed"),
    RECONCILIATION_RUN: N_("Reconciliation run"),
    CSV_EXPORTED: N_("CSV exported"),
    LINK_VOIDED: N_("Link voided"),
    LINK_UNVOIDED: N_("Link un-voided"),
    CUSTOMER_ERASED: N_("Customer's details erased"),
}
KINDS = tuple(LABELS)

# Kept this many days unless the `audit_days` setting says otherwise.
DEFAULT_KEEP_DAYS = 400

# A detail's names that may carry a credential: such entries are never stored.
_SECRET_NAME = re.compile(r"key|pass|pwd|secret|token|credential|cookie|otp", re.IGNORECASE)
# Omise keys (skey_..., pkey_...), wherever they appear in a text.
_KEY_TEXT = re.compile(r"\b[sp]key_\w+", re.IGNORECASE)
_MAX_TEXT = 200
_MAX_ITEMS = 50
REDACTED = "[removed]"


@dataclass(frozen=True)
class Entry:
    """One row of the audit log."""

    id: int
    at: datetime
    username: str
    action: str
    address: str | None
    detail: dict[str, Any] = field(default_factory=dict)


def clean_detail(
    detail: Mapping[str, Any] | None, redact: Iterable[str | None] = ()
) -> dict[str, Any]:
    """`detail` as it may be stored: names like key/password/secret/token dropped, Omise
    keys and the texts in `redact` (the configured secrets) replaced wherever they appear,
    texts cut to 200 characters, only plain values (text, numbers, booleans, short lists of
    them) kept."""
    secrets = sorted({str(r) for r in redact if r and len(str(r)) >= 4}, key=len, reverse=True)
    out: dict[str, Any] = {}
    for name, value in (detail or {}).items():
        name = str(name)[:40]
        if _SECRET_NAME.search(name):
            continue
        if isinstance(value, (list, tuple, set, frozenset)):
            items = [_plain(v, secrets) for v in list(value)[:_MAX_ITEMS]]
            out[name] = [v for v in items if v is not None]
        else:
            plain = _plain(value, secrets)
            if plain is not None:
                out[name] = plain
    return out


def _plain(value: Any, secrets: list[str]) -> str | int | float | bool | None:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return _KEY_TEXT.sub(REDACTED, text)[:_MAX_TEXT]


def record(
    engine: Engine,
    username: str,
    action: str,
    *,
    address: str | None = None,
    detail: Mapping[str, Any] | None = None,
    at: datetime | None = None,
    redact: Iterable[str | None] = (),
) -> None:
    """Add one row: `username` did `action` from `address` (None: not known), with
    `detail` cleaned by `clean_detail` (`redact`: secrets never to store). An unknown
    `action` is a programming error."""
    if action not in LABELS:
        raise ValueError(f"unknown audit action {action!r}")
    values = {
        "at": at or datetime.now(UTC),
        "username": str(username or "")[:150],
        "action": action,
        "address": str(address)[:64] if address else None,
        "detail": json.dumps(clean_detail(detail, redact), ensure_ascii=False, sort_keys=True),
    }
    with engine.begin() as conn:
        conn.execute(insert(activity).values(**values))


def query(
    engine: Engine,
    *,
    usernames: Iterable[str] | None = None,
    actions: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[Entry]:
    """The rows that match, newest first: by any of `usernames`, of any of `actions`, at
    or after `since` and before `until` (each filter off when None); at most `limit` rows
    after skipping `offset`."""
    stmt = select(activity)
    if usernames is not None:
        stmt = stmt.where(activity.c.username.in_(list(usernames)))
    if actions is not None:
        stmt = stmt.where(activity.c.action.in_(list(actions)))
    if since is not None:
        stmt = stmt.where(activity.c.at >= since)
    if until is not None:
        stmt = stmt.where(activity.c.at < until)
    stmt = stmt.order_by(activity.c.at.desc(), activity.c.id.desc()).limit(limit).offset(offset)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [Entry(r.id, r.at, r.username, r.action, r.address, _loads(r.detail)) for r in rows]


def _loads(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def people(engine: Engine) -> list[str]:
    """Every username the log has a row of, sorted."""
    with engine.connect() as conn:
        names = conn.execute(select(activity.c.username).distinct()).scalars().all()
    return sorted(n for n in names if n)


def prune(engine: Engine, older_than: datetime) -> int:
    """Remove the rows from before `older_than`; how many were removed."""
    with engine.begin() as conn:
        return conn.execute(delete(activity).where(activity.c.at < older_than)).rowcount or 0
