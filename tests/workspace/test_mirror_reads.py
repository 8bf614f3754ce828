"""The app's links mirror loaders (`ui.cached_reads`): a page starts a sync in the
background and never waits for it; one sync per team runs in a process at a time; a fresh
mirror is not synced again within `MIRROR_REFRESH`."""

from __future__ import annotations

from linksplus.config import Settings
from linksplus.ui import cached_reads

TEAM = 401


def settings(sandbox, tmp_path) -> Settings:
    return Settings(
        api_base_url=sandbox.url, api_key=sandbox.api_key, eventlog_url=f"sqlite:///{tmp_path}/c.db"
    )


def test_a_page_starts_a_sync_in_the_background_and_reads_its_freshness(sandbox, tmp_path):
    sandbox.seed_links(TEAM, 230)
    run = settings(sandbox, tmp_path)
    before = cached_reads.mirror_freshness(TEAM, run)
    assert (before.links, before.complete, before.refreshed_at) == (0, False, None)
    sandbox.faults(latency_ms=300)  # slow enough to see it run
    future = cached_reads.sync_links_mirror(TEAM, run)
    assert future is not None and not future.done()  # the call did not wait
    assert cached_reads.sync_links_mirror(TEAM, run) is future  # one at a time per process
    future.result(timeout=60)
    sandbox.faults()
    after = cached_reads.mirror_freshness(TEAM, run)
    assert (after.links, after.complete, after.api_total) == (230, True, 230)
    assert after.refreshed_at is not None and not after.syncing
    # Fresh: no sync again within MIRROR_REFRESH.
    assert cached_reads.sync_links_mirror(TEAM, run) is None
