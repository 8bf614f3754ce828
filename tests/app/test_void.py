"""Voiding a link: from its detail (its maker, a manager or an admin), with a reason; a void
link leaves My links, Needs follow-up and Still owed, shows "Void" in the Links table, and a
payment that still arrives is flagged on the Payments page. Un-void puts it back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st
from app_helpers import no_exception, table_rows, texts
from sqlalchemy import update
from test_my_links import _due, _pay, _team
from test_team_performance import _open
from test_team_performance import _team as _performance_team

from linksplus.workspace import Workspace, activity
from linksplus.workspace import customers as cust
from linksplus.workspace.schema import voids


def _void(at, link_id: int, reason: str):
    at.text_input(key=f"void_reason_{link_id}").set_value(reason)
    at.button(key=f"void_{link_id}").click().run()
    no_exception(at)
    return at


def _ids(at) -> list[int]:
    return sorted(table_rows(at, "links_table")["id"])


def test_the_maker_voids_a_link_it_leaves_my_links_and_shows_void_in_team(
    make_app, sandbox, secrets
):
    _, makers, ws = _team(sandbox, secrets)
    mine = sorted(i for i, m in makers.items() if m == "sales")
    target = mine[0]
    at = make_app("sales", query={"link": str(target)}).run()
    _void(at, target, "   ")  # a reason is required
    assert "Say why the link is void" in texts(at)
    assert cust.void_of(ws, target) is None
    _void(at, target, "wrong amount")
    void = cust.void_of(ws, target, 101)
    assert (void.voided_by, void.reason) == ("sales", "wrong amount")
    at = make_app("sales").run()  # My links: gone
    assert _ids(at) == mine[1:]
    at = make_app("sales", query={"view": "team"}).run()  # Team: there, as "Void"
    statuses = table_rows(at, "links_table").set_index("id")["status"]
    assert statuses[target] == "Void" and (statuses.drop(target) != "Void").all()
    at = make_app("sales", query={"status": "void"}).run()  # My links asked for void ones
    assert _ids(at) == [target]
    at = make_app("sales", query={"link": str(target), "view": "team"}).run()
    assert "Void: marked by sales" in texts(at) and "wrong amount" in texts(at)
    assert next(m.value for m in at.metric if m.label == "Status") == "Void"
    at.button(key=f"unvoid_{target}").click().run()
    no_exception(at)
    assert cust.void_of(ws, target) is None
    assert _ids(make_app("sales").run()) == mine
    # Both are on the Audit log: who, which link, and why it was void.
    logged = activity.query(ws.engine, actions=[activity.LINK_VOIDED, activity.LINK_UNVOIDED])
    assert [(e.action, e.username, e.detail.get("link")) for e in logged] == [
        (activity.LINK_UNVOIDED, "sales", target),
        (activity.LINK_VOIDED, "sales", target),
    ]
    assert logged[1].detail["reason"] == "wrong amount"


def test_only_the_maker_a_manager_or_an_admin_may_void(make_app, sandbox, secrets):
    _, makers, _ws = _team(sandbox, secrets)
    theirs = next(i for i, m in makers.items() if m == "manager")
    at = make_app("sales", query={"link": str(theirs), "view": "team"}).run()
    no_exception(at)
    assert not [b for b in at.button if b.key == f"void_{theirs}"]
    manager = make_app("manager", query={"team": "101", "link": str(theirs)}).run()
    assert [b for b in manager.button if b.key == f"void_{theirs}"]


def test_a_void_link_leaves_needs_follow_up(make_app, sandbox, secrets):
    links, makers, ws = _team(sandbox, secrets, 0)
    due = _due(links, makers)
    at = make_app("sales").run()
    assert f"(#{due[0].id})" in texts(at)
    cust.void_link(ws, due[0].id, 101, "sales", "customer cancelled")  # in another session
    st.cache_data.clear()  # what the voids' few seconds of caching come to
    at = make_app("sales").run()
    no_exception(at)
    page = texts(at)
    assert f"(#{due[0].id})" not in page and f"(#{due[1].id})" in page


def test_a_void_link_is_owed_by_nobody(make_app, sandbox, secrets):
    links, makers = _performance_team(sandbox, secrets)
    unpaid_of_sales = links[2]  # sales's third link: single-use, not paid
    assert makers[unpaid_of_sales.id] == "sales"
    cust.void_link(Workspace(secrets["eventlog_url"]), unpaid_of_sales.id, 101, "sales", "dup")
    at = _open(make_app, "manager", {"team": "101"})
    no_exception(at)
    owed = table_rows(at, "owed_table").set_index("Salesperson")
    assert owed.loc["Sales", "0–3 days"].startswith("1 link: ")  # 2 before the void
    at = make_app("manager", query={"team": "101", "age": "0-3"}).run()
    assert unpaid_of_sales.id not in _ids(at)


def test_a_payment_on_a_void_link_is_flagged_on_payments(make_app, sandbox, secrets):
    links, _makers, ws = _team(sandbox, secrets)
    voided, other = links[0], links[1]
    cust.void_link(ws, voided.id, 101, "manager", "wrong amount")
    with ws.engine.begin() as conn:
        conn.execute(update(voids).values(voided_at=datetime.now(UTC) - timedelta(hours=1)))
    _pay(secrets, voided, "chrg_after_void")
    _pay(secrets, other, "chrg_fine")
    at = make_app("sales").run().switch_page("pages/payments.py").run()
    no_exception(at)
    assert "1 payment on this page was made on a void link." in texts(at)
    assert "refund it in the Omise dashboard" in texts(at)
    table = table_rows(at, "payments_table").set_index("payment_id")
    assert table.loc["chrg_after_void", "flag"] == "Paid after void"
    assert table.loc["chrg_fine", "flag"] == ""
