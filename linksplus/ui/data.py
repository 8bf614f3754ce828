"""Cached reads from Links+ and the event log.

API reads are cached per base URL and team (with a one-way fingerprint of the key, never the
key) for a couple of minutes; the Refresh button clears them. Event-log reads are cached a
few seconds only: webhooks keep arriving.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import requests
import streamlit as st

from linksplus.client import LinksPlusClient
from linksplus.config import Settings
from linksplus.console.links_table import links_frame
from linksplus.models import Link, Template
from linksplus.ui.settings import current_settings, key_fingerprint

API_TTL = 120
EVENTS_TTL = 5
EVENT_COLUMNS = ["event", "link_id", "payment_id", "amount", "currency", "status",
                 "occurred_at", "received_at"]


@st.cache_resource(show_spinner=False)
def _client(base_url: str, auth: str, fingerprint: str) -> LinksPlusClient:
    # The key itself is read here, not passed in, so it is never part of a cache key.
    settings = current_settings()
    return LinksPlusClient(settings.api_key, base_url=base_url, auth=auth)


def client(settings: Settings | None = None) -> LinksPlusClient:
    """The shared API client for the configured base URL and key."""
    settings = settings or current_settings()
    return _client(settings.api_base_url, settings.api_auth, key_fingerprint(settings))


def _ctx() -> tuple[str, str, str]:
    s = current_settings()
    return s.api_base_url, s.api_auth, key_fingerprint(s)


@st.cache_data(ttl=API_TTL, show_spinner=False, max_entries=64)
def _links(base_url: str, auth: str, fingerprint: str, team_id: int) -> list[Link]:
    return client().list_links(team_id)


@st.cache_data(ttl=API_TTL, show_spinner=False, max_entries=64)
def _templates(base_url: str, auth: str, fingerprint: str, team_id: int) -> list[Template]:
    return client().list_templates(team_id)


# A resource, not data: the 20,000-row frame is shared read-only instead of unpickled on
# every rerun (callers copy before changing it; with_payments and filters never mutate).
@st.cache_resource(ttl=API_TTL, show_spinner=False, max_entries=64)
def _links_frame(base_url: str, auth: str, fingerprint: str, team_id: int) -> pd.DataFrame:
    return links_frame(_links(base_url, auth, fingerprint, team_id),
                       _templates(base_url, auth, fingerprint, team_id))


def links(team_id: int) -> list[Link]:
    """Every link of `team_id` (cached)."""
    return _links(*_ctx(), int(team_id))


def templates(team_id: int) -> list[Template]:
    """Every template of `team_id` (cached)."""
    return _templates(*_ctx(), int(team_id))


def links_table(team_id: int) -> pd.DataFrame:
    """The team's links as the Links page's frame (cached, built once per load)."""
    return _links_frame(*_ctx(), int(team_id))


def clear_api_cache() -> None:
    """Forget every cached Links+ read (the Refresh button)."""
    _links.clear()
    _templates.clear()
    _links_frame.clear()
    _teams.clear()
    _sandbox_teams.clear()


# -- teams -------------------------------------------------------------------------------------

@st.cache_data(ttl=API_TTL, show_spinner=False)
def _sandbox_teams(sandbox_url: str) -> dict[int, str]:
    try:
        resp = requests.get(f"{sandbox_url.rstrip('/')}/_sandbox/teams", timeout=5)
        resp.raise_for_status()
        return {int(t["id"]): str(t.get("name") or f"Team {t['id']}") for t in resp.json()}
    except (requests.RequestException, ValueError, KeyError, TypeError):
        return {}


@st.cache_data(ttl=API_TTL, show_spinner=False)
def _teams(base_url: str, auth: str, fingerprint: str) -> dict[int, str]:
    try:
        return {t: f"Team {t}" for t in sorted({ln.team_id for ln in client().list_all_links()
                                                if ln.team_id is not None})}
    except Exception:  # listing every team is a convenience; the user's own teams still work
        return {}


def team_names(*, every_team: bool = False) -> dict[int, str]:
    """Team id -> name. The sandbox lists its teams (cheap); the real API has none, so with
    `every_team` the teams seen on the key's links are used, named by number."""
    s = current_settings()
    names = _sandbox_teams(s.sandbox_url) if s.sandbox_url else {}
    if every_team and not names:
        names = _teams(s.api_base_url, s.api_auth, key_fingerprint(s))
    return names


# -- event log ---------------------------------------------------------------------------------

class EventLogUnavailable(RuntimeError):
    """The event log cannot be opened; the message is a sentence."""


@st.cache_resource(show_spinner=False)
def _eventlog(url: str) -> Any:
    try:
        from linksplus.eventlog import EventLog
    except ImportError as exc:
        raise EventLogUnavailable("The payment event log is not installed in this version, so "
                                  "payments cannot be shown yet.") from exc
    return EventLog(url)


def eventlog() -> Any:
    """The shared event log for the configured URL."""
    try:
        return _eventlog(current_settings().eventlog_url)
    except EventLogUnavailable:
        raise
    except Exception as exc:
        raise EventLogUnavailable(
            "The payment event log could not be opened. Ask an admin to check `eventlog_url` "
            f"in Settings ({type(exc).__name__}).") from exc


# Wide enough for every payment ever recorded, for "all time" reads.
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _far_future() -> datetime:
    return datetime.now(UTC) + timedelta(days=3650)


@st.cache_data(ttl=EVENTS_TTL, show_spinner=False, max_entries=32)
def _events(url: str, start: datetime, end: datetime) -> pd.DataFrame:
    frame = eventlog().events(start, end)
    if frame is None or frame.empty:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    return frame


def events(start: datetime | None = None, end: datetime | None = None) -> pd.DataFrame:
    """Payment events that occurred in ``[start, end)`` (all time by default), cached
    for a few seconds."""
    start = start or _EPOCH
    end = end or _far_future().replace(hour=0, minute=0, second=0, microsecond=0)
    return _events(current_settings().eventlog_url, start, end)


@st.cache_data(ttl=EVENTS_TTL, show_spinner=False, max_entries=8)
def _deliveries(url: str, limit: int) -> pd.DataFrame:
    return eventlog().deliveries(limit=limit)


def deliveries(limit: int = 500) -> pd.DataFrame:
    """The latest webhook deliveries (cached for a few seconds)."""
    return _deliveries(current_settings().eventlog_url, limit)


def clear_event_cache() -> None:
    _events.clear()
    _deliveries.clear()


def timed(fn, *args, **kwargs) -> tuple[Any, float]:
    """`fn(*args)` and how long it took in milliseconds."""
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, (time.perf_counter() - started) * 1000
