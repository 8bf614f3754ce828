"""One place makes a link: `make_link` creates it in the sandbox (over HTTP) and records who
made it; the form, Make another like this, templates and bulk create all come through it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import text

from linksplus.console.bulk_run import run_upload
from linksplus.console.make_link import LinkRequest, UploadRowRef, make_link
from linksplus.errors import ValidationError
from linksplus.workspace import Workspace
from linksplus.workspace.links_mirror import LinksMirror
from linksplus.workspace.store import DONE, SENDING, RowParams, upload_id_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def template_id(sandbox) -> int:
    return sandbox.control("POST", "/teams/101/templates", json={"name": "Shop"}).json()["id"]


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace(f"sqlite:///{tmp_path}/ws.db")
    yield workspace
    workspace.close()


def _links(sandbox) -> list:
    return sandbox.client().list_links(101)


@pytest.mark.parametrize("how", ["form", "template", "duplicate"])
def test_the_link_is_made_in_links_plus_and_its_maker_recorded(sandbox, ws, template_id, how):
    request = LinkRequest(template_id, "Deposit 1042", 125_050, "thb", True, "Order 1042")
    made = make_link(sandbox.client(), ws, request, team_id=101, made_by="Sales", how=how)
    assert made.record_error is None
    [link] = _links(sandbox)
    assert link.id == made.link.id and made.link.payment_url
    assert (link.name, link.amount, link.currency, link.template_id) == (
        "Deposit 1042",
        125_050,
        "thb",
        template_id,
    )
    assert link.multiple_usage is True and link.additional == "Order 1042"
    owner = ws.owner(link.id)
    assert (owner.made_by, owner.team_id, owner.how) == ("sales", 101, how)
    # In the links mirror at once, as Links+ answered it: the Links page has it already.
    assert [m.to_dict() for m in LinksMirror(ws.engine).links(101)] == [link.to_dict()]


def test_a_workspace_failure_leaves_the_link_made_and_says_so(sandbox, ws, template_id):
    with ws.engine.begin() as conn:
        conn.execute(text("DROP TABLE ws_link_owners"))
    request = LinkRequest(template_id, "Deposit 7", 10_000, "thb")
    made = make_link(sandbox.client(), ws, request, team_id=101, made_by="sales", how="form")
    assert [ln.id for ln in _links(sandbox)] == [made.link.id]
    assert made.record_error == (
        f"Link #{made.link.id} was made, but the console could not record that you made it "
        "(OperationalError); it shows as made outside the console."
    )


def test_records_that_cannot_be_opened_are_a_record_error_without_their_address(
    sandbox, template_id
):
    def unavailable() -> Workspace:
        raise RuntimeError("could not connect to postgresql://console:s3cret@db/console")

    request = LinkRequest(template_id, "Deposit 8", 10_000, "thb")
    made = make_link(
        sandbox.client(), unavailable, request, team_id=101, made_by="sales", how="form"
    )
    assert [ln.name for ln in _links(sandbox)] == ["Deposit 8"]
    assert "(RuntimeError)" in made.record_error and "s3cret" not in made.record_error


def test_a_refused_request_makes_and_records_nothing(sandbox, ws, template_id):
    request = LinkRequest(template_id, "", 10_000, "thb")
    with pytest.raises(ValidationError) as refused:
        make_link(sandbox.client(), ws, request, team_id=101, made_by="sales", how="form")
    assert refused.value.field == "name"
    assert _links(sandbox) == [] and ws.owners_frame(101).empty


def test_a_link_for_an_upload_row_marks_the_row_done_with_its_owner(sandbox, ws, template_id):
    uid = upload_id_for(b"rows", "sales")
    row = RowParams(2, "Bulk 2", 10_000, "thb", template_id)
    ws.start_upload(uid, username="sales", team_id=101, filename="a.csv", rows=[row])
    request = LinkRequest(template_id, row.name, row.amount, row.currency)
    made = make_link(
        sandbox.client(),
        ws,
        request,
        team_id=101,
        made_by="sales",
        how="bulk",
        upload=UploadRowRef(uid, 2),
    )
    [stored] = ws.upload_rows(uid, "sales")
    assert (stored.state, stored.link_id, stored.payment_url) == (
        DONE,
        made.link.id,
        made.link.payment_url,
    )
    owner = ws.owner(made.link.id)
    assert (owner.made_by, owner.how, owner.upload_id, owner.upload_row) == (
        "sales",
        "bulk",
        uid,
        2,
    )


def test_a_bulk_row_whose_record_fails_is_found_on_resume_not_made_again(
    sandbox, ws, template_id, monkeypatch
):
    sandbox.control("POST", "/idempotency", json={"idempotency": "off"})
    uid = upload_id_for(b"resume", "sales")
    rows = [RowParams(2, "Bulk 2", 10_000, "thb", template_id)]
    ws.start_upload(uid, username="sales", team_id=101, filename="a.csv", rows=rows)
    mark_done = Workspace.mark_done

    def broken(*args, **kwargs):
        raise ConnectionError("the database went away")

    monkeypatch.setattr(Workspace, "mark_done", broken)
    result = run_upload(ws, sandbox.client(), uid, username="sales", team_id=101)
    [link] = _links(sandbox)
    assert (result.done, result.waiting) == (0, 1)
    assert result.error == (
        f"Row 2: Link #{link.id} was made, but the console could not record that you made "
        "it (ConnectionError); it shows as made outside the console."
    )
    assert ws.upload_rows(uid, "sales")[0].state == SENDING
    monkeypatch.setattr(Workspace, "mark_done", mark_done)
    resumed = run_upload(ws, sandbox.client(), uid, username="sales", team_id=101)
    assert (resumed.done, resumed.error) == (1, None)
    assert [ln.id for ln in _links(sandbox)] == [link.id]  # found, not made again
    assert ws.owner(link.id).upload_row == 2


def _calls_of(name: str) -> set[str]:
    """The files of the app (linksplus/, pages/, app.py) calling `name(` or `<x>.name(`."""
    files = [*(ROOT / "linksplus").rglob("*.py"), *(ROOT / "pages").rglob("*.py")]
    found = set()
    for path in [*files, ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and name in (
                getattr(node.func, "attr", None),
                getattr(node.func, "id", None),
            ):
                found.add(path.relative_to(ROOT).as_posix())
    return found


def test_links_are_made_and_their_makers_recorded_only_through_make_link():
    # None of the form, Make another like this, templates or bulk create asks the client
    # for a link or records an owner itself: they call make_link, which does both.
    here = "linksplus/console/make_link.py"
    # The sandbox (the stand-in Links+ server) has a create_link of its own: it is Links+.
    assert {f for f in _calls_of("create_link") if not f.startswith("linksplus/sandbox/")} == {here}
    # The demo seeds one owner for a link its sandbox made "three days ago" (demo data, no
    # Links+ call), so that a newcomer sees a reminder go out.
    assert _calls_of("record_link") == {here, "linksplus/demo.py"}
    assert _calls_of("mark_done") == {here}
    assert _calls_of("make_link") == {
        "linksplus/ui/create_view.py",
        "linksplus/console/bulk_run.py",
    }


def test_the_customer_is_recorded_with_the_maker_and_links_plus_never_sees_it(
    sandbox, ws, template_id
):
    from linksplus.workspace import customers as cust

    somsak = cust.Customer(name="Khun Somsak", email="somsak@example.com")
    request = LinkRequest(template_id, "Deposit 8", 10_000, "thb", additional="Order 8")
    made = make_link(
        sandbox.client(), ws, request, team_id=101, made_by="sales", how="form", customer=somsak
    )
    assert made.record_error is None
    assert cust.customer_of(ws, made.link.id, 101) == somsak
    [link] = _links(sandbox)
    assert link.additional == "Order 8" and "Somsak" not in str(link.to_dict())
    # The customer's table failing: the link is made, and the page is told.
    with ws.engine.begin() as conn:
        conn.execute(text("DROP TABLE ws_customers"))
    again = make_link(
        sandbox.client(),
        ws,
        LinkRequest(template_id, "Deposit 9", 10_000, "thb"),
        team_id=101,
        made_by="sales",
        how="form",
        customer=somsak,
    )
    assert "could not note its customer" in again.record_error
    assert ws.owner(again.link.id) is not None  # its maker is recorded all the same
