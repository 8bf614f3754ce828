"""The links mirror: each team's links kept in the workspace database as Links+ last
reported them, so pages read them with SQL instead of listing the whole team from the API
in every process (docs/architecture.md, "The links mirror").

`LinksMirror.refresh` reads newest first until a page's worth of known links in a row;
`LinksMirror.full_pass` reads oldest first at a bounded rate (backing off on 429) and
resumes where it stopped; `LinksMirror.sync` runs both under a lease in the database, so
one instance syncs a team. `record` puts a create's answer in at once and `mark_paid`
marks a single-use link used on a counted payment.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

import orjson
from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from linksplus.client import PAGE_SIZE, LinksPlusClient, backoff_delay
from linksplus.errors import RateLimitError
from linksplus.models import Link, Page
from linksplus.workspace.schema import mirror_links, mirror_sync

# A refresh stops after this many links in a row it already had: a whole page's worth.
KNOWN_RUN = PAGE_SIZE
# Pages a refresh asks for at once: 1, 1, 2, 4 then up to this many (as the client's list).
MAX_BATCH = 8
# The full pass's defaults (settings `mirror_full_every`, `mirror_max_rate`).
FULL_EVERY = 15 * 60.0
MAX_RATE = 2.0
# How long a slice of the full pass runs inside one `sync`, so refreshes keep coming.
FULL_SLICE = 30.0
# A lease not renewed for this long is free for another instance.
LEASE_SECONDS = 60.0
# The longest a 429 is waited out inside a pass; a longer Retry-After ends the slice and
# the next sync resumes after it (`not_before`).
MAX_WAIT = 30.0
# What a counted successful payment makes of a single-use link (the service does the same).
PAID_STATUS = "used"


@dataclass(frozen=True)
class SyncResult:
    """What one refresh or full-pass slice did: pages asked for, links read, links new to the
    mirror, and whether the mirror now holds the team down to its oldest link."""

    kind: str  # "refresh" or "full"
    requests: int
    read: int
    new: int
    complete: bool
    finished: bool = True  # a full pass reached the end (False: it resumes later)


@dataclass(frozen=True)
class Freshness:
    """How fresh a team's mirror is, for the views' "links as of 14:05" line."""

    links: int  # links in the mirror
    complete: bool  # read down to the oldest link at least once
    refreshed_at: datetime | None  # the last look for new links
    full_at: datetime | None  # the last finished full pass
    api_total: int | None  # how many links the API last said the team has
    syncing: bool  # an instance holds the lease now


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _insert(conn: Connection):
    """The dialect's INSERT, which has ON CONFLICT on SQLite and PostgreSQL alike."""
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert


def link_row(team_id: int, link: Link, seen_at: datetime) -> dict:
    """A mirror row for `link` (its JSON kept whole, unknown fields included)."""
    return {
        "link_id": link.id,
        "team_id": link.team_id if link.team_id is not None else team_id,
        "template_id": link.template_id,
        "name": link.name,
        "name_lower": link.name.lower(),
        "amount": link.amount,
        "currency": link.currency,
        "multiple_usage": link.multiple_usage,
        "status": link.status,
        "created_at": link.created_at,
        "updated_at": link.updated_at,
        "data": orjson.dumps(link.to_dict()).decode(),
        "seen_at": seen_at,
    }


def link_of(data: str) -> Link:
    """The mirrored link from its stored JSON."""
    return Link.from_api(orjson.loads(data))


