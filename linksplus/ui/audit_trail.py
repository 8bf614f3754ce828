"""Writing the audit log from the app: `note(action, **detail)` with the session's user and
the browser's address filled in, and the log's housekeeping.

Each place where something worth auditing happens calls `note` once (one line), or for a
download button passes ``on_click=exported("payments", team=...)``. A failure to write is
logged and swallowed: the audit log must never stop the action it records.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from linksplus.config import Settings
from linksplus.ui.cached import Dependency, cached_loader
from linksplus.ui.settings import current_settings
from linksplus.ui.workspace_data import WORKSPACE, workspace
from linksplus.workspace import activity
from linksplus.workspace.store import Workspace

log = logging.getLogger(__name__)

# The days kept, part of the housekeeping's cache key (a changed setting prunes at once).
_KEEP = Dependency(
    "keep_days",
    lambda s: s.audit_keep_days or activity.DEFAULT_KEEP_DAYS,
)


def note(action: str, *, username: str | None = None, **detail: Any) -> None:
    """Record that this session's user (or `username`, for a login attempt) did `action`
    from this browser's address, with `detail` (ids and names; see activity.clean_detail)."""
    # Imported here: auth records logins through this module.
    from linksplus.ui import auth

    try:
        settings = current_settings()
        who = username if username is not None else auth.logged_in_username()
        activity.record(
            workspace(settings).engine,
            who or "",
            action,
            address=auth.client_address(settings),
            detail=detail,
            redact=_secrets(settings),
        )
        housekeeping(settings)
    except Exception as exc:  # never in the way of what it records
        log.warning("audit log not written (%s: %s)", action, type(exc).__name__)


def _secrets(settings: Settings) -> list[str]:
    """The configured secrets, never to be stored even if a caller passed one by mistake."""
    return [settings.api_key, settings.cookie_key, settings.line_channel_token, settings.smtp_url]


def exported(what: str, **detail: Any) -> Callable[[], None]:
    """A download button's `on_click`: records the CSV export `what` when it is clicked."""
    return functools.partial(note, activity.CSV_EXPORTED, what=what, **detail)


# Why here: the app has no scheduler, and every login writes a row, so pruning after a
# write runs while anyone uses the console; the cache makes it once an hour per process.
@cached_loader(ttl=3600, max_entries=8, depends_on=(WORKSPACE, _KEEP))
def _prune(*, workspace_url: str, _records: Workspace, keep_days: int) -> int:
    cutoff = datetime.now(UTC) - timedelta(days=keep_days)
    return activity.prune(_records.engine, cutoff)


def housekeeping(settings: Settings | None = None) -> int:
    """Remove the audit rows older than `audit_days`, at most once an hour per process
    (and at once when `audit_days` changes); how many the latest removal took."""
    return _prune(settings)
