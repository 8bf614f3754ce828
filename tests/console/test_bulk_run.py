"""Creating an upload's links against the sandbox: each row once, across failures and
crashes, with Links+ ignoring Idempotency-Key (the strict case)."""

from __future__ import annotations

import io
import zipfile

import pytest

from linksplus.console.bulk_run import qr_zip, run_upload
from linksplus.workspace import Workspace
from linksplus.workspace.store import DONE, RowParams, upload_id_for


@pytest.fixture
def setup(sandbox, tmp_path):
    sandbox.control("POST", "/idempotency", json={"idempotency": "off"})
    template = sandbox.control("POST", "/teams/101/templates", json={"name": "Shop"}).json()
    ws = Workspace(f"sqlite:///{tmp_path}/ws.db")

    def upload(n: int, tag: bytes = b"a") -> str:
        uid = upload_id_for(tag, "sales")
        rows = [
            RowParams(i + 2, f"Bulk {i + 2}", 10_000 + i, "thb", template["id"]) for i in range(n)
        ]
        ws.start_upload(uid, username="sales", team_id=101, filename="a.csv", rows=rows)
        return uid

    return ws, upload


def _names(sandbox) -> list[str]:
    return sorted(ln.name for ln in sandbox.client().list_links(101))


def test_every_row_is_made_once_and_running_again_makes_nothing(sandbox, setup):
    ws, upload = setup
    uid = upload(20)
    seen = []
    result = run_upload(
        ws,
        sandbox.client(),
        uid,
        username="sales",
        team_id=101,
        concurrency=4,
        on_progress=lambda done, total: seen.append((done, total)),
    )
    assert (result.done, result.failed, result.waiting, result.error) == (20, 0, 0, None)
    assert seen[0] == (0, 20) and seen[-1] == (20, 20)
    assert _names(sandbox) == sorted(f"Bulk {i + 2}" for i in range(20))
    rows = ws.upload_rows(uid, "sales")
    assert all(r.state == DONE and r.payment_url for r in rows)
    assert {ws.owner(r.link_id).how for r in rows} == {"bulk"}
    again = run_upload(ws, sandbox.client(), uid, username="sales", team_id=101)
    assert again.done == 20 and len(_names(sandbox)) == 20
    with zipfile.ZipFile(io.BytesIO(qr_zip(rows[:3]))) as archive:
        assert len(archive.namelist()) == 3
        assert archive.read(archive.namelist()[0]).startswith(b"\x89PNG")


def test_links_plus_failing_midway_leaves_done_rows_done_and_resume_finishes(sandbox, setup):
    ws, upload = setup
    uid = upload(30)

    def fail_after_five(done, total):
        if done == 5:
            sandbox.faults(error_rate=1.0)

    result = run_upload(
        ws,
        sandbox.client(max_retries=0),
        uid,
        username="sales",
        team_id=101,
        concurrency=3,
        on_progress=fail_after_five,
    )
    assert result.error is not None and result.failed >= 1
    assert 5 <= result.done < 30 and result.done + result.failed + result.waiting == 30
    sandbox.faults(0, 0)
    resumed = run_upload(ws, sandbox.client(), uid, username="sales", team_id=101)
    assert (resumed.done, resumed.failed, resumed.waiting) == (30, 0, 0)
    names = _names(sandbox)
    assert names == sorted(set(names)) and len(names) == 30  # nothing made twice


def test_a_crash_after_links_plus_made_the_link_does_not_make_it_again(sandbox, setup):
    ws, upload = setup
    uid = upload(4)
    client = sandbox.client()
    # The process died after sending rows 2 and 3: Links+ made row 2's link, not row 3's;
    # neither outcome reached the store.
    for row in ws.upload_rows(uid, "sales")[:2]:
        ws.mark_sending(uid, row.params.row_no)
    first = ws.upload_rows(uid, "sales")[0].params
    client.create_link(
        template_id=first.template_id,
        team_id=101,
        name=first.name,
        amount=first.amount,
        currency="thb",
    )
    result = run_upload(ws, client, uid, username="sales", team_id=101)
    assert result.done == 4
    assert _names(sandbox) == ["Bulk 2", "Bulk 3", "Bulk 4", "Bulk 5"]


def test_another_users_upload_runs_nothing(sandbox, setup):
    ws, upload = setup
    uid = upload(3)
    result = run_upload(ws, sandbox.client(), uid, username="manager", team_id=101)
    assert result.done == 0 and _names(sandbox) == []
