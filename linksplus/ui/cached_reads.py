"""Cached reads from Links+ and the event log.

API reads are cached per base URL and team (with a one-way fingerprint of the key, never the
key) for a couple of minutes; the Refresh button clears them. The reports of the event log
are cached under the team's change marker (`team_changes`, a few primary-key reads): the
same figures are computed once for every viewer of a team, and again only once a payment
of the team's links was stored or changed.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import numpy as np
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
from linksplus.ui.cached import Dependency, Unavailable, cached_loader, open_or_unavailable
from linksplus.ui.settings import current_settings, key_fingerprint
from linksplus.ui.workspace_data import WORKSPACE, WorkspaceUnavailable, owners
from linksplus.workspace import Workspace
from linksplus.workspace.links_mirror import Freshness, LinksMirror

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


# The dependencies of the loaders below (see `cached.cached_loader`): the account, with or
# without its client; the event log's URL and the open log; the sandbox controls' URL.
API_KEY = Dependency("source", _source, "_api_key", lambda s: s.api_key)
API_SOURCE = Dependency("source", _source)
API = Dependency("source", _source, "_client", lambda s: client(s))
EVENTLOG = Dependency("eventlog_url", lambda s: s.eventlog_url, "_log", lambda s: eventlog(s))
SANDBOX = Dependency("sandbox_url", lambda s: s.sandbox_url)


@cached_loader(resource=True, depends_on=(API_KEY,))
def client(*, source: ApiSource, _api_key: str) -> LinksPlusClient:
    """The shared API client for the configured base URL and key, counting its calls and
    errors for the app's metrics."""
    session = CountingSession(DEFAULT_CONCURRENCY)
    return LinksPlusClient(_api_key, base_url=source.base_url, auth=source.auth, session=session)


@cached_loader(ttl=API_TTL, max_entries=64, depends_on=(API,))
def templates(team_id: int, *, source: ApiSource, _client: LinksPlusClient) -> list[Template]:
    """Every template of `team_id` (cached), from the current settings' account or
    `settings`'."""
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
@cached_loader(ttl=API_TTL, max_entries=64, depends_on=(API,), resource=True)
def _links_future(team_id: int, *, source: ApiSource, _client: LinksPlusClient) -> Future:
    return _LOADS.submit(_load_links, team_id, _client)


def _links_load(team_id: int, settings: Settings) -> LinksLoad:
    future = _links_future(team_id, settings)
    if not future.done():
        with st.spinner(_("Loading links from Links+…")):
            futures_wait([future])
    if future.exception() is not None:
        # A failed load is not kept: the next run asks Links+ again, as before the loads
        # ran in the background (an outage must not outlive itself by API_TTL).
        _links_future.clear(team_id, settings)
    return future.result()


def links_ready(team_id: int, wait: float = 0.0, settings: Settings | None = None) -> bool:
    """Whether the team's links are loaded (or failed to), waiting up to `wait` seconds;
    starts loading them when not."""
    future = _links_future(int(team_id), settings)
    futures_wait([future], timeout=wait)
    return future.done()


class NewestLinks(NamedTuple):
    """A team's newest page of links (as the Links page's frame), and how many it has."""

    frame: pd.DataFrame
    total: int | None


# `_templates` are the same account's and team's (`templates`), so the key names them.
@cached_loader(ttl=API_TTL, max_entries=64, depends_on=(API,))
def _newest_links(
    team_id: int, _templates: list[Template], *, source: ApiSource, _client: LinksPlusClient
) -> NewestLinks:
    page = _client.links_page(team_id, order="reverse_chronological")
    return NewestLinks(links_frame(page.data, _templates), page.total)


def newest_links(team_id: int, settings: Settings | None = None) -> NewestLinks:
    """The team's newest links, one page of them (one request), while all of them load."""
    settings = settings or current_settings()
    return _newest_links(int(team_id), templates(int(team_id), settings), settings)


def links_table(team_id: int, settings: Settings | None = None) -> pd.DataFrame:
    """The team's links as the Links page's frame (cached, built once per load)."""
    return _links_load(int(team_id), settings or current_settings()).frame


