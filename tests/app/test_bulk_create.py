"""The Bulk create page by role: upload, preview with problems, create, resume, downloads."""

from __future__ import annotations

import pytest
from app_helpers import no_exception, texts

from linksplus.ui.widgets import md_escape
from linksplus.workspace import Workspace

HEADER = "name,amount,currency,template,multiple use,note\n"


def _csv(good: int, bad: int = 0) -> bytes:
    rows = [f"Bulk {i},{100 + i}.00,thb,Shop,no,\n" for i in range(good)]
    rows += [f"Broken {i},10.505,thb,Shop,no,\n" for i in range(bad)]
    return (HEADER + "".join(rows)).encode()


@pytest.fixture
def shop(sandbox):
    return sandbox.control("POST", "/teams/101/templates", json={"name": "Shop"}).json()


def _page(make_app, role="sales"):
    at = make_app(role).run().switch_page("pages/bulk_create.py").run()
    no_exception(at)
    return at


def _upload(at, content: bytes, name="links.csv"):
    at.file_uploader[0].upload(name, content, "text/csv").run()
    no_exception(at)
    return at


def _bulk_names(sandbox) -> list[str]:
    return sorted(ln.name for ln in sandbox.client().list_links(101) if ln.name.startswith("Bulk"))


@pytest.mark.parametrize("role", ["sales", "manager", "admin"])
def test_good_rows_are_made_bad_ones_wait_and_nothing_is_made_twice(
    make_app, sandbox, shop, secrets, role
):
    at = _upload(_page(make_app, role), _csv(8, 2))
    page = texts(at)
    assert "**8** rows are ready" in page and "**2** have problems" in page
    assert "Row 10: " + md_escape("THB amounts have at most 2 decimals.") in page
    assert "Download the sample file" in [b.label for b in at.get("download_button")]
    at.button(key="bulk_create").click().run()
    no_exception(at)
    assert _bulk_names(sandbox) == sorted(f"Bulk {i}" for i in range(8))
    assert "All 8 links are made." in texts(at)
    # The preview agrees at once: nothing left to make, and nothing to press.
    assert "**8** rows are ready, all of them made" in texts(at)
    assert "still to make" not in texts(at) and at.button(key="bulk_create").disabled
    labels = [b.label for b in at.get("download_button")]
    assert "Download the links (CSV)" in labels and "Download the QR codes (ZIP)" in labels
    link = next(ln for ln in sandbox.client().list_links(101) if ln.name == "Bulk 3")
    owner = Workspace(secrets["eventlog_url"]).owner(link.id)
    assert (owner.made_by, owner.how, owner.upload_row) == (role, "bulk", 5)
    # The same file again (another tab, after a crash): nothing left to make.
    again = _upload(_page(make_app, role), _csv(8, 2))
    assert again.button(key="bulk_create").disabled
    assert "**8** of 8 links made" in texts(again)
    assert len(_bulk_names(sandbox)) == 8


def test_links_plus_failing_leaves_rows_waiting_for_resume(make_app, sandbox, shop):
    # The strict case: Links+ ignores Idempotency-Key, and half of the failed creates
    # made their link before answering 500.
    sandbox.control("POST", "/idempotency", json={"idempotency": "off"})
    at = _upload(_page(make_app), _csv(6))
    sandbox.faults(error_rate=1.0, seed=3)
    at.button(key="bulk_create").click().run()
    no_exception(at)
    assert "rows are waiting" in texts(at) and "Press Resume" in texts(at)
    sandbox.faults(0, 0)
    assert len(_bulk_names(sandbox)) < 6
    at.button(key="bulk_resume").click().run()
    no_exception(at)
    assert _bulk_names(sandbox) == sorted(f"Bulk {i}" for i in range(6))
    assert "**6** of 6 links made" in texts(at)


@pytest.mark.parametrize(
    ("content", "sentence"),
    [
        (b"", "The file is empty."),
        (b"Deposit,100\n", "the file has no header"),
        (b"name,price\nDeposit,100\n", "a column this page does not know"),
    ],
)
def test_a_bad_file_says_what_is_wrong_and_makes_nothing(
    make_app, sandbox, shop, content, sentence
):
    at = _upload(_page(make_app), content)
    assert any(
        md_escape(sentence) in e.value and "Nothing was created" in e.value for e in at.error
    ), [e.value for e in at.error]
    assert not at.get("data_editor") or not at.button(key="bulk_create")
    assert _bulk_names(sandbox) == []


def test_another_users_upload_is_not_visible(make_app, sandbox, shop):
    at = _upload(_page(make_app, "sales"), _csv(2))
    at.button(key="bulk_create").click().run()
    upload = at.query_params["upload"]
    other = make_app("manager", query={"upload": upload, "team": "101"}).run()
    other.switch_page("pages/bulk_create.py")
    other.query_params["upload"] = upload
    other.run()
    no_exception(other)
    assert "That upload is not one of yours" in texts(other)
    assert "links made" not in texts(other)


def test_a_sheet_with_customers_notes_each_links_customer(make_app, sandbox, shop, secrets):
    from linksplus.workspace import customers as cust

    content = (
        b"name,amount,template,customer name,customer email\n"
        b"Bulk A,100,Shop,Khun Somsak,somsak@example.com\n"
        b"Bulk B,200,Shop,,\n"
    )
    at = _upload(_page(make_app), content)
    assert "**2** rows are ready" in texts(at)
    at.button(key="bulk_create").click().run()
    no_exception(at)
    links = {ln.name: ln for ln in sandbox.client().list_links(101)}
    ws = Workspace(secrets["eventlog_url"])
    assert cust.customer_of(ws, links["Bulk A"].id, 101).email == "somsak@example.com"
    assert cust.customer_of(ws, links["Bulk B"].id, 101) is None
    assert cust.find_customers(ws, "somsak")["upload_id"].isna().all()  # moved to the link
    at = make_app("sales", query={"view": "team"}).run()
    at.text_input(key="lf_text").set_value("somsak").run()
    assert list(at.dataframe(key="links_table").value["id"]) == [links["Bulk A"].id]
