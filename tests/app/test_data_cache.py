"""The cached loaders load what their arguments name, never another account's or load's data."""

from __future__ import annotations

import pytest
import streamlit as st

from linksplus.client import LinksPlusClient
from linksplus.config import Settings
from linksplus.errors import AuthenticationError, LinksPlusError
from linksplus.ui import cached_reads

TZ = "Asia/Bangkok"


@pytest.fixture
def current(sandbox, tmp_path, monkeypatch) -> Settings:
    """The settings of this run (read from the environment): the empty test sandbox."""
    settings = Settings(
        api_base_url=sandbox.url,
        api_key=sandbox.api_key,
        eventlog_url=f"sqlite:///{tmp_path}/events.db",
    )
    for name in ("api_base_url", "api_key", "eventlog_url"):
        monkeypatch.setenv(f"LINKSPLUS_{name.upper()}", getattr(settings, name))
    monkeypatch.delenv("LINKSPLUS_API_AUTH", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    now = cached_reads.current_settings()
    assert (now.api_base_url, now.api_key, now.eventlog_url) == (
        sandbox.url,
        sandbox.api_key,
        settings.eventlog_url,
    )
    return settings


def test_two_base_urls_give_two_loads(current, sandbox, demo_sandbox):
    sandbox.control("POST", "/teams/101/templates", json={"name": "Only in the test sandbox"})
    demo = Settings(api_base_url=demo_sandbox.url, api_key=demo_sandbox.api_key)
    expected = sorted(t.name for t in demo_sandbox.client().list_templates(101))
    assert "Only in the test sandbox" not in expected

    assert [t.name for t in cached_reads.templates(101)] == ["Only in the test sandbox"]
    # Asked for the demo's account while the run's settings name the test sandbox.
    assert sorted(t.name for t in cached_reads.templates(101, demo)) == expected
    assert sorted(cached_reads.links_table(101, demo)["id"]) == sorted(
        ln.id for ln in demo_sandbox.client().list_links(101)
    )
    assert [t.name for t in cached_reads.templates(101)] == ["Only in the test sandbox"]


def test_another_key_is_another_load(current, sandbox):
    sandbox.seed_links(101, 2)
    assert len(cached_reads.templates(101)) > 0
    wrong = Settings(api_base_url=sandbox.url, api_key="skey_test_not_this_sandboxs_key")
    with pytest.raises(AuthenticationError):
        cached_reads.templates(101, wrong)
    with pytest.raises(AuthenticationError):
        cached_reads.prepared_links(101, TZ, wrong)


def test_the_prepared_table_follows_the_content_of_each_load(current, sandbox):
    """The prepared table is keyed by what was loaded, not by id() of the loaded frame
    (Python gives the id of a freed frame to a new one, so a page could be served another
    load's table): a reload of the same links finds it again, new links get a new one."""
    sandbox.seed_links(101, 3)
    first, problem = cached_reads.prepared_links(101, TZ)
    assert problem is None
    held = cached_reads.links_table(101)  # alive, so the next load's frame has another id
    cached_reads._links_future.clear()  # what the two-minute TTL does; the prepared tables stay
    assert cached_reads.links_table(101) is not held
    assert cached_reads.prepared_links(101, TZ)[0] is first

    sandbox.seed_links(101, 1)
    cached_reads._links_future.clear()
    expected = sorted(ln.id for ln in sandbox.client().list_links(101))
    newer, _ = cached_reads.prepared_links(101, TZ)
    assert sorted(newer.frame["id"]) == expected
    assert sorted(newer.display.column("id").to_pylist()) == expected
    assert len(expected) == len(first.frame) + 1


def test_the_admin_team_list_reads_only_the_newest_links(current, sandbox, monkeypatch):
    # No sandbox controls (as with the real service): the teams are those of the newest
    # TEAM_SCAN_LINKS links, not of every link of every team.
    monkeypatch.setattr(cached_reads, "TEAM_SCAN_LINKS", 100)
    sandbox.seed_links(7011, 150)
    sandbox.seed_links(7012, 2)
    offsets: list[int] = []
    page = LinksPlusClient._page
    monkeypatch.setattr(
        LinksPlusClient,
        "_page",
        lambda self, path, offset, *a: offsets.append(offset) or page(self, path, offset, *a),
    )
    assert not cached_reads.current_settings().sandbox_url
    names = cached_reads.team_names(every_team=True)
    assert {7011, 7012} <= set(names) and names[7012] == "Team 7012"
    assert offsets == [0]


def test_a_failed_load_of_the_links_is_not_kept(current, sandbox):
    # Links+ failing must not outlive itself: once it answers again, the next run shows the
    # links (the background load's failure is not cached for the API's TTL).
    sandbox.seed_links(101, 3)
    sandbox.faults(error_rate=1.0)
    with pytest.raises(LinksPlusError):
        cached_reads.links_table(101)
    sandbox.faults(0, 0)
    assert len(cached_reads.links_table(101)) == 3
