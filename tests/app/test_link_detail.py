"""What the Links page says of a link, in words a salesperson reads: Links+'s "used" is
"Paid", a link paid no time says "Not yet", a paid single-use link is paid in its detail as
soon as the payment is stored, one QR download says what it is for, and a salesperson with
no link yet is told so (not that the filters match nothing)."""

from __future__ import annotations

from app_helpers import no_exception, table_rows, texts
from streamlit.elements.lib import policies
from test_my_links import _pay

from linksplus.workspace import Workspace


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_links_plus_statuses_are_words_and_used_is_paid(make_app, sandbox):
    sandbox.seed_links(101, 6)
    links = sandbox.client().list_links(101)
    sandbox.control("POST", f"/links/{links[0].id}/status", json={"status": "used"})
    at = make_app("sales", query={"view": "team"}).run()
    no_exception(at)
    statuses = table_rows(at, "links_table").set_index("id")["status"]
    assert statuses[links[0].id] == "Paid"
    assert set(statuses) <= {"Paid", "Active", "Expired", "Disabled"}, set(statuses)


def test_the_detail_says_how_often_and_whether_it_was_paid(make_app, sandbox, secrets):
    sandbox.seed_links(101, 3, multiple_usage=False)
    link = next(ln for ln in sandbox.client().list_links(101) if not ln.multiple_usage)
    at = make_app("sales", query={"view": "team", "link": str(link.id)}).run()
    no_exception(at)
    assert _metric(at, "Paid") == "Not yet"
    assert "Active" in _metric(at, "Status")
    _pay(secrets, link, "chrg_detail_1")
    at.run()  # what the detail's timed refresh does every few seconds
    no_exception(at)
    assert _metric(at, "Paid") == "1 time"
    # Links+ (and the cached list) may still say active: the console knows it is paid.
    assert "Paid" in _metric(at, "Status")
    assert "chrg_detail_1" in list(table_rows(at, "link_payments_table")["payment_id"])
    downloads = [b.label for b in at.get("download_button") if "QR" in b.label]
    assert downloads == ["Download QR code for printing"]


def test_a_salesperson_with_no_link_yet_is_told_so_and_offered_create_link(
    make_app, sandbox, secrets
):
    sandbox.seed_links(101, 4)
    Workspace(secrets["eventlog_url"])  # the console's records exist, with no link of sales
    at = make_app("sales").run()  # sales open on My links
    no_exception(at)
    page = texts(at)
    assert "You have not made a link yet." in page
    assert "No link matches these filters" not in page
    assert any(p.proto.label == "Create link" for p in at.get("page_link"))
    # With a filter set, the filters are why.
    at.text_input(key="lf_text").set_value("no such name at all").run()
    assert "No link matches these filters" in texts(at)


def test_the_first_links_load_gives_no_streamlit_warning(make_app, sandbox, monkeypatch):
    # Streamlit logs "created with a default value but also had its value set via the
    # Session State API" once per process: catch every call, whichever test came first.
    warned: list[tuple] = []
    monkeypatch.setattr(policies, "_shown_default_value_warning", False)
    monkeypatch.setattr(policies._LOGGER, "warning", lambda *args, **kw: warned.append(args))
    sandbox.seed_links(101, 4)
    at = make_app("sales", query={"view": "team", "from": "2026-01-01"}).run()
    no_exception(at)
    assert warned == []
    assert at.date_input(key="lf_created").value[0].isoformat() == "2026-01-01"
