"""Cached reads from Links+ and the event log.

API reads are cached per base URL and team (with a one-way fingerprint of the key, never the
key) for a couple of minutes; the Refresh button clears them. The reports of the event log
are cached under the team's change marker (`team_changes`, a few primary-key reads): the
same figures are computed once for every viewer of a team, and again only once a payment
of the team's links was stored or changed.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import pandas as pd
import streamlit as st

from linksplus.client import DEFAULT_CONCURRENCY, LinksPlusClient
from linksplus.config import Settings
from linksplus.console import payments_report
from linksplus.console.links_table import PreparedLinks, links_frame, prepare_links
from linksplus.console.timezones import zone
from linksplus.errors import LinksPlusError
from linksplus.eventlog import EventLog
from linksplus.i18n import _
from linksplus.models import Template
from linksplus.observability.app_metrics import CountingSession
from linksplus.sandbox.controls_client import SandboxControls
from linksplus.ui.settings import current_settings, key_fingerprint

API_TTL = 120
EVENTS_TTL = 5
# Reads keyed by a change marker stay right however long they are kept: this only frees
# the memory of windows nobody looks at any more.
REPORT_TTL = 600
# Without a sandbox, the admin's team list is the teams seen on this many of the newest
# links: reading every link of every team took seconds per 10,000 links, on each load.
# (A team with no link among them is listed when the user's own teams name it.)
TEAM_SCAN_LINKS = 2_000
# The newest payments a link's detail shows.
LINK_PAYMENTS_SHOWN = 100


class ApiSource(NamedTuple):
    """Which Links+ account a read comes from: part of every API cache key. It holds a
    one-way fingerprint of the key, never the key."""

    base_url: str
    auth: str
    fingerprint: str


def _source(settings: Settings) -> ApiSource:
    return ApiSource(settings.api_base_url, settings.api_auth, key_fingerprint(settings))


# Every cached body reads only its arguments. What must not be hashed (the key, the client,
# a frame already identified by a fingerprint) is passed with a leading underscore, which
# Streamlit leaves out of the cache key.
@st.cache_resource(show_spinner=False)
def _client(source: ApiSource, _api_key: str) -> LinksPlusClient:
    # The counting transport: API calls and errors in the app's metrics.
    session = CountingSession(DEFAULT_CONCURRENCY)
    return LinksPlusClient(_api_key, base_url=source.base_url, auth=source.auth, session=session)


def client(settings: Settings | None = None) -> LinksPlusClient:
    """The shared API client for the configured base URL and key."""
    settings = settings or current_settings()
    return _client(_source(settings), settings.api_key)


def _api(settings: Settings | None) -> tuple[ApiSource, LinksPlusClient]:
    """The cache key part and the client for `settings` (the current ones when None)."""
    settings = settings or current_settings()
    return _source(settings), client(settings)


@st.cache_data(ttl=API_TTL, show_spinner=False, max_entries=64)
def _templates(source: ApiSource, team_id: int, _client: LinksPlusClient) -> list[Template]:
    return _client.list_templates(team_id)


@dataclass(frozen=True)
class LinksLoad:
    """One load of a team's links as the Links page's frame, with a fingerprint of its
    content: what is derived from it is keyed by the fingerprint, never by the frame's
    identity (Python reuses the id of a freed frame for a new one)."""

    frame: pd.DataFrame
    fingerprint: int


# Team loads run here, so that a page can show the first links while the rest load.
_LOADS = ThreadPoolExecutor(4, thread_name_prefix="links-load")


def _load_links(team_id: int, client: LinksPlusClient) -> LinksLoad:
    # No st.* call here: it runs outside any script run.
    frame = links_frame(client.list_links(team_id), client.list_templates(team_id))
    return LinksLoad(frame, _fingerprint(frame))


# A resource, not data: the 20,000-row frame is shared read-only instead of unpickled on
# every rerun (callers copy before changing it; with_payments and filters never mutate).
# One load per team and account, started by whoever asks first, waited for by the rest.
@st.cache_resource(ttl=API_TTL, show_spinner=False, max_entries=64)
def _links_future(source: ApiSource, team_id: int, _client: LinksPlusClient) -> Future:
    return _LOADS.submit(_load_links, team_id, _client)


def _links_load(source: ApiSource, team_id: int, _client: LinksPlusClient) -> LinksLoad:
    future = _links_future(source, team_id, _client)
    if not future.done():
        with st.spinner(_("Loading links from Links+…")):
            futures_wait([future])
    if future.exception() is not None:
        # A failed load is not kept: the next run asks Links+ again, as before the loads
        # ran in the background (an outage must not outlive itself by API_TTL).
        _links_future.clear(source, team_id, _client)
    return future.result()


def links_ready(team_id: int, wait: float = 0.0, settings: Settings | None = None) -> bool:
    """Whether the team's links are loaded (or failed to), waiting up to `wait` seconds;
    starts loading them when not."""
    source, api_client = _api(settings)
    future = _links_future(source, int(team_id), api_client)
    futures_wait([future], timeout=wait)
    return future.done()


@st.cache_data(ttl=API_TTL, show_spinner=False, max_entries=64)
def _newest_links(source: ApiSource, team_id: int, _client: LinksPlusClient) -> NewestLinks:
    page = _client.links_page(team_id, order="reverse_chronological")
    frame = links_frame(page.data, _templates(source, team_id, _client))
    return NewestLinks(frame, page.total)


class NewestLinks(NamedTuple):
    """A team's newest page of links (as the Links page's frame), and how many it has."""

    frame: pd.DataFrame
    total: int | None


def newest_links(team_id: int, settings: Settings | None = None) -> NewestLinks:
    """The team's newest links, one page of them (one request), while all of them load."""
    source, api_client = _api(settings)
    return _newest_links(source, int(team_id), api_client)


