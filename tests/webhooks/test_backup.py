"""Backups: taken while the receiver stores a steady stream of webhooks, put back into a
new database, they give the same reports and the same workspace records; a restore never
writes over data; old backups are pruned. On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pandas as pd
import pytest
from sqlalchemy import select
from webhook_helpers import body_of, payment_event, signed_headers

from linksplus.backup import BackupError, backup, backups, restore
from linksplus.eventlog import EventLog
from linksplus.eventlog.engine import make_engine
from linksplus.eventlog.schema import events
from linksplus.workspace import Workspace
from linksplus.workspace.store import UserPrefs

WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


@pytest.fixture
def other_db(request, tmp_path):
    """A second empty database of the same kind as `db_url`, to restore into."""
    if request.node.callspec.params.get("db_url") != "postgresql":
        yield f"sqlite:///{tmp_path}/restored/events.db"
        return
    server = request.getfixturevalue("pg_server")
    name = f"r_{uuid.uuid4().hex[:12]}"
    with server.connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield server.url(name)
    with server.connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _stream(url: str, stop: threading.Event, secret: str) -> None:
    """Signed payments, one after another, until `stop`: links 1 to 40, three currencies,
    some failed, the odd one sent twice (stored once)."""
    with httpx.Client(timeout=10) as client:
        n = 0
        while not stop.is_set():
            n += 1
            payload = payment_event(
                f"chrg_{n}",
                link_id=1 + n % 40,
                amount=100 * (1 + n % 97),
                currency=("thb", "jpy", "usd")[n % 3],
                status="failed" if n % 11 == 0 else "successful",
                timestamp=(WINDOW[0] + timedelta(hours=7 * n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
            for _ in range(2 if n % 13 == 0 else 1):
                body = body_of(payload)
                client.post(url, content=body, headers=signed_headers(body, secret))


def _wait_for(log: EventLog, events: int, seconds: float = 60) -> int:
    deadline = time.monotonic() + seconds
    while (count := log.count()) < events:
        assert time.monotonic() < deadline, f"only {count} of {events} events stored"
        time.sleep(0.05)
    return count


def _events(url: str) -> pd.DataFrame:
    """Every stored event, every column (its id too), by id."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return pd.read_sql(select(events).order_by(events.c.id), conn)
    finally:
        engine.dispose()


def _workspace_records(url: str) -> tuple:
    ws = Workspace(url)
    try:
        return (
            ws.owners_frame(101).sort_values("link_id").reset_index(drop=True),
            ws.user_prefs("somchai"),
            ws.follow_up_days(101),
        )
    finally:
        ws.close()


def test_a_backup_under_a_stream_of_webhooks_restores_the_same_reports_and_records(
    db_url, other_db, start_receiver, tmp_path
):
    from webhook_helpers import SECRET

    server = start_receiver(db_url, secret=SECRET)
    ws = Workspace(db_url)
    for link in range(1, 21):
        ws.record_link(link, 101, "somchai" if link % 2 else "malee", "form")
    ws.set_user_prefs("somchai", UserPrefs("th", True))
    ws.set_follow_up_days(101, 5)
    ws.close()
    source = EventLog(db_url)
    stop = threading.Event()
    sender = threading.Thread(target=_stream, args=(server.url, stop, SECRET))
    sender.start()
    try:
        _wait_for(source, 300)
        made = backup(db_url, tmp_path / "backups")
        taken = source.count()
        _wait_for(source, taken + 100)  # the stream went on past the backup
    finally:
        stop.set()
        sender.join()

    restore(made.path, other_db)
    restored = EventLog(other_db)
    copied, kept = _events(other_db), _events(db_url)
    assert 300 <= len(copied) < len(kept)
    # A snapshot: exactly the source's first events, none torn, none missing between.
    last = copied["id"].max()
    pd.testing.assert_frame_equal(copied, kept[kept["id"] <= last])

    # The restored reports are those of a log that stored exactly those events.
    reference = EventLog(f"sqlite:///{tmp_path}/reference/events.db")
    for payload in copied["payload"]:
        reference.record(json.loads(payload))
    got, want = restored.report(*WINDOW, 420), reference.report(*WINDOW, 420)
    for name in want:
        pd.testing.assert_frame_equal(
            got[name].reset_index(drop=True), want[name].reset_index(drop=True), obj=name
        )
    assert int(got["by_currency"]["successful_count"].sum()) > 0

    owners, prefs, days = _workspace_records(other_db)
    want_owners, want_prefs, want_days = _workspace_records(db_url)
    pd.testing.assert_frame_equal(owners, want_owners)
    assert (prefs, days) == (want_prefs, want_days) == (UserPrefs("th", True), 5)


def test_a_restore_never_writes_over_data(db_url, tmp_path):
    log = EventLog(db_url)
    log.record(payment_event("chrg_kept"))
    made = backup(db_url, tmp_path / "backups")
    with pytest.raises(BackupError, match="already has tables"):
        restore(made.path, db_url)
    assert log.count() == 1


def test_old_backups_are_pruned_to_the_newest(tmp_path):
    url = f"sqlite:///{tmp_path}/events.db"
    EventLog(url).record(payment_event("chrg_1"))
    start = datetime(2026, 12, 1, tzinfo=UTC)
    for day in range(5):
        result = backup(url, tmp_path / "b", keep=3, now=start + timedelta(days=day))
    names = [p.name for p in backups(tmp_path / "b")]
    assert names == [
        "linksplus-20261205T000000000000Z.sqlite3",
        "linksplus-20261204T000000000000Z.sqlite3",
        "linksplus-20261203T000000000000Z.sqlite3",
    ]
    assert [p.name for p in result.pruned] == ["linksplus-20261202T000000000000Z.sqlite3"]
    with pytest.raises(BackupError, match="not a postgresql backup"):
        restore(backups(tmp_path / "b")[0], "postgresql+psycopg://u@localhost/x")
    with pytest.raises(BackupError, match="no backup file"):
        restore(tmp_path / f"{uuid.uuid4().hex}.sqlite3", url)


def test_the_backup_and_restore_commands_read_the_apps_setting(tmp_path):
    url = f"sqlite:///{tmp_path}/events.db"
    EventLog(url).record(payment_event("chrg_cli"))
    env = {**os.environ, "LINKSPLUS_EVENTLOG_URL": url}
    run = [sys.executable, "-m", "linksplus"]
    made = subprocess.run(
        [*run, "backup", str(tmp_path / "b"), "--keep", "2"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    (file,) = backups(tmp_path / "b")
    assert made.stdout.startswith(f"Backed up to {file}")
    target = f"sqlite:///{tmp_path}/new/events.db"
    put = subprocess.run(
        [*run, "restore", str(file), "--db", target],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Restored" in put.stdout and EventLog(target).count() == 1
    again = subprocess.run(
        [*run, "restore", str(file)], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert again.stderr.strip().endswith("so that nothing stored is overwritten.")