def clear_api_cache() -> None:
    """Forget every cached Links+ read (the Refresh button)."""
    templates.clear()
    _links_future.clear()
    _newest_links.clear()
    _prepared_links.clear()
    _teams.clear()
    _sandbox_teams.clear()


# -- teams -------------------------------------------------------------------------------------


@cached_loader(ttl=API_TTL, depends_on=(SANDBOX,))
def _sandbox_teams(*, sandbox_url: str) -> dict[int, str]:
    if not sandbox_url:
        return {}
    try:
        return SandboxControls(sandbox_url, timeout=5).team_names()
    except LinksPlusError:  # the names are a nicety: the teams are listed by id without them
        return {}


@cached_loader(ttl=API_TTL, depends_on=(API,))
def _teams(*, source: ApiSource, _client: LinksPlusClient) -> dict[int, str]:
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
    settings = current_settings()
    names = _sandbox_teams(settings)
    if every_team and not names:
        names = {t: _("Team {id}").format(id=t) for t in _teams(settings)}
    return names


# -- event log ---------------------------------------------------------------------------------


class EventLogUnavailable(Unavailable):
    """The event log cannot be opened; the message is a sentence."""

    @staticmethod
    def sentence() -> str:
        return _(
            "The payment event log could not be opened. Ask an admin to check "
            "`eventlog_url` in Settings ({error})."
        )


@cached_loader(resource=True)
def _open_eventlog(url: str) -> EventLog:
    return EventLog(url)


def eventlog(settings: Settings | None = None) -> EventLog:
    """The shared event log for the configured URL (or `settings`'); EventLogUnavailable
    when it cannot be opened."""
    url = (settings or current_settings()).eventlog_url
    return open_or_unavailable(_open_eventlog, url, EventLogUnavailable)


def _fingerprint(frame: pd.DataFrame) -> int:
    return int(pd.util.hash_pandas_object(frame, index=False).sum()) if len(frame) else 0


def _team_link_ids(team_id: int, settings: Settings):
    ids = _links_load(team_id, settings).frame["id"].to_numpy()
    # The list from Links+ may be API_TTL old here while another app instance made a link a
    # moment ago: that link is in the shared records within seconds, so its payments count
    # on every instance at once (a failover included), not only after the list expires.
    try:
        made = owners(team_id, settings)["link_id"].to_numpy(dtype=ids.dtype)
    except WorkspaceUnavailable:
        return ids
    extra = np.setdiff1d(made, ids, assume_unique=True)
    return np.concatenate([extra, ids]) if len(extra) else ids


def utc_offset_minutes(tz: str) -> int:
    """The UTC offset of `tz` now, in minutes (the event log's days are at a fixed offset)."""
    offset = datetime.now(zone(tz)).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def team_changes(team_id: int) -> int:
    """The team's change marker: it moves whenever a payment of one of its links is stored
    or changes. Not cached: it costs a few primary-key reads, and is what says whether
    anything cached is still current."""
    settings = current_settings()
    return eventlog(settings).changes(_team_link_ids(int(team_id), settings))


# The loaders of a team's figures take its link ids unhashed: the account, team and change
# marker in their key say which links (and payments) they are.
@cached_loader(ttl=REPORT_TTL, max_entries=64, depends_on=(API_SOURCE, EVENTLOG))
def _team_report(
    team_id: int,
    start: datetime,
    end: datetime,
    offset: int,
    marker: int,
    _ids,
    *,
    source: ApiSource,
    eventlog_url: str,
    _log: EventLog,
) -> dict[str, pd.DataFrame]:
    return _log.report(start, end, offset, link_ids=_ids)


def team_report(
    team_id: int, start: datetime, end: datetime, tz: str, marker: int
) -> dict[str, pd.DataFrame]:
    """The Payments page's figures for `team_id`'s links in ``[start, end)``, one SQL
    aggregate each: ``by_currency``, ``by_status``, ``daily`` (days in `tz`) and
    ``by_link``; computed once per (team, window, `marker` from `team_changes`)."""
    settings, team_id = current_settings(), int(team_id)
    ids = _team_link_ids(team_id, settings)
    offset = utc_offset_minutes(tz)
    return _team_report(team_id, start, end, offset, marker, ids, settings)