def templates(team_id: int, settings: Settings | None = None) -> list[Template]:
    """Every template of `team_id` (cached), from the current settings' account or
    `settings`'."""
    source, api_client = _api(settings)
    return _templates(source, int(team_id), api_client)


def links_table(team_id: int, settings: Settings | None = None) -> pd.DataFrame:
    """The team's links as the Links page's frame (cached, built once per load)."""
    source, api_client = _api(settings)
    return _links_load(source, int(team_id), api_client).frame


def clear_api_cache() -> None:
    """Forget every cached Links+ read (the Refresh button)."""
    _templates.clear()
    _links_future.clear()
    _newest_links.clear()
    _prepared_links.clear()
    _teams.clear()
    _sandbox_teams.clear()


# -- teams -------------------------------------------------------------------------------------


@st.cache_data(ttl=API_TTL, show_spinner=False)
def _sandbox_teams(sandbox_url: str) -> dict[int, str]:
    try:
        return SandboxControls(sandbox_url, timeout=5).team_names()
    except LinksPlusError:  # the names are a nicety: the teams are listed by id without them
        return {}


@st.cache_data(ttl=API_TTL, show_spinner=False)
def _teams(source: ApiSource, _client: LinksPlusClient) -> dict[int, str]:
    try:
        links = _client.list_all_links(order="reverse_chronological", max_links=TEAM_SCAN_LINKS)
        teams = {ln.team_id for ln in links if ln.team_id is not None}
        return {t: f"Team {t}" for t in sorted(teams)}
    except Exception:  # listing every team is a convenience; the user's own teams still work
        return {}


def team_names(*, every_team: bool = False) -> dict[int, str]:
    """Team id -> name. The sandbox lists its teams (cheap); the real API has none, so with
    `every_team` the teams seen on the key's newest TEAM_SCAN_LINKS links are used, named
    by number."""
    s = current_settings()
    names = _sandbox_teams(s.sandbox_url) if s.sandbox_url else {}
    if every_team and not names:
        names = {t: _("Team {id}").format(id=t) for t in _teams(*_api(s))}
    return names


# -- event log ---------------------------------------------------------------------------------


class EventLogUnavailable(RuntimeError):
    """The event log cannot be opened; the message is a sentence."""


@st.cache_resource(show_spinner=False)
def _eventlog(url: str) -> EventLog:
    return EventLog(url)


