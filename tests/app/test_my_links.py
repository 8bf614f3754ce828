"""Whose link it is on the Links page, Needs follow-up, and Paid since you last looked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
from app_helpers import no_exception, texts

from linksplus.eventlog import EventLog
from linksplus.money import format_amount
from linksplus.ui import my_links_view
from linksplus.workspace import OUTSIDE, Workspace


def _team(sandbox, secrets, n=30):
    """Team 101's links (`n` made now, or with n=0 the demo's, made over 90 days): a third
    recorded as made by sales, a third by manager, the rest made outside the console."""
    if n:
        sandbox.seed_links(101, n)
    else:
        sandbox.reset("demo")
    links = sandbox.client().list_links(101)
    ws = Workspace(secrets["eventlog_url"])
    makers = {}
    for i, link in enumerate(links):
        who = ("sales", "manager", None)[i % 3]
        if who:
            ws.record_link(link.id, 101, who, "form")
        makers[link.id] = who or OUTSIDE
    return links, makers, ws


def _pay(secrets, link, payment_id: str, when: datetime | None = None) -> None:
    """A successful payment of `link` (made `when`, default now) arrives (as the webhook
    receiver records it)."""
    EventLog(secrets["eventlog_url"]).record(
        {
            "event": "payment.completed",
            "link_id": link.id,
            "payment": {
                "id": payment_id,
                "amount": link.amount,
                "currency": link.currency,
                "status": "successful",
            },
            "timestamp": (when or datetime.now(UTC)).isoformat(),
        }
    )


def _ids(at) -> list[int]:
    return sorted(at.dataframe[0].value["id"])


def test_sales_open_on_my_links_with_team_one_click_away(make_app, sandbox, secrets):
    _, makers, _ = _team(sandbox, secrets)
    at = make_app("sales").run()
    no_exception(at)
    assert _ids(at) == sorted(i for i, m in makers.items() if m == "sales")
    assert "view" not in at.query_params  # the default leaves the address alone
    assert "Made by" not in at.dataframe[0].value.columns  # managers only
    at.segmented_control(key="lv_view").set_value("team").run()
    assert _ids(at) == sorted(makers)
    assert at.query_params["view"] == "team"


def test_managers_open_on_team_with_made_by_column_and_filter(make_app, sandbox, secrets):
    _, makers, _ = _team(sandbox, secrets)
    at = make_app("manager", query={"team": "101"}).run()
    no_exception(at)
    table = at.dataframe[0].value
    assert sorted(table["id"]) == sorted(makers)
    # By the person's name (the users file's), as Team performance shows them.
    names = {i: m if m == OUTSIDE else m.title() for i, m in makers.items()}
    assert dict(zip(table["id"], table["Made by"], strict=True)) == names
    at.multiselect(key="lf_by").set_value(["sales"]).run()
    assert _ids(at) == sorted(i for i, m in makers.items() if m == "sales")
    assert at.query_params["by"] == "sales"
    # The same view from the address.
    again = make_app("manager", query={"team": "101", "by": "sales"}).run()
    assert _ids(again) == _ids(at)
    mine = make_app("manager", query={"team": "101", "view": "mine"}).run()
    assert _ids(mine) == sorted(i for i, m in makers.items() if m == "manager")


def _due(links, makers, days=3):
    cutoff = datetime.now(UTC) - timedelta(days=days)
    return [
        ln
        for ln in sorted(links, key=lambda ln: (ln.created_at, ln.id))
        if makers[ln.id] == "sales"
        and not ln.multiple_usage
        and ln.status == "active"
        and ln.created_at <= cutoff
    ]


def test_needs_follow_up_lists_my_old_unpaid_links_oldest_first(make_app, sandbox, secrets):
    links, makers, ws = _team(sandbox, secrets, 0)
    due = _due(links, makers)
    assert len(due) >= 3, "the seeded links should include old unpaid single-use ones"
    at = make_app("sales").run()
    no_exception(at)
    rows = [c.value for c in at.markdown if "unpaid for" in str(c.value)]
    assert [f"(#{ln.id})" in r for r, ln in zip(rows, due, strict=True)] == [True] * len(due)
    # A reminder message to copy, with the address.
    assert any(due[0].payment_url in c.value and "แจ้งเตือน" in c.value for c in at.code)

    # Reminded: recorded, and the link leaves the list for N days.
    at.button(key=f"fu_done_{due[0].id}").click().run()
    no_exception(at)
    owner = ws.owner(due[0].id)
    assert owner.reminded_by == "sales" and owner.reminded_at is not None
    assert f"(#{due[0].id})" not in texts(at)

    # Paid meanwhile: it leaves at once.
    _pay(secrets, due[1], "chrg_fu_1")
    at = make_app("sales").run()
    page = texts(at)
    assert f"(#{due[1].id})" not in page and f"(#{due[2].id})" in page


def test_a_manager_sets_the_teams_follow_up_days(make_app, sandbox, secrets):
    links, makers, ws = _team(sandbox, secrets, 0)
    at = make_app("manager", query={"team": "101"}).run()
    at.number_input(key="fu_days_101").set_value(10).run()
    no_exception(at)
    assert ws.follow_up_days(101) == 10
    at = make_app("sales").run()
    assert "still unpaid 10 days after" in texts(at)
    rows = [c.value for c in at.markdown if "unpaid for" in str(c.value)]
    assert len(rows) == len(_due(links, makers, 10))


def test_paid_since_you_last_looked_toasts_and_lists_until_dismissed(make_app, sandbox, secrets):
    links, makers, ws = _team(sandbox, secrets)
    mine = next(ln for ln in links if makers[ln.id] == "sales")
    theirs = next(ln for ln in links if makers[ln.id] == "manager")
    ws.set_paid_seen("sales", datetime.now(UTC) - timedelta(hours=1))
    _pay(secrets, mine, "chrg_new_0")
    _pay(secrets, theirs, "chrg_new_1")
    at = make_app("sales").run()
    no_exception(at)
    toasts = [t.value for t in at.toast]
    assert any(f"for your link #{mine.id}" in t for t in toasts), (toasts, texts(at), at.exception)
    assert not any(f"#{theirs.id}" in t for t in toasts)
    page = texts(at)
    assert "Paid since you last looked (1)" in page
    # Another payment: a new session (another tab) toasts only that one (each payment is
    # announced once per person, ever), and the panel lists both until dismissed. (app.py
    # draws the toasts around every page; AppTest reruns a page without app.py, hence a
    # session.)
    _pay(secrets, mine, "chrg_new_2")
    other = make_app("sales").run()
    amount = format_amount(mine.amount, mine.currency, code=True)
    assert [t.value for t in other.toast if "Payment received" in t.value] == [
        f"Payment received: {amount} for your link #{mine.id}."
    ]
    assert "Paid since you last looked (2)" in texts(other)
    at.button(key="paid_dismiss").click().run()
    no_exception(at)
    assert "Paid since you last looked" not in texts(at)
    assert ws.paid_seen_at("sales") > pd.Timestamp.now(tz="UTC") - pd.Timedelta(minutes=1)


def test_a_payment_in_the_second_of_the_first_look_is_announced(
    make_app, sandbox, secrets, monkeypatch
):
    # Payment times have whole seconds: one paid 0.2 s after the first look (at .6 s) reads
    # as 0.6 s before it.
    links, makers, _ = _team(sandbox, secrets)
    mine = next(ln for ln in links if makers[ln.id] == "sales")
    look = datetime.now(UTC).replace(microsecond=600_000)

    class LookingAt(datetime):
        @classmethod
        def now(cls, tz=None):
            return look.astimezone(tz)

    monkeypatch.setattr(my_links_view, "datetime", LookingAt)
    make_app("sales").run()  # the first look: nothing of theirs paid yet
    _pay(secrets, mine, "chrg_same_second", when=look.replace(microsecond=0))
    at = make_app("sales").run()  # another tab
    no_exception(at)
    assert [t.value for t in at.toast if f"for your link #{mine.id}" in t.value], texts(at)
    assert "Paid since you last looked (1)" in texts(at)


def test_a_link_just_made_is_in_my_links_on_the_next_page(make_app, sandbox, secrets):
    # The Links page read the owners first (cached a few seconds), then sales makes a link:
    # it must be in My links at once, not after the cache expires.
    _team(sandbox, secrets)
    at = make_app("sales").run()
    before = set(_ids(at))
    at.switch_page("pages/create_link.py").run()
    at.text_input(key="cl_name").set_value("Made just now")
    at.text_input(key="cl_amount").set_value("1,250.50")
    at.button(key="FormSubmitter:create_link-Create link").click().run()
    no_exception(at)
    (made,) = [ln for ln in sandbox.client().list_links(101) if ln.name == "Made just now"]
    at.switch_page("pages/links.py").run()
    no_exception(at)
    assert set(_ids(at)) == before | {made.id}
