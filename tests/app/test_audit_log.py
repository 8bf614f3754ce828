"""The Audit log page (issue 19 §3): a failed login, a link made and a CSV downloaded each
appear there with the person and the browser's address; only admins can open it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from app_helpers import PASSWORD, no_exception, table_rows, texts
from sqlalchemy import text
from streamlit.runtime import context as st_context

from linksplus.workspace import Workspace, activity

ADDRESS = "198.51.100.7"


@dataclass
class _Request:
    """What a browser's connection carries: AppTest itself has no address."""

    cookies: dict[str, str] = field(default_factory=dict)
    headers: list[tuple[str, str]] = field(default_factory=list)
    remote_ip: str | None = ADDRESS


@pytest.fixture(autouse=True)
def browser(monkeypatch) -> _Request:
    sent = _Request()
    monkeypatch.setattr(st_context, "_get_client_context", lambda: sent)
    return sent


def _audit_rows(make_app) -> pd.DataFrame:
    at = make_app("admin").run().switch_page("pages/audit_log.py").run()
    no_exception(at)
    assert at.title[0].value == "Audit log"
    return table_rows(at, "audit_table")


def _one(rows: pd.DataFrame, kind: str) -> pd.Series:
    found = rows[rows["Kind"] == kind]
    assert len(found) == 1, rows.to_string()
    return found.iloc[0]


def test_a_failed_login_shows_with_the_person_and_address(make_app):
    at = make_app(None).run()
    at.text_input(key="login_username").set_value("sales")
    at.text_input(key="login_password").set_value("not-" + PASSWORD)
    at.button[0].click().run()
    assert "do not match" in texts(at)
    row = _one(_audit_rows(make_app), "Login failed")
    assert (row["Person"], row["Address"]) == ("sales", ADDRESS)
    assert "not-" + PASSWORD not in row.to_string()


def test_a_login_and_a_logout_show(make_app, secrets):
    at = make_app(None, overrides={"cookie_expiry_days": "0"}).run()
    at.text_input(key="login_username").set_value("manager")
    at.text_input(key="login_password").set_value(PASSWORD)
    at.button[0].click().run()
    no_exception(at)
    at.button(key="console_logout").click().run()
    rows = _audit_rows(make_app)
    for kind in ("Logged in", "Logged out"):
        row = _one(rows, kind)
        assert (row["Person"], row["Address"]) == ("manager", ADDRESS)
    # Nothing secret anywhere in the table: not the password, the API key or the cookie key.
    with Workspace(secrets["eventlog_url"]).engine.connect() as conn:
        stored = repr(conn.execute(text("SELECT * FROM ws_activity")).all())
    for secret in (PASSWORD, secrets["api_key"], secrets["cookie_key"]):
        assert secret not in stored


def test_a_link_made_shows_with_its_id_and_how(make_app, sandbox):
    sandbox.seed_links(101, 1)
    before = {ln.id for ln in sandbox.client().list_links(101)}
    at = make_app("sales").run().switch_page("pages/create_link.py").run()
    at.selectbox(key="cl_currency").set_value("thb")
    at.text_input(key="cl_name").set_value("Deposit 77")
    at.text_input(key="cl_amount").set_value("500")
    at.button(key="FormSubmitter:create_link-Create link").click().run()
    no_exception(at)
    (new,) = [ln for ln in sandbox.client().list_links(101) if ln.id not in before]
    row = _one(_audit_rows(make_app), "Link created")
    assert (row["Person"], row["Address"]) == ("sales", ADDRESS)
    assert f"link: {new.id}" in row["Details"] and "how: form" in row["Details"]
    assert "team: 101" in row["Details"]


def test_a_csv_download_shows_and_the_audit_csv_is_recorded_too(make_app, sandbox):
    sandbox.seed_links(101, 3)
    at = make_app("manager").run()  # the Links page
    (csv,) = [b for b in at.get("download_button") if b.label == "Download CSV"]
    csv.click().run()
    no_exception(at)
    row = _one(_audit_rows(make_app), "CSV exported")
    assert (row["Person"], row["Address"]) == ("manager", ADDRESS)
    assert "what: links" in row["Details"]
    admin = make_app("admin").run().switch_page("pages/audit_log.py").run()
    admin.get("download_button")[0].click().run()
    no_exception(admin)
    exports = table_rows(admin, "audit_table")
    exports = exports[exports["Kind"] == "CSV exported"]
    assert set(exports["Person"]) == {"manager", "admin"}


def test_the_filters_narrow_the_table(make_app, secrets):
    engine = Workspace(secrets["eventlog_url"]).engine
    now = datetime.now(UTC)
    activity.record(engine, "sales", activity.LOGIN, address=ADDRESS, at=now)
    activity.record(engine, "manager", activity.LOGOUT, at=now)
    activity.record(engine, "sales", activity.LOGOUT, at=now - timedelta(days=60))
    at = make_app("admin").run().switch_page("pages/audit_log.py").run()
    assert len(table_rows(at, "audit_table")) == 2  # the last 30 days
    at.selectbox(key="audit_person").set_value("sales").run()
    assert list(table_rows(at, "audit_table")["Kind"]) == ["Logged in"]
    at.selectbox(key="audit_person").set_value("").run()
    at.multiselect(key="audit_kinds").set_value([activity.LOGOUT]).run()
    assert list(table_rows(at, "audit_table")["Person"]) == ["manager"]
    at.segmented_control(key="audit_period").set_value("90").run()
    assert list(table_rows(at, "audit_table")["Person"]) == ["manager", "sales"]