def _open_eventlog(url: str) -> EventLog:
    """The shared event log at `url`; EventLogUnavailable when it cannot be opened."""
    try:
        return _eventlog(url)
    except Exception as exc:
        raise EventLogUnavailable(
            _(
                "The payment event log could not be opened. Ask an admin to check "
                "`eventlog_url` in Settings ({error})."
            ).format(error=type(exc).__name__)
        ) from exc


def eventlog() -> EventLog:
    """The shared event log for the configured URL."""
    return _open_eventlog(current_settings().eventlog_url)


def _fingerprint(frame: pd.DataFrame) -> int:
    return int(pd.util.hash_pandas_object(frame, index=False).sum()) if len(frame) else 0


def _team_link_ids(source: ApiSource, team_id: int, api_client: LinksPlusClient):
    return _links_load(source, team_id, api_client).frame["id"].to_numpy()


def utc_offset_minutes(tz: str) -> int:
    """The UTC offset of `tz` now, in minutes (the event log's days are at a fixed offset)."""
    offset = datetime.now(zone(tz)).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def team_changes(team_id: int) -> int:
    """The team's change marker: it moves whenever a payment of one of its links is stored
    or changes. Not cached: it costs a few primary-key reads, and is what says whether
    anything cached is still current."""
    settings = current_settings()
    source, api_client = _api(settings)
    ids = _team_link_ids(source, int(team_id), api_client)
    return _open_eventlog(settings.eventlog_url).changes(ids)


@st.cache_data(ttl=REPORT_TTL, show_spinner=False, max_entries=64)
def _team_report(
    url: str,
    source: ApiSource,
    team_id: int,
    start: datetime,
    end: datetime,
    offset: int,
    marker: int,
    _client: LinksPlusClient,
) -> dict[str, pd.DataFrame]:
    ids = _team_link_ids(source, team_id, _client)
    return _open_eventlog(url).report(start, end, offset, link_ids=ids)


def team_report(
    team_id: int, start: datetime, end: datetime, tz: str, marker: int
) -> dict[str, pd.DataFrame]:
    """The Payments page's figures for `team_id`'s links in ``[start, end)``, one SQL
    aggregate each: ``by_currency``, ``by_status``, ``daily`` (days in `tz`) and
    ``by_link``; computed once per (team, window, `marker` from `team_changes`)."""
    settings = current_settings()
    source, api_client = _api(settings)
    return _team_report(
        settings.eventlog_url,
        source,
        int(team_id),
        start,
        end,
        utc_offset_minutes(tz),
        marker,
        api_client,
    )


@st.cache_data(ttl=REPORT_TTL, show_spinner=False, max_entries=256)
def _payments_page(
    url: str,
    source: ApiSource,
    team_id: int,
    start: datetime,
    end: datetime,
    limit: int,
    before: tuple[datetime, str] | None,
    marker: int,
    _client: LinksPlusClient,
) -> pd.DataFrame:
    ids = _team_link_ids(source, team_id, _client)
    return _open_eventlog(url).payments(start, end, ids, limit=limit, before=before)


def payments_page(
    team_id: int,
    start: datetime,
    end: datetime,
    marker: int,
    limit: int,
    before: tuple[datetime, str] | None = None,
) -> pd.DataFrame:
    """At most `limit` of the team's payments in ``[start, end)``, newest first, older than
    `before` (the (occurred_at, payment_id) of the previous page's last row)."""
    settings = current_settings()
    source, api_client = _api(settings)
    return _payments_page(
        settings.eventlog_url,
        source,
        int(team_id),
        start,
        end,
        int(limit),
        before,
        marker,
        api_client,
    )


def payments_csv(
    team_id: int, start: datetime, end: datetime, tz: str, language: str | None = None
) -> bytes:
    """Every payment of the team in ``[start, end)`` as CSV, newest first: read from SQL
    in chunks and written chunk by chunk, never as one frame (not cached: it runs when the
    download is asked for)."""
    settings = current_settings()
    source, api_client = _api(settings)
    ids = _team_link_ids(source, int(team_id), api_client)
    chunks = _open_eventlog(settings.eventlog_url).iter_payments(start, end, ids)
    return b"".join(payments_report.payments_csv_chunks(chunks, tz, language))


