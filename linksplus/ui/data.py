"""Cached reads from Links+ and the event log.

API reads are cached per base URL and team (with a one-way fingerprint of the key, never the
key) for a couple of minutes; the Refresh button clears them. Event-log reads are cached a
few seconds only: webhooks keep arriving.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pandas as pd
import requests
import streamlit as st

from linksplus.client import LinksPlusClient
from linksplus.config import Settings
from linksplus.console.links_table import PreparedLinks, links_frame, prepare_links, zone
from linksplus.models import Link, Template
from linksplus.ui.settings import current_settings, key_fingerprint

API_TTL = 120
EVENTS_TTL = 5


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
@st.cache_resource(ttl=API_TTL, show_spinner="Loading links from Links+…", max_entries=64)
def _links_frame(base_url: str, auth: str, fingerprint: str, team_id: int) -> pd.DataFrame:
    return links_frame(
        _links(base_url, auth, fingerprint, team_id),
        _templates(base_url, auth, fingerprint, team_id),
    )


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
    _prepared_links.clear()
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
        return {
            t: f"Team {t}"
            for t in sorted(
                {ln.team_id for ln in client().list_all_links() if ln.team_id is not None}
            )
        }
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
        raise EventLogUnavailable(
            "The payment event log is not installed in this version, so "
            "payments cannot be shown yet."
        ) from exc
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
            f"in Settings ({type(exc).__name__})."
        ) from exc


def _fingerprint(frame: pd.DataFrame) -> int:
    return int(pd.util.hash_pandas_object(frame, index=False).sum()) if len(frame) else 0


def _team_link_ids(ctx: tuple[str, str, str], team_id: int):
    return _links_frame(*ctx, team_id)["id"].to_numpy()


def utc_offset_minutes(tz: str) -> int:
    """The UTC offset of `tz` now, in minutes (the event log's days are at a fixed offset)."""
    offset = datetime.now(zone(tz)).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


@st.cache_data(ttl=EVENTS_TTL, show_spinner=False, max_entries=64)
def _team_report(
    url: str, ctx: tuple[str, str, str], team_id: int, start: datetime, end: datetime, offset: int
) -> dict[str, pd.DataFrame]:
    ids = _team_link_ids(ctx, team_id)
    log = eventlog()
    return {
        "by_currency": log.totals_by_currency(start, end, link_ids=ids),
        "by_status": log.totals_by_status(start, end, link_ids=ids),
        "daily": log.daily_totals(start, end, utc_offset_minutes=offset, link_ids=ids),
        "by_link": log.totals_by_link(start, end, link_ids=ids),
        "payments": log.payments(start, end, link_ids=ids),
    }


def team_report(team_id: int, start: datetime, end: datetime, tz: str) -> dict[str, pd.DataFrame]:
    """The Payments page's reads for `team_id`'s links in ``[start, end)``, each one SQL
    query (cached for a few seconds): ``by_currency``, ``by_status``, ``daily`` (days in
    `tz`), ``by_link`` and ``payments`` (one row per payment, newest first)."""
    return _team_report(
        current_settings().eventlog_url, _ctx(), int(team_id), start, end, utc_offset_minutes(tz)
    )


# A resource (no copy per rerun), with a fingerprint of its content: the Links page
# rebuilds its prepared frame only when the paid totals really changed.
@st.cache_resource(ttl=EVENTS_TTL, show_spinner=False, max_entries=64)
def _paid_by_link(url: str, ctx: tuple[str, str, str], team_id: int) -> tuple[pd.DataFrame, int]:
    frame = eventlog().totals_by_link(link_ids=_team_link_ids(ctx, team_id))
    return frame, _fingerprint(frame)


@st.cache_data(ttl=EVENTS_TTL, show_spinner=False, max_entries=64)
def _link_payments(url: str, link_id: int) -> pd.DataFrame:
    return eventlog().payments(link_ids=[link_id])


def link_payments(link_id: int) -> pd.DataFrame:
    """One link's payments, newest first (cached for a few seconds). The caller checks that
    the link is one of the user's team's."""
    return _link_payments(current_settings().eventlog_url, int(link_id))


# A resource: built once per (links load, payment totals, timezone) and shared read-only, so
# a filter change only computes a mask. Its inputs are passed unhashed (leading underscore);
# the key is the links frame's identity (a new object per API load) and the totals' content.
@st.cache_resource(ttl=API_TTL, show_spinner=False, max_entries=16)
def _prepared_links(
    ctx: tuple[str, str, str],
    team_id: int,
    links_id: int,
    paid_key: int,
    tz: str,
    _links: pd.DataFrame,
    _paid: pd.DataFrame | None,
) -> PreparedLinks:
    return prepare_links(_links, _paid, tz)


def prepared_links(team_id: int, tz: str) -> tuple[PreparedLinks, str | None]:
    """The Links page's ready frame for `team_id` in `tz`, and why payment counts are
    missing (None when they are there). Raises LinksPlusError when links cannot load."""
    ctx = _ctx()
    frame = _links_frame(*ctx, int(team_id))
    paid, paid_key, problem = None, -1, None
    try:
        paid, paid_key = _paid_by_link(current_settings().eventlog_url, ctx, int(team_id))
    except EventLogUnavailable as exc:
        problem = str(exc)
    except Exception as exc:  # the table is still useful without payment counts
        problem = f"Payment counts are unavailable right now ({type(exc).__name__})."
    return _prepared_links(ctx, int(team_id), id(frame), paid_key, tz, frame, paid), problem


@st.cache_data(ttl=EVENTS_TTL, show_spinner=False, max_entries=8)
def _deliveries(url: str, limit: int) -> pd.DataFrame:
    return eventlog().deliveries(limit=limit)


def deliveries(limit: int = 500) -> pd.DataFrame:
    """The latest webhook deliveries (cached for a few seconds)."""
    return _deliveries(current_settings().eventlog_url, limit)


@st.cache_data(ttl=EVENTS_TTL, show_spinner=False, max_entries=8)
def _delivery_counts(url: str) -> pd.DataFrame:
    return eventlog().delivery_counts()


def delivery_counts() -> dict[str, int]:
    """Outcome -> how many deliveries had it, over the whole log (cached a few seconds)."""
    frame = _delivery_counts(current_settings().eventlog_url)
    return {str(o): int(c) for o, c in zip(frame["outcome"], frame["count"], strict=True)}


def clear_event_cache() -> None:
    _team_report.clear()
    _paid_by_link.clear()
    _link_payments.clear()
    _deliveries.clear()
    _delivery_counts.clear()


def timed(fn, *args, **kwargs) -> tuple[Any, float]:
    """`fn(*args)` and how long it took in milliseconds."""
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, (time.perf_counter() - started) * 1000
