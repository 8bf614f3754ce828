"""The Team performance page per role (AppTest), Still owed, and the Links page's age filter."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app_helpers import no_exception, table_rows, texts

from linksplus.eventlog import EventLog
from linksplus.workspace import Workspace

PAGE = "pages/team_performance.py"


def _team(sandbox, secrets):
    """Team 101: 9 links made now; 4 by sales (2 paid, one in THB twice), 3 by manager
    (1 paid), 2 outside the console. Answers the links and who made each."""
    sandbox.seed_links(101, 9)
    links = sorted(sandbox.client().list_links(101), key=lambda ln: ln.id)
    ws = Workspace(secrets["eventlog_url"])
    makers = {}
    for link, who in zip(links, ["sales"] * 4 + ["manager"] * 3 + [None] * 2, strict=True):
        if who:
            ws.record_link(link.id, 101, who, "form")
        makers[link.id] = who
    log = EventLog(secrets["eventlog_url"])
    for n, link in enumerate([links[0], links[0], links[1], links[4]]):
        log.record(
            {
                "event": "payment.completed",
                "link_id": link.id,
                "payment": {
                    "id": f"pay_{n}",
                    "amount": link.amount,
                    "currency": link.currency,
                    "status": "successful",
                },
                "timestamp": datetime.now(UTC).isoformat(),
            }
        )
    log.close()
    return links, makers


def _open(make_app, role, query=None):
    at = make_app(role).run()
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.switch_page(PAGE).run()


def test_managers_see_every_salesperson_with_zeros_and_outside_links(make_app, sandbox, secrets):
    links, _ = _team(sandbox, secrets)
    at = _open(make_app, "manager", {"team": "101"})
    no_exception(at)
    table = table_rows(at, "perf_table").set_index("Salesperson")
    amount = links[0].amount
    assert table.loc["Sales", ["Links made", "Links paid", "Conversion"]].tolist() == [4, 2, "50%"]
    assert table.loc["Manager", ["Links made", "Links paid"]].tolist() == [3, 1]
    assert table.loc["Made outside the console", ["Links made", "Links paid"]].tolist() == [2, 0]
    # Three payments of sales's two links: the volume of all three, in the links' currency.
    cur = links[0].currency.upper()
    assert table.loc["Sales", f"Paid ({cur})"] == f"{3 * amount / 100:,.2f}"
    # Sorting is the page's (its CSV follows the same order: see tests/console).
    at.selectbox(key="perf_sort").set_value("paid").run()
    assert table_rows(at, "perf_table")["Salesperson"].tolist()[:2] == ["Sales", "Manager"]
    assert "Download CSV" in [b.label for b in at.get("download_button")]
    specs = [c.proto.spec for c in at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart")]
    assert len(specs) == 3, "a chart for the one currency, time to pay, conversion by template"
    # Still owed: the single-use links not paid, all made today, per salesperson.
    owed = table_rows(at, "owed_table").set_index("Salesperson")
    assert owed.loc["Sales", "0–3 days"].startswith("2 links: ")
    assert owed.loc["Manager", "0–3 days"].startswith("2 links: ")
    assert owed.loc["Sales", "15+ days"] == "—"


def test_clicking_a_bucket_lists_its_links_and_keeps_it_in_the_url(make_app, sandbox, secrets):
    links, makers = _team(sandbox, secrets)
    at = _open(make_app, "manager", {"team": "101"})
    assert "Choose an age to see its links." in texts(at)
    at.segmented_control(key="owed_bucket").set_value("0-3").run()
    no_exception(at)
    paid = {links[0].id, links[1].id, links[4].id}
    listed = table_rows(at, "owed_links")
    assert sorted(listed["Link"]) == sorted(ln.id for ln in links if ln.id not in paid)
    assert at.query_params["owed"] == "0-3"
    at.selectbox(key="owed_who").set_value("sales").run()
    assert sorted(table_rows(at, "owed_links")["Link"]) == sorted(
        i for i, m in makers.items() if m == "sales" and i not in paid
    )
    assert at.query_params["who"] == "sales"
    # The same view from the address.
    again = _open(make_app, "manager", {"team": "101", "owed": "0-3", "who": "sales"})
    assert sorted(table_rows(again, "owed_links")["Link"]) == sorted(
        table_rows(at, "owed_links")["Link"]
    )


def test_sales_staff_see_only_their_own_row_even_by_url(make_app, sandbox, secrets):
    links, makers = _team(sandbox, secrets)
    at = _open(make_app, "sales", {"team": "101", "owed": "0-3", "who": "manager"})
    no_exception(at)
    assert "You can see only your own links here." in texts(at)
    assert table_rows(at, "perf_table")["Salesperson"].tolist() == ["Sales"]
    assert table_rows(at, "owed_table")["Salesperson"].tolist() == ["Sales"]
    mine = sorted(
        i for i, m in makers.items() if m == "sales" and i not in (links[0].id, links[1].id)
    )
    assert sorted(table_rows(at, "owed_links")["Link"]) == mine
    assert "owed_who" not in [box.key for box in at.selectbox]  # no one else to choose
    assert "who" not in at.query_params
    assert "Manager" not in texts(at)


def test_an_empty_period_says_so_and_keeps_the_salespeople(make_app, sandbox, secrets):
    sandbox.seed_links(101, 2)  # made today, none made by sales
    at = _open(make_app, "sales", {"team": "101"})
    at.segmented_control(key="perf_period").set_value("custom").run()
    at.date_input(key="perf_dates").set_value((date(2020, 1, 1), date(2020, 1, 31))).run()
    no_exception(at)
    assert "No link was made between" in texts(at)
    rows = table_rows(at, "perf_table")
    assert rows[["Salesperson", "Links made", "Links paid"]].values.tolist() == [["Sales", 0, 0]]
    assert "Nothing is owed" in texts(at)


def test_the_links_page_age_filter_from_the_url(make_app, sandbox):
    sandbox.reset("demo")  # links made over the last 90 days
    links = sandbox.client().list_links(101)
    now = datetime.now(UTC)
    expected = sorted(
        ln.id
        for ln in links
        if not ln.multiple_usage and ln.status == "active" and 8 <= (now - ln.created_at).days <= 14
    )
    assert expected, "the demo data has owed links 8-14 days old"
    at = make_app("manager", query={"team": "101", "age": "8-14"}).run()
    no_exception(at)
    assert at.selectbox(key="lf_age").value == "8-14"
    assert sorted(table_rows(at, "links_table")["id"]) == expected
    assert at.query_params["age"] == "8-14"
    at.selectbox(key="lf_age").set_value("").run()
    assert "age" not in at.query_params
    assert len(table_rows(at, "links_table")) == len(links)