# A resource (no copy per rerun), with a fingerprint of its content: the Links page
# rebuilds its prepared frame only when the paid totals really changed.
@st.cache_resource(ttl=REPORT_TTL, show_spinner=False, max_entries=64)
def _paid_by_link(
    url: str, source: ApiSource, team_id: int, marker: int, _client: LinksPlusClient
) -> tuple[pd.DataFrame, int]:
    ids = _team_link_ids(source, team_id, _client)
    frame = _open_eventlog(url).totals_by_link(link_ids=ids)
    return frame, _fingerprint(frame)


@st.cache_data(ttl=REPORT_TTL, show_spinner=False, max_entries=64)
def _link_payments(url: str, link_id: int, marker: int) -> pd.DataFrame:
    return _open_eventlog(url).payments(link_ids=[link_id], limit=LINK_PAYMENTS_SHOWN)


def link_payments(link_id: int) -> pd.DataFrame:
    """One link's newest LINK_PAYMENTS_SHOWN payments, newest first (recomputed only once
    one of them changed). The caller checks that the link is one of the user's team's."""
    url = current_settings().eventlog_url
    marker = _open_eventlog(url).changes([int(link_id)])
    return _link_payments(url, int(link_id), marker)


# A resource: built once per (links load, payment totals, timezone) and shared read-only, so
# a filter change only computes a mask. Its inputs are passed unhashed (leading underscore)
# and keyed by the fingerprints of their content.
@st.cache_resource(ttl=API_TTL, show_spinner=False, max_entries=16)
def _prepared_links(
    source: ApiSource,
    team_id: int,
    links_key: int,
    paid_key: int,
    tz: str,
    _links: pd.DataFrame,
    _paid: pd.DataFrame | None,
) -> PreparedLinks:
    return prepare_links(_links, _paid, tz)


def prepared_links(
    team_id: int, tz: str, settings: Settings | None = None
) -> tuple[PreparedLinks, str | None]:
    """The Links page's ready frame for `team_id` in `tz`, and why payment counts are
    missing (None when they are there). Raises LinksPlusError when links cannot load."""
    settings = settings or current_settings()
    source, api_client = _api(settings)
    team_id = int(team_id)
    load = _links_load(source, team_id, api_client)
    paid, paid_key, problem = None, -1, None
    try:
        marker = _open_eventlog(settings.eventlog_url).changes(
            _team_link_ids(source, team_id, api_client)
        )
        paid, paid_key = _paid_by_link(settings.eventlog_url, source, team_id, marker, api_client)
    except EventLogUnavailable as exc:
        problem = str(exc)
    except Exception as exc:  # the table is still useful without payment counts
        problem = _("Payment counts are unavailable right now ({error}).").format(
            error=type(exc).__name__
        )
    prepared = _prepared_links(source, team_id, load.fingerprint, paid_key, tz, load.frame, paid)
    return prepared, problem


@st.cache_data(ttl=EVENTS_TTL, show_spinner=False, max_entries=8)
def _deliveries(url: str, limit: int) -> pd.DataFrame:
    return _open_eventlog(url).deliveries(limit=limit)


def deliveries(limit: int = 500) -> pd.DataFrame:
    """The latest webhook deliveries (cached for a few seconds)."""
    return _deliveries(current_settings().eventlog_url, limit)


@st.cache_data(ttl=EVENTS_TTL, show_spinner=False, max_entries=8)
def _delivery_counts(url: str) -> pd.DataFrame:
    return _open_eventlog(url).delivery_counts()


def delivery_counts() -> dict[str, int]:
    """Outcome -> how many deliveries had it, over the whole log (cached a few seconds)."""
    frame = _delivery_counts(current_settings().eventlog_url)
    return {str(o): int(c) for o, c in zip(frame["outcome"], frame["count"], strict=True)}


def clear_event_cache() -> None:
    _team_report.clear()
    _payments_page.clear()
    _paid_by_link.clear()
    _link_payments.clear()
    _deliveries.clear()
    _delivery_counts.clear()


def timed(fn, *args, **kwargs) -> tuple[Any, float]:
    """`fn(*args)` and how long it took in milliseconds."""
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, (time.perf_counter() - started) * 1000
