"""The links mirror against the sandbox: what it holds equals what the API says after a
first fill, creates, payments and status changes; how few requests a refresh costs; the
full pass's rate, 429 back-off and resumption; the lease; and the cases Omise's docs leave
open (same-second order, offsets shifting while links are made)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from linksplus.console.reconcile import MIRROR_CHANGED, MIRROR_NEW, mirror_behind
from linksplus.eventlog.engine import make_engine
from linksplus.models import Link, Page
from linksplus.workspace.links_mirror import KNOWN_RUN, LinksMirror
from linksplus.workspace.schema import ensure_schema

TEAM = 301


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    ensure_schema(engine)
    yield engine
    engine.dispose()


class Counting:
    """A client wrapper counting list pages asked for."""

    def __init__(self, client):
        self.client = client
        self.pages = 0

    def links_page(self, *args, **kwargs):
        self.pages += 1
        return self.client.links_page(*args, **kwargs)


def api_view(client, team_id: int = TEAM) -> dict[int, dict]:
    return {link.id: link.to_dict() for link in client.list_links(team_id)}


def mirror_view(mirror: LinksMirror, team_id: int = TEAM) -> dict[int, dict]:
    return {link.id: link.to_dict() for link in mirror.links(team_id)}


def make_links(client, template_id: int, n: int) -> list[Link]:
    return [
        client.create_link(template_id=template_id, team_id=TEAM, name=f"New {i}", amount=10000)
        for i in range(n)
    ]


def test_first_fill_then_a_refresh_after_new_links_reads_two_pages(sandbox, engine):
    seeded = sandbox.seed_links(TEAM, 250)
    client = sandbox.client()
    mirror = LinksMirror(engine)
    counted = Counting(client)
    first = mirror.refresh(counted, TEAM)
    assert (first.requests, first.read, first.new, first.complete) == (3, 250, 250, True)
    assert mirror_view(mirror) == api_view(client)
    fresh = mirror.freshness(TEAM)
    assert (fresh.links, fresh.complete, fresh.api_total) == (250, True, 250)
    assert fresh.refreshed_at is not None and fresh.full_at is not None

    made = make_links(client, seeded["template_id"], 20)
    again = mirror.refresh(Counting(client), TEAM)
    assert again.requests <= 2 and again.new == 20
    assert mirror_view(mirror) == api_view(client)
    assert {link.id for link in made} <= set(mirror_view(mirror))

    nothing = mirror.refresh(Counting(client), TEAM)
    assert (nothing.requests, nothing.new) == (1, 0)  # a whole page of known links


def test_a_link_made_through_the_console_is_in_the_mirror_at_once(sandbox, engine):
    seeded = sandbox.seed_links(TEAM, 3)
    client = sandbox.client()
    mirror = LinksMirror(engine)
    mirror.refresh(client, TEAM)
    (link,) = make_links(client, seeded["template_id"], 1)
    assert mirror.record([link]) == {link.id}
    assert mirror_view(mirror) == api_view(client)


def test_payments_and_status_changes_of_older_links_reach_it(sandbox, engine):
    sandbox.seed_links(TEAM, 230)
    client = sandbox.client()
    mirror = LinksMirror(engine, max_rate=1000)
    mirror.refresh(client, TEAM)
    oldest = sorted(api_view(client))[:3]
    paid, expired, paid_elsewhere = oldest
    sandbox.control("POST", f"/links/{paid}/payments", json={"status": "successful"})
    sandbox.control("POST", f"/links/{expired}/status", json={"status": "expired"})
    sandbox.control("POST", f"/links/{paid_elsewhere}/payments", json={"status": "successful"})

    # A counted payment (the console saw it) marks its link at once...
    assert mirror.mark_paid(paid) is True
    assert mirror.mark_paid(paid) is False  # already used
    assert mirror_view(mirror)[paid]["status"] == "used"
    # ...an older link's other changes wait for the full pass: a refresh does not reach them.
    mirror.refresh(client, TEAM)
    assert mirror_view(mirror)[expired]["status"] == "active"
    assert mirror_view(mirror) != api_view(client)

    result = mirror.full_pass(client, TEAM)
    assert result.finished and result.requests == 3
    assert mirror_view(mirror) == api_view(client)
    statuses = {i: mirror_view(mirror)[i]["status"] for i in oldest}
    assert statuses == {paid: "used", expired: "expired", paid_elsewhere: "used"}


def test_a_multiple_use_link_stays_active_when_paid(sandbox, engine):
    seeded = sandbox.seed_links(TEAM, 1)
    client = sandbox.client()
    link = client.create_link(
        template_id=seeded["template_id"],
        team_id=TEAM,
        name="Many",
        amount=10000,
        multiple_usage=True,
    )
    mirror = LinksMirror(engine)
    mirror.record([link])
    assert mirror.mark_paid(link.id) is False
    assert mirror_view(mirror)[link.id]["status"] == "active"


def test_the_full_pass_keeps_to_its_rate(sandbox, engine):
    sandbox.seed_links(TEAM, 500)
    mirror = LinksMirror(engine, max_rate=10)
    started = time.monotonic()
    result = mirror.full_pass(sandbox.client(), TEAM)
    took = time.monotonic() - started
    assert result.requests == 5 and result.finished
    # Five requests at most 10 a second: at least four intervals of 0.1 s between them.
    assert took >= 0.4


def test_the_full_pass_backs_off_on_429_by_retry_after(sandbox, engine):
    sandbox.seed_links(TEAM, 150)
    sandbox.faults(rate_limit_next=2, retry_after=3)
    slept: list[float] = []
    mirror = LinksMirror(engine, max_rate=1000, sleep=slept.append)
    result = mirror.full_pass(sandbox.client(max_retries=0), TEAM)
    assert result.finished and result.read == 150
    assert slept.count(3.0) == 2
    assert mirror_view(mirror) == api_view(sandbox.client())


def test_a_long_retry_after_ends_the_slice_and_the_next_resumes(sandbox, engine):
    sandbox.seed_links(TEAM, 250)
    mirror = LinksMirror(engine, max_rate=1000)
    client = sandbox.client(max_retries=0)
    first = mirror.full_pass(client, TEAM, max_pages=2)
    assert (first.read, first.finished) == (200, False)
    sandbox.faults(rate_limit_next=1, retry_after=120)
    blocked = mirror.full_pass(client, TEAM)
    assert (blocked.read, blocked.finished) == (0, False)
    assert mirror.full_due(TEAM) is False  # it waits out the Retry-After
    later = LinksMirror(engine, now=lambda: datetime.now(UTC) + timedelta(minutes=3))
    assert later.full_due(TEAM) is True
    rest = later.full_pass(client, TEAM)
    assert (rest.requests, rest.read, rest.finished) == (1, 50, True)
    assert mirror_view(mirror) == api_view(client)


def test_one_instance_syncs_a_team_at_a_time(sandbox, engine):
    sandbox.seed_links(TEAM, 5)
    client = sandbox.client()
    one, two = LinksMirror(engine, owner="one"), LinksMirror(engine, owner="two")
    assert one.claim(TEAM) is True
    assert two.sync(client, TEAM) is None
    assert two.freshness(TEAM).syncing is True
    one.release(TEAM)
    results = two.sync(client, TEAM)
    assert results is not None and results[0].new == 5
    # A lease not renewed runs out: an instance that died does not block the team.
    assert one.claim(TEAM) is True
    late = LinksMirror(engine, owner="late", now=lambda: datetime.now(UTC) + timedelta(hours=1))
    assert late.claim(TEAM) is True


def test_sync_runs_the_full_pass_only_when_due(sandbox, engine):
    sandbox.seed_links(TEAM, 120)
    client = sandbox.client()
    mirror = LinksMirror(engine, full_every=900)
    kinds = [r.kind for r in mirror.sync(client, TEAM)]
    assert kinds == ["refresh"]  # the first fill read every link: that was a full pass
    later = LinksMirror(engine, now=lambda: datetime.now(UTC) + timedelta(minutes=16))
    assert [r.kind for r in later.sync(client, TEAM)] == ["refresh", "full"]


def test_an_interrupted_first_fill_resumes_to_the_oldest_link(sandbox, engine):
    sandbox.seed_links(TEAM, 350)
    client = sandbox.client()

    class Breaks(Counting):
        def links_page(self, *args, **kwargs):
            if self.pages == 2:
                raise RuntimeError("connection lost")
            return super().links_page(*args, **kwargs)

    mirror = LinksMirror(engine)
    with pytest.raises(RuntimeError):
        mirror.refresh(Breaks(client), TEAM)
    assert mirror.freshness(TEAM).complete is False
    result = mirror.refresh(client, TEAM)
    assert result.complete and result.requests == 4
    assert mirror_view(mirror) == api_view(client)


# -- where Omise's docs are silent: stub lists -------------------------------------------


def _link(i: int, stamp: datetime) -> Link:
    return Link(i, TEAM, 1, f"Link {i}", 100, "thb", False, status="active", created_at=stamp)


class StubList:
    """A team's list, newest first, in an order the test chooses; `on_page` may change it
    between pages (links made while a refresh pages through)."""

    def __init__(self, newest_first: list[Link], on_page=None):
        self.items = newest_first
        self.on_page = on_page
        self.pages = 0

    def links_page(self, team_id, *, offset=0, limit=100, order="reverse_chronological"):
        items = self.items if order == "reverse_chronological" else self.items[::-1]
        page = Page(items[offset : offset + limit], len(items), limit, offset, order)
        self.pages += 1
        if self.on_page:
            self.on_page(self)
        return page


def test_new_links_among_same_second_ties_are_found(engine):
    stamp = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    old = [_link(i, stamp) for i in range(1, 401)]
    mirror = LinksMirror(engine)
    mirror.refresh(StubList(old[::-1]), TEAM)
    # Two links made in the same second as the newest known ones, listed after 90 of them
    # (the order of equal times is not documented).
    new = [_link(1001, stamp), _link(1002, stamp)]
    listed = old[::-1]
    listed = listed[:90] + new + listed[90:]
    result = mirror.refresh(StubList(listed), TEAM)
    assert result.new == 2
    assert {1001, 1002} <= set(mirror_view(mirror))
    assert KNOWN_RUN == 100


def test_links_made_while_paging_shift_pages_but_none_is_lost(engine):
    stamp = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    items = [_link(i, stamp + timedelta(seconds=i)) for i in range(1, 301)][::-1]
    counter = iter(range(2000, 3000))

    def make_one(stub):  # a link made after each page, at the front of the newest-first list
        i = next(counter)
        stub.items.insert(0, _link(i, stamp + timedelta(seconds=i)))

    stub = StubList(items, on_page=make_one)
    mirror = LinksMirror(engine)
    result = mirror.refresh(stub, TEAM)
    assert result.complete
    assert set(range(1, 301)) <= set(mirror_view(mirror))


def test_reconciliation_says_which_links_the_mirror_is_behind_on(sandbox, engine):
    sandbox.seed_links(TEAM, 150)
    client = sandbox.client()
    mirror = LinksMirror(engine)
    mirror.refresh(client, TEAM)
    oldest = min(api_view(client))
    sandbox.control("POST", f"/links/{oldest}/status", json={"status": "expired"})
    (made,) = make_links(client, sandbox.seed_links(TEAM, 0)["template_id"], 1)
    behind = mirror_behind(client.list_links(TEAM), mirror.links(TEAM))
    assert behind == {oldest: MIRROR_CHANGED, made.id: MIRROR_NEW}
    mirror.refresh(client, TEAM)
    mirror.full_pass(client, TEAM)
    assert mirror_behind(client.list_links(TEAM), mirror.links(TEAM)) == {}