@cached_loader(ttl=REPORT_TTL, max_entries=256, depends_on=(API_SOURCE, EVENTLOG))
def _payments_page(
    team_id: int,
    start: datetime,
    end: datetime,
    limit: int,
    before: tuple[datetime, str] | None,
    marker: int,
    _ids,
    *,
    source: ApiSource,
    eventlog_url: str,
    _log: EventLog,
) -> pd.DataFrame:
    return _log.payments(start, end, _ids, limit=limit, before=before)


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
    settings, team_id = current_settings(), int(team_id)
    ids = _team_link_ids(team_id, settings)
    return _payments_page(team_id, start, end, int(limit), before, marker, ids, settings)


def payments_csv(
    team_id: int, start: datetime, end: datetime, tz: str, language: str | None = None
) -> bytes:
    """Every payment of the team in ``[start, end)`` as CSV, newest first: read from SQL
    in chunks and written chunk by chunk, never as one frame (not cached: it runs when the
    download is asked for)."""
    settings = current_settings()
    ids = _team_link_ids(int(team_id), settings)
    links = links_table(int(team_id), settings)
    names = dict(zip(links["id"], links["name"], strict=True))
    chunks = eventlog(settings).iter_payments(start, end, ids)
    return b"".join(payments_report.payments_csv_chunks(chunks, tz, language, names))


# A resource (no copy per rerun), with a fingerprint of its content: the Links page
# rebuilds its prepared frame only when the paid totals really changed.
@cached_loader(ttl=REPORT_TTL, max_entries=64, depends_on=(API_SOURCE, EVENTLOG), resource=True)
def _paid_by_link(
    team_id: int, marker: int, _ids, *, source: ApiSource, eventlog_url: str, _log: EventLog
) -> tuple[pd.DataFrame, int]:
    frame = _log.totals_by_link(link_ids=_ids)
    return frame, _fingerprint(frame)


@cached_loader(ttl=REPORT_TTL, max_entries=64, depends_on=(EVENTLOG,))
def _link_payments(link_id: int, marker: int, *, eventlog_url: str, _log: EventLog) -> pd.DataFrame:
    return _log.payments(link_ids=[link_id], limit=LINK_PAYMENTS_SHOWN)


def link_payments(link_id: int) -> pd.DataFrame:
    """One link's newest LINK_PAYMENTS_SHOWN payments, newest first (recomputed only once
    one of them changed). The caller checks that the link is one of the user's team's."""
    settings = current_settings()
    marker = eventlog(settings).changes([int(link_id)])
    return _link_payments(int(link_id), marker, settings)


@cached_loader(ttl=REPORT_TTL, max_entries=256, depends_on=(EVENTLOG,))
def _link_paid_count(link_id: int, marker: int, *, eventlog_url: str, _log: EventLog) -> int:
    totals = _log.totals_by_link(link_ids=[link_id])
    return int(totals["paid_count"].sum()) if not totals.empty else 0


def link_paid_count(link_id: int) -> int:
    """How many successful payments one link has had, in all (recomputed only once one of
    its payments changed: a primary-key read otherwise)."""
    settings = current_settings()
    marker = eventlog(settings).changes([int(link_id)])
    return _link_paid_count(int(link_id), marker, settings)


# A resource: built once per (links load, payment totals, timezone) and shared read-only, so
# a filter change only computes a mask. Its frames are passed unhashed and keyed by the
# fingerprints of their content.
@cached_loader(ttl=API_TTL, max_entries=16, depends_on=(API_SOURCE,), resource=True)
def _prepared_links(
    team_id: int,
    links_key: int,
    paid_key: int,
    tz: str,
    _links: pd.DataFrame,
    _paid: pd.DataFrame | None,
    *,
    source: ApiSource,
) -> PreparedLinks:
    return prepare_links(_links, _paid, tz)


