"""The receiver under database faults: a payload no database can store is refused at the
door (400), a database that fails gets 503 for that batch only, the worker keeps running
and the next delivery after recovery is stored at once; /healthz writes through the same
path and notices an SQLite file deleted or replaced under it."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy.engine import make_url
from webhooks.conftest import db_url, pg_server, pg_url, sqlite_url, start_receiver  # noqa: F401
from webhooks.webhook_helpers import children, payment_event

from linksplus.eventlog import EventLog


def post(server, payload=None, *, body: bytes | None = None) -> requests.Response:
    body = json.dumps(payload).encode() if body is None else body
    return requests.post(
        server.url, data=body, headers={"Content-Type": "application/json"}, timeout=30
    )


def health(server) -> requests.Response:
    time.sleep(1.1)  # past the receiver's one-second cache of its last check
    return requests.get(f"{server.base}/healthz", timeout=30)


def worker_of(server) -> int:
    (pid,) = children(server.proc.pid)
    return pid


@pytest.mark.parametrize(
    ("payment_id", "why"),
    [
        ("x\ud800", "lone surrogate"),  # JSON's "\ud800" escape; SQLite cannot encode it
        ("x\u0000y", "NUL"),  # PostgreSQL text cannot hold it
        ("x" * 300, "longer than 255"),
    ],
)
def test_a_payload_no_database_can_store_is_a_400_and_the_worker_lives(
    start_receiver,  # noqa: F811
    db_url,  # noqa: F811
    payment_id,
    why,
):
    server = start_receiver(db_url)
    worker = worker_of(server)
    # json.dumps writes the surrogate as the escape \ud800, as an attacker would send it.
    resp = post(server, payment_event(payment_id))
    assert resp.status_code == 400
    assert resp.json()["field"] == "payment.id" and why in resp.json()["reason"]
    assert post(server, payment_event("chrg_after")).json() == {"status": "accepted"}
    assert worker_of(server) == worker  # not restarted: it never failed
    with EventLog(db_url) as log:
        assert log.events().payment_id.tolist() == ["chrg_after"]
        assert log.deliveries().outcome.tolist() == ["accepted", "rejected"]


def test_a_locked_sqlite_database_gets_503_and_the_first_delivery_after_is_stored(
    start_receiver,  # noqa: F811
    sqlite_url,  # noqa: F811
):
    server = start_receiver(sqlite_url + "?busy_timeout=300")
    worker = worker_of(server)
    assert post(server, payment_event("chrg_before")).status_code == 200

    locker = sqlite3.connect(make_url(sqlite_url).database, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        refused = [post(server, payment_event(f"chrg_locked_{i}")) for i in range(5)]
        unhealthy = health(server)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert [r.status_code for r in refused] == [503] * 5
    assert "retry" in refused[0].json()["reason"]
    assert unhealthy.status_code == 503
    assert "locked" in unhealthy.json()["database"]["error"]

    started = time.monotonic()
    after = post(server, payment_event("chrg_locked_0"))  # the sender's retry
    assert (after.status_code, after.json()) == (200, {"status": "accepted"})
    assert time.monotonic() - started < 2  # no restart wait after the failures
    assert worker_of(server) == worker
    assert health(server).status_code == 200
    # The database's own error is in the receiver's log, for whoever runs it.
    assert "database is locked" in server.log_path.read_text()


@pytest.mark.postgres
def test_a_read_only_postgresql_gets_503_and_recovers_at_once(
    start_receiver,  # noqa: F811
    pg_server,  # noqa: F811
    pg_url,  # noqa: F811
):
    server = start_receiver(pg_url)
    worker = worker_of(server)
    name = make_url(pg_url).database
    assert post(server, payment_event("chrg_before")).status_code == 200

    def read_only(on: bool) -> None:
        with pg_server.connect() as conn:
            value = "on" if on else "off"
            conn.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = {value}')
            if on:  # sessions take the setting when they start
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                )

    read_only(True)
    try:
        refused = [post(server, payment_event(f"chrg_ro_{i}")) for i in range(3)]
        unhealthy = health(server)
    finally:
        read_only(False)
    assert [r.status_code for r in refused] == [503] * 3
    assert unhealthy.status_code == 503 and "read-only" in unhealthy.json()["database"]["error"]
    assert post(server, payment_event("chrg_ro_0")).json() == {"status": "accepted"}
    assert worker_of(server) == worker
    assert "read-only transaction" in server.log_path.read_text()


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_an_sqlite_file_deleted_or_replaced_under_the_receiver_is_unhealthy_and_refused(
    start_receiver,  # noqa: F811
    sqlite_url,  # noqa: F811
    tmp_path,
    how,
):
    server = start_receiver(sqlite_url)
    assert post(server, payment_event("chrg_before")).status_code == 200
    assert health(server).status_code == 200
    path = Path(make_url(sqlite_url).database)
    if how == "replaced":  # e.g. a backup restored over it
        with EventLog(sqlite_url) as log:
            log.count()  # checkpointed, so the copy holds the event
        shutil.copy(path, tmp_path / "copy.db")
    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()
    if how == "replaced":
        shutil.move(tmp_path / "copy.db", path)

    unhealthy = health(server)
    assert unhealthy.status_code == 503
    assert how in unhealthy.json()["database"]["error"]
    resp = post(server, payment_event("chrg_after"))
    assert resp.status_code == 503  # not acknowledged: no reader would ever see it
    assert "restarted" in server.log_path.read_text()


_FULL = "could not extend file: No space left on device"
_SQLITE_FULL = [
    f"CREATE TRIGGER full_{table} BEFORE INSERT ON {table} "
    "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
    for table in ("events", "deliveries")
]
_PG_FULL = [
    "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{_FULL}' USING ERRCODE = 'disk_full'; END $$",
    *(
        f"CREATE TRIGGER full_{table} BEFORE INSERT ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION disk_full()"
        for table in ("events", "deliveries")
    ),
]


def fill_the_disk(url: str, full: bool, pg=None) -> None:
    """Make every new row fail as on a full disk, while an update in place (the health
    check's own write) still fits, as it did in issue 23; or undo it."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(make_url(url).database, isolation_level=None)
        statements = (
            _SQLITE_FULL if full else ["DROP TRIGGER full_events", "DROP TRIGGER full_deliveries"]
        )
    else:
        conn = pg.connect(make_url(url).database)
        statements = _PG_FULL if full else ["DROP FUNCTION disk_full() CASCADE"]
    with conn:
        for statement in statements:
            conn.execute(statement)


def test_healthz_is_503_while_deliveries_fail_though_its_own_write_commits(
    start_receiver,  # noqa: F811
    db_url,  # noqa: F811
    request,
):
    pg = request.getfixturevalue("pg_server") if db_url.startswith("postgresql") else None
    server = start_receiver(db_url)
    assert post(server, payment_event("chrg_before")).status_code == 200
    assert health(server).status_code == 200

    fill_the_disk(db_url, True, pg)
    try:
        polls, deliveries = [], []
        for i in range(11):  # as in the issue: eleven polls while deliveries got 503
            if i % 3 == 0:  # the sender's retries come now and then
                deliveries.append(post(server, payment_event(f"chrg_full_{i}")).status_code)
            polls.append(requests.get(f"{server.base}/healthz", timeout=30))
            time.sleep(0.4)
    finally:
        fill_the_disk(db_url, False, pg)
    print(f"\ndeliveries {deliveries}; /healthz {[p.status_code for p in polls]}")
    assert deliveries == [503] * 4
    assert [p.status_code for p in polls] == [503] * 11
    assert "deliveries fail" in polls[-1].json()["database"]["error"]

    assert post(server, payment_event("chrg_full_0")).json() == {"status": "accepted"}
    assert requests.get(f"{server.base}/healthz", timeout=30).status_code == 200
