"""The customer on a link: typed on Create link, shown in the link's detail, found by the
Links page's search, in the CSV (neutralised), seen by the link's team only, erased by an
admin from everywhere."""

from __future__ import annotations

import io

import pandas as pd
from app_helpers import no_exception, table_rows, texts
from test_create_link import _fill, _submit, _template

from linksplus.console.links_table import links_csv
from linksplus.ui.widgets import md_escape
from linksplus.workspace import Workspace, activity
from linksplus.workspace import customers as cust
from linksplus.workspace.customers import Customer

FORMULA = '=HYPERLINK("http://evil.example","Khun Somsak")'


def _create_with_customer(make_app, sandbox, name="Khun Somsak", **more):
    _template(sandbox)
    at = make_app("sales").run().switch_page("pages/create_link.py").run()
    at.selectbox(key="cl_currency").set_value("thb")
    _fill(at, name="Deposit 1042")
    at.text_input(key="cl_cust_name").set_value(name)
    for key, value in more.items():
        at.text_input(key=f"cl_cust_{key}").set_value(value)
    _submit(at)
    no_exception(at)
    return at


def test_a_customer_typed_on_create_link_is_in_the_detail_and_found_by_search(
    make_app, sandbox, secrets
):
    at = _create_with_customer(
        make_app, sandbox, phone="+66 81 234 5678", email="somsak@example.com", line="@somsak"
    )
    assert "is ready" in texts(at)
    link_id = at.session_state["cl_created"]["id"]
    assert at.text_input(key="cl_cust_name").value == ""  # the next link starts afresh
    # Links+ never sees the customer: the link's own note is unchanged.
    link = sandbox.client().get_link(link_id)
    assert "Somsak" not in (link.additional or "") and "Somsak" not in link.name
    ws = Workspace(secrets["eventlog_url"])
    assert cust.customer_of(ws, link_id, 101).email == "somsak@example.com"

    at = make_app("sales", query={"link": str(link_id)}).run()
    no_exception(at)
    detail = texts(at)
    for fact in ("Khun Somsak", "+66 81 234 5678", "somsak@example.com", "@somsak"):
        assert md_escape(fact) in detail  # shown as text, never as Markdown
    # "Name contains" finds the link by its customer's name too.
    sandbox.seed_links(101, 5)
    at = make_app("sales", query={"view": "team"}).run()
    at.text_input(key="lf_text").set_value("somsak").run()
    no_exception(at)
    assert list(table_rows(at, "links_table")["id"]) == [link_id]


def test_customer_fields_are_checked_with_a_sentence_beside_each(make_app, sandbox):
    at = _create_with_customer(make_app, sandbox, phone="call me", email="somsak at home")
    page = texts(at)
    assert "may have only digits" in page
    assert "does not look like an address" in page
    assert "is ready" not in page
    # Nothing was made: only the template's seeded link is there.
    assert [ln.name for ln in sandbox.client().list_links(101)] == ["Seeded link 1"]


def test_make_another_like_this_keeps_the_customer(make_app, sandbox, secrets):
    at = _create_with_customer(make_app, sandbox, email="somsak@example.com")
    link_id = at.session_state["cl_created"]["id"]
    at = make_app("sales", query={"link": str(link_id)}).run()
    at.button(key="duplicate").click().run()
    no_exception(at)
    assert at.text_input(key="cl_cust_name").value == "Khun Somsak"
    assert at.text_input(key="cl_cust_email").value == "somsak@example.com"


def test_the_links_csv_has_the_customer_neutralised():
    sandbox_like = pd.DataFrame(
        {
            "id": [11, 12],
            "name": ["Deposit", "Balance"],
            "status": ["active", "active"],
            "template": ["T", "T"],
            "currency": ["thb", "thb"],
            "amount": [10000, 20000],
            "multiple_usage": [False, False],
            "created_at": pd.to_datetime(["2026-01-01", "2026-01-02"], utc=True),
            "payment_url": ["https://pay/11", "https://pay/12"],
        }
    )
    customers = pd.DataFrame(
        [(11, FORMULA, "+66 81 234 5678", "s@example.com", None)],
        columns=["link_id", "name", "phone", "email", "line"],
    )
    csv = pd.read_csv(
        io.BytesIO(links_csv(sandbox_like, "UTC", customers=customers, void_ids=[12])),
        encoding="utf-8-sig",
        keep_default_na=False,
        dtype=str,
    )
    first = csv.set_index("link_id").loc["11"]
    assert first["customer_name"] == "'" + FORMULA  # a spreadsheet shows it, never runs it
    assert first["customer_phone"] == "'+66 81 234 5678"  # a leading + too
    assert first["customer_email"] == "s@example.com"
    assert csv.set_index("link_id").loc["12", "status"] == "void"


def test_another_team_never_sees_the_customer(make_app, sandbox, secrets):
    at = _create_with_customer(make_app, sandbox)
    link_id = at.session_state["cl_created"]["id"]
    sandbox.seed_links(102, 3)
    # The manager of both teams, looking at team 102 for team 101's link.
    at = make_app("manager", query={"team": "102", "link": str(link_id)}).run()
    no_exception(at)
    assert "is not one of" in texts(at) and "Somsak" not in texts(at)
    at.text_input(key="lf_text").set_value("somsak").run()
    assert table_rows(at, "links_table").empty
    ws = Workspace(secrets["eventlog_url"])
    assert cust.customer_of(ws, link_id, 102) is None
    assert cust.customers_frame(ws, 102).empty


def test_an_admin_erases_a_customer_from_every_link(make_app, sandbox, secrets):
    at = _create_with_customer(make_app, sandbox, email="somsak@example.com")
    link_id = at.session_state["cl_created"]["id"]
    ws = Workspace(secrets["eventlog_url"])
    cust.save_customer(ws, 999_001, 102, Customer(email="SOMSAK@example.com"), "manager")
    cust.save_customer(ws, 999_002, 101, Customer(name="Khun Malee"), "sales")
    at = make_app("admin").run().switch_page("pages/settings.py").run()
    at.text_input(key="erase_query").set_value("somsak").run()
    no_exception(at)
    found = table_rows(at, "erase_found")
    assert sorted(found["Link"]) == [link_id, 999_001]
    assert at.button(key="erase_go").disabled  # not before the confirmation
    at.checkbox(key="erase_sure").check().run()
    at.button(key="erase_go").click().run()
    no_exception(at)
    assert "Erased the customer's details from 2 links." in texts(at)
    assert cust.find_customers(ws, "somsak").empty
    assert cust.customer_of(ws, 999_002, 101) == Customer(name="Khun Malee")
    # The Audit log says which links, and keeps no copy of what was erased.
    (erased,) = activity.query(ws.engine, actions=[activity.CUSTOMER_ERASED])
    assert (erased.username, sorted(erased.detail["links"])) == ("admin", [link_id, 999_001])
    assert "somsak" not in str(erased.detail).lower()
    # Gone from the link's detail and from the search.
    at = make_app("sales", query={"link": str(link_id)}).run()
    assert "Somsak" not in texts(at)
    assert "No customer noted for this link." in texts(at)
    at.text_input(key="lf_text").set_value("somsak").run()
    assert table_rows(at, "links_table").empty