@pytest.mark.parametrize("role", ["sales", "manager"])
def test_only_admins_can_open_the_audit_log(make_app, role):
    fresh = make_app(role).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        fresh.switch_page("pages/audit_log.py")
    # Run anyway (AppTest runs the file after a switch): the page refuses by itself.
    at = make_app(role).run().switch_page("pages/templates.py").run()
    at.switch_page("pages/audit_log.py").run()
    assert "This page is not available to you." in texts(at)
    assert not at.dataframe


def test_the_app_removes_rows_older_than_audit_days(make_app, secrets):
    engine = Workspace(secrets["eventlog_url"]).engine
    now = datetime.now(UTC)
    activity.record(engine, "sales", activity.LOGIN, at=now - timedelta(days=40))
    activity.record(engine, "sales", activity.LOGOUT, at=now - timedelta(days=10))
    at = make_app(None, overrides={"audit_days": "30"}).run()
    at.text_input(key="login_username").set_value("nobody")
    at.text_input(key="login_password").set_value("wrong-password-1")
    at.button[0].click().run()  # a row written: the hourly housekeeping runs
    kept = {(e.username, e.action) for e in activity.query(engine)}
    assert kept == {("sales", activity.LOGOUT), ("nobody", activity.LOGIN_FAILED)}


def test_times_show_in_the_viewers_timezone_and_the_csv_is_neutralised(secrets):
    from linksplus.ui.audit_view import csv_bytes, display_frame

    engine = Workspace(secrets["eventlog_url"]).engine
    at = datetime(2026, 12, 8, 3, 0, 5, tzinfo=UTC)
    # A username typed into the login form is whatever the person typed.
    activity.record(engine, '=HYPERLINK("x")', activity.LOGIN_FAILED, address=ADDRESS, at=at)
    entries = activity.query(engine)
    assert display_frame(entries, "Asia/Bangkok")["Time"].tolist() == ["8 Dec 2026, 10:00:05"]
    assert display_frame(entries, "Asia/Tokyo")["Time"].tolist() == ["8 Dec 2026, 12:00:05"]
    text = csv_bytes(engine, {}, "Asia/Bangkok", "en").decode("utf-8-sig")
    assert "2026-12-08T10:00:05+07:00" in text
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    thai = csv_bytes(engine, {}, "Asia/Bangkok", "th").decode("utf-8-sig")
    assert thai.splitlines()[0].startswith("เวลา,") and "เข้าสู่ระบบไม่สำเร็จ" in thai


def test_a_bulk_upload_its_links_and_their_csv_show(make_app, sandbox):
    sandbox.control("POST", "/teams/101/templates", json={"name": "Shop"})
    rows = "".join(f"Bulk {i},{100 + i}.00,thb,Shop,no,\n" for i in range(3))
    content = ("name,amount,currency,template,multiple use,note\n" + rows).encode()
    at = make_app("sales").run().switch_page("pages/bulk_create.py").run()
    at.file_uploader[0].upload("links.csv", content, "text/csv").run()
    at.button(key="bulk_create").click().run()
    no_exception(at)
    at.get("download_button")[-2].click().run()  # the links (CSV); the QR ZIP is last
    no_exception(at)
    audit = _audit_rows(make_app)
    upload, made = _one(audit, "Bulk upload"), _one(audit, "Link created")
    assert {upload["Person"], made["Person"]} == {"sales"}
    assert "rows: 3" in upload["Details"] and "team: 101" in upload["Details"]
    assert "how: bulk" in made["Details"] and "done: 3" in made["Details"]
    assert "what: bulk links" in _one(audit, "CSV exported")["Details"]


def test_a_reconciliation_and_a_settings_change_show(make_app, sandbox):
    sandbox.seed_links(101, 1)
    at = make_app("admin").run().switch_page("pages/webhook_log.py").run()
    at.button(key="recon_check").click().run()
    no_exception(at)
    deadline = time.monotonic() + 30
    while at.button(key="recon_check").disabled:  # let the check end before the sandbox
        assert time.monotonic() < deadline, "the check did not finish"
        time.sleep(0.2)
        at.run()
    mine = make_app("manager").run().switch_page("pages/my_settings.py").run()
    mine.toggle(key="alerts_team").set_value(True)
    mine.button(key="FormSubmitter:alerts-Save").click().run()
    no_exception(mine)
    audit = _audit_rows(make_app)
    assert _one(audit, "Reconciliation run")["Person"] == "admin"
    changed = _one(audit, "Settings changed")
    assert (changed["Person"], changed["Address"]) == ("manager", ADDRESS)
    assert "what: my alerts" in changed["Details"]