def prepared_links(
    team_id: int, tz: str, settings: Settings | None = None
) -> tuple[PreparedLinks, str | None]:
    """The Links page's ready frame for `team_id` in `tz`, and why payment counts are
    missing (None when they are there). Raises LinksPlusError when links cannot load."""
    settings, team_id = settings or current_settings(), int(team_id)
    load = _links_load(team_id, settings)
    paid, paid_key, problem = None, -1, None
    try:
        ids = load.frame["id"].to_numpy()
        marker = eventlog(settings).changes(ids)
        paid, paid_key = _paid_by_link(team_id, marker, ids, settings)
    except EventLogUnavailable as exc:
        problem = str(exc)
    except Exception as exc:  # the table is still useful without payment counts
        problem = _("Payment counts are unavailable right now ({error}).").format(
            error=type(exc).__name__
        )
    prepared = _prepared_links(team_id, load.fingerprint, paid_key, tz, load.frame, paid, settings)
    return prepared, problem


@cached_loader(ttl=EVENTS_TTL, max_entries=8, depends_on=(EVENTLOG,))
def deliveries(limit: int = 500, *, eventlog_url: str, _log: EventLog) -> pd.DataFrame:
    """The latest webhook deliveries (cached for a few seconds)."""
    return _log.deliveries(limit=limit)


@cached_loader(ttl=EVENTS_TTL, max_entries=8, depends_on=(EVENTLOG,))
def delivery_counts(*, eventlog_url: str, _log: EventLog) -> dict[str, int]:
    """Outcome -> how many deliveries had it, over the whole log (cached a few seconds)."""
    frame = _log.delivery_counts()
    return {str(o): int(c) for o, c in zip(frame["outcome"], frame["count"], strict=True)}


def clear_event_cache() -> None:
    _team_report.clear()
    _payments_page.clear()
    _paid_by_link.clear()
    _link_payments.clear()
    deliveries.clear()
    delivery_counts.clear()


def timed(fn, *args, **kwargs) -> tuple[Any, float]:
    """`fn(*args)` and how long it took in milliseconds."""
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, (time.perf_counter() - started) * 1000


# -- the links mirror (`workspace.links_mirror`) -----------------------------------------

# A page starts a look for new links when the mirror's last one is older than this.
MIRROR_REFRESH = 30.0
# Mirror syncs run here, never in a script run: a page shows what the mirror has meanwhile.
_MIRROR_SYNCS = ThreadPoolExecutor(2, thread_name_prefix="links-mirror")
_mirror_running: dict[tuple, Future] = {}
_mirror_lock = threading.Lock()


@cached_loader(resource=True, depends_on=(WORKSPACE,))
def _links_mirror(*, workspace_url: str, _records: Workspace) -> LinksMirror:
    return LinksMirror(_records.engine)


def links_mirror(settings: Settings | None = None) -> LinksMirror:
    """This process's links mirror on the console's database."""
    return _links_mirror(settings or current_settings())


def sync_links_mirror(team_id: int, settings: Settings | None = None) -> Future | None:
    """Start a sync of the team's mirror in the background (a look for new links, and a
    slice of the full pass when due) unless one runs in this process or the last look is
    under `MIRROR_REFRESH` old; never waits. The lease in the database keeps other
    instances from syncing the team at the same time. The future, or None."""
    settings, team_id = settings or current_settings(), int(team_id)
    mirror, api = links_mirror(settings), client(settings)
    key = (_source(settings), settings.eventlog_url, team_id)
    with _mirror_lock:
        running = _mirror_running.get(key)
        if running is not None and not running.done():
            return running
        fresh = mirror.freshness(team_id)
        last = fresh.refreshed_at
        if fresh.complete and last is not None and _age(last) < MIRROR_REFRESH:
            return None
        future = _MIRROR_SYNCS.submit(mirror.sync, api, team_id)
        _mirror_running[key] = future
        return future


def _age(when: datetime) -> float:
    return time.time() - when.timestamp()


def mirror_freshness(team_id: int, settings: Settings | None = None) -> Freshness:
    """How many of the team's links the mirror has and as of when."""
    return links_mirror(settings).freshness(int(team_id))
