"""Automatic reminders in the app: the option on Create link, the reminders sent in the
link's detail, the team's defaults for a manager, and the unsubscribe page."""

from __future__ import annotations

from datetime import UTC, datetime, time

from app_helpers import no_exception, texts
from test_create_link import _fill, _submit, _template

from linksplus.notify.digest import DigestPrefs, digest_prefs_of
from linksplus.notify.reminders import optout_token
from linksplus.ui.widgets import md_escape
from linksplus.workspace import Workspace
from linksplus.workspace import reminders as rem
from linksplus.workspace.schema import reminders_sent


def _create(make_app, sandbox, email: str | None, days: int = 3):
    _template(sandbox)
    at = make_app("sales").run().switch_page("pages/create_link.py").run()
    at.selectbox(key="cl_currency").set_value("thb")
    _fill(at, name="Deposit 1042")
    at.text_input(key="cl_cust_name").set_value("Khun Somsak")
    if email:
        at.text_input(key="cl_cust_email").set_value(email)
    assert at.number_input(key="cl_remind_days").value == 2  # the team's default
    assert at.number_input(key="cl_remind_max").value == 2
    at.checkbox(key="cl_remind").check()
    at.number_input(key="cl_remind_days").set_value(days)
    _submit(at)
    no_exception(at)
    return at


def test_create_link_can_turn_reminders_on(make_app, sandbox, secrets):
    at = _create(make_app, sandbox, "somsak@example.com")
    assert "is ready" in texts(at)
    link = at.session_state["cl_created"]
    chosen = rem.link_reminder(Workspace(secrets["eventlog_url"]), link["id"], 101)
    assert (chosen.after_days, chosen.max_count, chosen.name) == (3, 2, "Deposit 1042")
    assert chosen.payment_url == link["payment_url"]


def test_reminders_without_a_customer_email_are_refused_with_a_sentence(make_app, sandbox):
    at = _create(make_app, sandbox, None)
    page = texts(at)
    assert "Reminders go by email" in page and "untick the reminder" in page
    assert "is ready" not in page


def test_the_detail_shows_each_reminder_sent_with_its_time(make_app, sandbox, secrets):
    at = _create(make_app, sandbox, "somsak@example.com")
    link_id = at.session_state["cl_created"]["id"]
    ws = Workspace(secrets["eventlog_url"])
    with ws.engine.begin() as conn:
        conn.execute(
            reminders_sent.insert().values(
                link_id=link_id,
                number=1,
                team_id=101,
                email="somsak@example.com",
                day="2026-12-03",
                state="sent",
                sent_at=datetime(2026, 12, 3, 2, 30, tzinfo=UTC),
            )
        )
    at = make_app("sales", query={"link": str(link_id)}).run()
    no_exception(at)
    page = texts(at)
    assert "Automatic reminders: after every 3 unpaid days, at most 2." in page
    assert "Reminder 1 emailed to the customer on" in page
    at.button(key=f"rem_off_{link_id}").click().run()
    no_exception(at)
    assert rem.link_reminder(ws, link_id, 101) is None


def test_the_unsubscribe_page_records_the_opt_out_without_a_login(make_app, secrets):
    token = optout_token(secrets["cookie_key"], 101, "somsak@example.com")
    at = make_app(None, query={"unsubscribe": token}).run()
    no_exception(at)
    assert f"Stop the payment reminders to {md_escape('somsak@example.com')}?" in texts(at)
    at.button(key="unsubscribe_confirm").click().run()
    assert "gets no more reminders" in texts(at)
    assert rem.opted_out(Workspace(secrets["eventlog_url"]), 101, "somsak@example.com")
    bad = make_app(None, query={"unsubscribe": token + "x"}).run()
    assert "This address is not valid" in texts(bad)


def test_a_manager_sets_the_teams_reminder_defaults_and_create_link_uses_them(
    make_app, sandbox, secrets
):
    _template(sandbox)
    at = make_app("manager", query={"team": "101"}).run()
    at.number_input(key="rem_days_101").set_value(5).run()
    at.number_input(key="rem_max_101").set_value(3).run()
    no_exception(at)
    ws = Workspace(secrets["eventlog_url"])
    assert rem.team_reminder_settings(ws, 101) == rem.ReminderSettings(5, 3)
    assert "rem_days_101" not in [n.key for n in make_app("sales").run().number_input]
    at = make_app("sales").run().switch_page("pages/create_link.py").run()
    assert at.number_input(key="cl_remind_days").value == 5
    assert at.number_input(key="cl_remind_max").value == 3


def test_a_manager_asks_for_the_daily_digest_on_my_settings(make_app, secrets):
    at = make_app("manager").run().switch_page("pages/my_settings.py").run()
    no_exception(at)
    at.toggle(key="digest_on").set_value(True)
    at.time_input(key="digest_time").set_value(time(7, 30))
    at.selectbox(key="digest_tz").set_value("Europe/London")
    at.button(key="FormSubmitter:digest-Save the digest").click().run()
    no_exception(at)
    ws = Workspace(secrets["eventlog_url"])
    assert digest_prefs_of(ws, "manager") == DigestPrefs("07:30", "Europe/London")
    sales = make_app("sales").run().switch_page("pages/my_settings.py").run()
    assert "digest_on" not in [t.key for t in sales.toggle]  # managers only


def test_reminders_that_cannot_be_saved_leave_the_link_made_with_a_sentence(
    make_app, sandbox, monkeypatch
):
    from sqlalchemy.exc import OperationalError

    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(rem, "set_link_reminder", broken)
    at = _create(make_app, sandbox, "somsak@example.com")
    page = texts(at)
    assert "is ready" in page
    assert "its reminders could not be saved" in page
    assert "database is locked" not in page