class LinksMirror:
    """The links mirror in the workspace database behind `engine` (its schema made by
    `workspace.schema.ensure_schema`). `owner` names this instance in leases."""

    def __init__(
        self,
        engine: Engine,
        *,
        owner: str | None = None,
        full_every: float = FULL_EVERY,
        max_rate: float = MAX_RATE,
        lease_seconds: float = LEASE_SECONDS,
        now: Callable[[], datetime] = _utcnow,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.engine = engine
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.full_every = float(full_every)
        self.max_rate = max(0.01, float(max_rate))
        self.lease_seconds = float(lease_seconds)
        self._now = now
        self._sleep = sleep

    # -- writes ------------------------------------------------------------------------------

    def record(self, links: Iterable[Link], team_id: int | None = None) -> set[int]:
        """Put `links` into the mirror as given (newer news of a link replaces older);
        the ids that were not in it before."""
        now = self._now()
        rows = [link_row(team_id or 0, link, now) for link in links]
        if not rows:
            return set()
        ids = [row["link_id"] for row in rows]
        with self.engine.begin() as conn:
            known = set(
                conn.execute(
                    select(mirror_links.c.link_id).where(mirror_links.c.link_id.in_(ids))
                ).scalars()
            )
            stmt = _insert(conn)(mirror_links)
            kept = {c: stmt.excluded[c] for c in rows[0] if c != "link_id"}
            conn.execute(stmt.on_conflict_do_update(index_elements=["link_id"], set_=kept), rows)
        return set(ids) - known

    def mark_paid(self, link_id: int) -> bool:
        """A counted successful payment of `link_id`: a single-use active link becomes used
        in the mirror at once (as the service marks it). True when a row changed."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(mirror_links.c.data).where(
                    mirror_links.c.link_id == link_id,
                    mirror_links.c.status == "active",
                    mirror_links.c.multiple_usage.is_(False),
                )
            ).first()
            if row is None:
                return False
            data = orjson.loads(row.data)
            data["status"] = PAID_STATUS
            changed = conn.execute(
                update(mirror_links)
                .where(mirror_links.c.link_id == link_id, mirror_links.c.status == "active")
                .values(status=PAID_STATUS, data=orjson.dumps(data).decode())
            )
        return changed.rowcount == 1

    # -- the lease ---------------------------------------------------------------------------

    def claim(self, team_id: int) -> bool:
        """Take (or renew) the team's sync lease; False while another instance holds it."""
        now = self._now()
        with self.engine.begin() as conn:
            self._ensure_state(conn, team_id)
            done = conn.execute(
                update(mirror_sync)
                .where(
                    mirror_sync.c.team_id == team_id,
                    or_(
                        mirror_sync.c.lease_owner.is_(None),
                        mirror_sync.c.lease_owner == self.owner,
                        mirror_sync.c.lease_until < now,
                    ),
                )
                .values(
                    lease_owner=self.owner,
                    lease_until=now + timedelta(seconds=self.lease_seconds),
                )
            )
        return done.rowcount == 1

    def release(self, team_id: int) -> None:
        """Give the team's lease back (if this instance holds it)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(mirror_sync)
                .where(mirror_sync.c.team_id == team_id, mirror_sync.c.lease_owner == self.owner)
                .values(lease_owner=None, lease_until=None)
            )

    def _ensure_state(self, conn: Connection, team_id: int) -> None:
        stmt = _insert(conn)(mirror_sync).values(team_id=team_id, complete=False, full_offset=0)
        conn.execute(stmt.on_conflict_do_nothing(index_elements=["team_id"]))

    def _state(self, team_id: int):
        with self.engine.begin() as conn:
            self._ensure_state(conn, team_id)
            return conn.execute(select(mirror_sync).where(mirror_sync.c.team_id == team_id)).one()

    def _set_state(self, team_id: int, **values) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(mirror_sync).where(mirror_sync.c.team_id == team_id).values(**values)
            )

    # -- syncing -----------------------------------------------------------------------------

    def sync(self, client: LinksPlusClient, team_id: int) -> list[SyncResult] | None:
        """Under the team's lease: look for new links, then (when due) run a slice of the
        full pass. None when another instance holds the lease (it is syncing)."""
        if not self.claim(team_id):
            return None
        try:
            results = [self.refresh(client, team_id)]
            if self.full_due(team_id):
                results.append(self.full_pass(client, team_id, max_seconds=FULL_SLICE))
            return results
        finally:
            self.release(team_id)

    def full_due(self, team_id: int) -> bool:
        """A full pass is under way (resumes), or the last one finished `full_every` ago;
        not while a 429 asked to wait."""
        state = self._state(team_id)
        now = self._now()
        if state.not_before is not None and state.not_before > now:
            return False
        if state.full_offset > 0 or state.full_at is None:
            return True
        return (now - state.full_at).total_seconds() >= self.full_every

    def refresh(self, client: LinksPlusClient, team_id: int) -> SyncResult:
        """Read the team's links newest first until `KNOWN_RUN` known links in a row (or,
        while the mirror is not complete, to the oldest), storing each page as it comes."""
        complete = self._state(team_id).complete
        offset, batch, run, step = 0, 1, 0, PAGE_SIZE
        requests = read = new = 0
        total: int | None = None
        with ThreadPoolExecutor(MAX_BATCH, thread_name_prefix="mirror") as pool:
            while True:
                # Not past the end the last answer gave (links made meanwhile raise it).
                offsets = [o for o in range(offset, offset + batch * step, step) if o < _end(total)]
                fetch = partial(_newest, client, team_id, limit=step)
                pages = list(pool.map(fetch, offsets))
                requests += len(pages)
                stop = False
                for page in pages:
                    step = _step(page, step)
                    total = page.total if page.total is not None else total
                    fresh = self.record(page.data, team_id)
                    read, new = read + len(page.data), new + len(fresh)
                    run = _known_run(page.data, fresh, run)
                    if _at_end(page, step):
                        complete = stop = True
                    stop = stop or (complete and run >= KNOWN_RUN)
                if stop:
                    break
                offset = offsets[-1] + step
                batch = min(MAX_BATCH, batch * 2) if requests > 1 else 1
                self.claim(team_id)  # a first fill takes a while: keep the lease
        self._refreshed(team_id, complete, total)
        return SyncResult("refresh", requests, read, new, complete)

    def _refreshed(self, team_id: int, complete: bool, total: int | None) -> None:
        now = self._now()
        state = self._state(team_id)
        values = {"refreshed_at": now, "complete": complete, "api_total": total}
        if complete and not state.complete and state.full_offset == 0:
            values["full_at"] = now  # the first fill read every link: a full pass
        self._set_state(team_id, **values)

    def full_pass(
        self,
        client: LinksPlusClient,
        team_id: int,
        *,
        max_seconds: float | None = None,
        max_pages: int | None = None,
    ) -> SyncResult:
        """Read the team's links oldest first from where the last pass stopped, at most
        `max_rate` requests a second, backing off on 429; stops after `max_seconds` or
        `max_pages` (the next call resumes) or at the end (the pass is then finished)."""
        state = self._state(team_id)
        offset, step, interval = state.full_offset, PAGE_SIZE, 1.0 / self.max_rate
        started, requests, read, new = time.monotonic(), 0, 0, 0
        finished = False
        while not _out_of(started, max_seconds, requests, max_pages):
            sent = time.monotonic()
            page, waited = self._oldest_first(client, team_id, offset, step)
            requests += 1
            if page is None:  # a long Retry-After: resume after it
                self._set_state(team_id, full_offset=offset, not_before=waited)
                break
            step = _step(page, step)
            new += len(self.record(page.data, team_id))
            read, offset = read + len(page.data), offset + len(page.data)
            if _at_end(page, step):
                finished = True
                break
            self._set_state(team_id, full_offset=offset)
            self.claim(team_id)
            self._sleep(max(0.0, interval - (time.monotonic() - sent)))
        if finished:
            self._set_state(team_id, full_offset=0, full_at=self._now(), complete=True)
        return SyncResult("full", requests, read, new, finished or state.complete, finished)

    def _oldest_first(
        self, client: LinksPlusClient, team_id: int, offset: int, step: int
    ) -> tuple[Page | None, datetime | None]:
        """One page of the full pass; a 429 is waited out (its Retry-After, else a doubling
        backoff) up to `MAX_WAIT`, beyond which (None, when to resume)."""
        attempt = 0
        while True:
            try:
                page = client.links_page(team_id, offset=offset, limit=step, order="chronological")
                return page, None
            except RateLimitError as error:
                wait = error.retry_after
                wait = backoff_delay(1.0, attempt) if wait is None else float(wait)
                if wait > MAX_WAIT or attempt >= 5:
                    return None, self._now() + timedelta(seconds=wait)
                self._sleep(wait)
                attempt += 1

    # -- reads -------------------------------------------------------------------------------

    def freshness(self, team_id: int) -> Freshness:
        """How many links the mirror has for the team and how fresh they are."""
        state = self._state(team_id)
        with self.engine.connect() as conn:
            count = conn.execute(
                select(func.count()).where(mirror_links.c.team_id == team_id)
            ).scalar_one()
        held = state.lease_owner is not None and (
            state.lease_until is not None and state.lease_until > self._now()
        )
        return Freshness(
            count, state.complete, state.refreshed_at, state.full_at, state.api_total, held
        )

    def links(self, team_id: int, ids: Sequence[int] | None = None) -> list[Link]:
        """The team's mirrored links (or those of `ids`), newest first."""
        query = select(mirror_links.c.data).where(mirror_links.c.team_id == team_id)
        if ids is not None:
            query = query.where(mirror_links.c.link_id.in_(list(ids)))
        query = query.order_by(mirror_links.c.created_at.desc(), mirror_links.c.link_id.desc())
        with self.engine.connect() as conn:
            return [link_of(data) for data in conn.execute(query).scalars()]


def _newest(client: LinksPlusClient, team_id: int, offset: int, *, limit: int) -> Page:
    return client.links_page(team_id, offset=offset, limit=limit, order="reverse_chronological")


def _step(page: Page, step: int) -> int:
    """The service's own page size when it capped ours."""
    return page.limit if page.limit and 0 < page.limit <= PAGE_SIZE else step


def _end(total: int | None) -> float:
    return float("inf") if total is None else max(total, 1)


def _at_end(page: Page, step: int) -> bool:
    """The page is the list's last: short, or reaching the total the answer gave."""
    if len(page.data) < step:
        return True
    return page.total is not None and (page.offset or 0) + len(page.data) >= page.total


def _known_run(links: list[Link], fresh: set[int], run: int) -> int:
    """The run of already-known links at the end of `links`, continuing `run`."""
    for link in links:
        run = 0 if link.id in fresh else run + 1
    return run


def _out_of(started: float, max_seconds: float | None, requests: int, max_pages: int | None):
    if max_pages is not None and requests >= max_pages:
        return True
    return max_seconds is not None and time.monotonic() - started >= max_seconds
