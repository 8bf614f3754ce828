"""Webhook log and Settings (admin only)."""

from __future__ import annotations

import json

import pandas as pd
from app_helpers import no_exception, table_rows, texts
from auth_proxy import AuthProxy

from linksplus.console.timezones import local_iso
from linksplus.eventlog import EventLog


def test_webhook_log_counts_outcomes(make_app, sandbox, secrets):
    log = EventLog(secrets["eventlog_url"])
    payload = {
        "event": "payment.completed",
        "link_id": 1,
        "payment": {"id": "chrg_a", "amount": 5000, "currency": "thb", "status": "successful"},
        "timestamp": "2026-02-14T10:35:00Z",
    }
    log.record(payload, remote="10.0.0.1")
    log.record(payload, remote="10.0.0.2")  # the same payment again: a duplicate
    log.record_delivery("rejected", "bad signature")
    at = make_app("admin").run().switch_page("pages/webhook_log.py").run()
    no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Accepted"] == "1" and metrics["Duplicate"] == "1"
    assert metrics["Rejected"] == "1" and metrics["Deliveries"] == "3"
    table = table_rows(at, "deliveries_table")
    assert "bad signature" in list(table["reason"])
    assert set(table.loc[table["outcome"] != "Rejected", "reason"]) == {""}  # blank, not None


def test_settings_checks_the_connection_and_masks_the_key(make_app, sandbox):
    sandbox.seed_links(101, 1)
    at = make_app("admin").run().switch_page("pages/settings.py").run()
    no_exception(at)
    page = texts(at)
    assert sandbox.api_key not in page and "••••" in page
    assert "Sandbox" in page
    assert "Environment: Sandbox" in page
    assert "Auth style: raw" in page  # the documented style is the default
    assert "Account country: Thailand" in page
    _check(at)
    assert "Links+ answered in" in texts(at)
    assert "Links+ accepts the key sent as raw" in texts(at)
    assert "Healthy" in texts(at)


def _check(at):
    next(b for b in at.button if b.label == "Check the connection").click().run()
    no_exception(at)
    return texts(at)


def test_settings_check_says_which_auth_style_links_plus_accepts(make_app, sandbox):
    sandbox.seed_links(101, 1)
    # A service that, unlike the sandbox, takes only Bearer (the sandbox's own controls
    # still name the teams).
    with AuthProxy(sandbox.url, "bearer") as proxy:
        at = make_app("admin", overrides={"api_base_url": proxy.url}).run()
        at.switch_page("pages/settings.py").run()
        before = len(proxy.seen)
        page = _check(at)
        assert proxy.seen[before:] == ["raw", "basic", "bearer"]  # one call per style
    assert "refused the key sent as raw but accepts it sent as bearer" in page
    assert '`api_auth = "bearer"`' in page and "LINKSPLUS_API_AUTH=bearer" in page
    assert sandbox.api_key not in page


def test_settings_check_names_a_wrong_key_and_the_environment_only_where_known(make_app, sandbox):
    sandbox.seed_links(101, 1)
    at = make_app("admin", overrides={"api_key": "lpk_wrong_key_000000000"}).run()
    at.switch_page("pages/settings.py").run()
    page = _check(at)
    assert "refused the key in every style (raw, basic, bearer)" in page
    assert "lpk_wrong_key_000000000" not in page
    # Not Omise's address and no sandbox controls: the page does not guess.
    at = make_app("admin", overrides={"sandbox_url": ""}).run()
    at.switch_page("pages/settings.py").run()
    no_exception(at)
    assert "Environment: Not known" in texts(at)


def test_settings_check_works_before_any_team_exists(make_app, sandbox):
    # An empty service: the check reads the key's own links, as Omise's Links+ page does.
    at = make_app("admin").run().switch_page("pages/settings.py").run()
    page = _check(at)
    assert "Links+ answered in" in page and "(0 links on the first page)" in page


def test_webhook_log_shows_what_was_stored_but_not_counted(make_app, sandbox, secrets):
    log = EventLog(secrets["eventlog_url"])
    payload = {
        "event": "payment.completed",
        "link_id": 1,
        "payment": {"id": "chrg_xyz", "amount": 5000, "currency": "xyz", "status": "successful"},
        "timestamp": "2026-02-14T10:35:00Z",
    }
    log.record(payload, remote="10.0.0.1")
    at = make_app("admin").run().switch_page("pages/webhook_log.py").run()
    no_exception(at)
    table = table_rows(at, "deliveries_table")
    (reason,) = table.loc[table["payment_id"] == "chrg_xyz", "reason"]
    assert reason == "stored, not counted: XYZ is not a currency Links+ takes"
    assert "1 of the deliveries listed were stored, not counted" in texts(at)
    at.segmented_control(key="wh_outcome").set_value("Not counted").run()
    assert table_rows(at, "deliveries_table")["payment_id"].tolist() == ["chrg_xyz"]


def test_webhook_log_times_are_the_readers_with_the_year_and_whole_seconds(
    make_app, sandbox, secrets
):
    EventLog(secrets["eventlog_url"]).record(
        {
            "event": "payment.completed",
            "link_id": 1,
            "payment": {"id": "chrg_tz", "amount": 5000, "currency": "thb", "status": "successful"},
            "timestamp": "2026-02-14T10:35:00Z",
        },
        remote="10.0.0.1",
    )
    at = make_app("admin").run().switch_page("pages/webhook_log.py").run()
    no_exception(at)
    (table,) = at.container(key="deliveries_table").dataframe
    column = json.loads(table.proto.columns)["received_at"]
    # Every other page's timezone (the console's, Asia/Bangkok here), and the year.
    config = column["type_config"]
    assert (config["format"], config["timezone"]) == ("D MMM YYYY, HH:mm:ss", "Asia/Bangkok")


def test_a_csv_writes_moments_in_the_readers_timezone_to_the_second():
    moments = pd.Series(pd.to_datetime(["2026-12-07T19:41:23.123456Z", None], utc=True))
    assert list(local_iso(moments, "Asia/Bangkok")) == ["2026-12-08T02:41:23+07:00", ""]
