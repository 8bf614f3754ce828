"""One migration runner for both schemas: every shipped version of the event log and of the
workspace upgrades in place on SQLite and PostgreSQL, keeping its data and its reports; a
newer database is refused with a sentence; `linksplus migrate` says what it did."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import pandas as pd
import pytest
from old_layouts import (
    EVENT_LOG_VERSIONS,
    WORKSPACE_VERSIONS,
    event_log_back_to,
    table_columns,
    table_rows,
    workspace_back_to,
)
from sqlalchemy import MetaData, event, inspect
from test_eventlog_read_shape import TEAM, generated_events, reports, write

from linksplus.cli import main
from linksplus.console.throttle import LoginThrottle
from linksplus.eventlog import EventLog, audit, ingest
from linksplus.eventlog.engine import make_engine
from linksplus.eventlog.schema import HISTORY as EVENT_LOG
from linksplus.eventlog.schema import schema_version
from linksplus.schema_history import MigrationResult, SchemaError, SchemaHistory, migrate
from linksplus.workspace import UserPrefs, Workspace
from linksplus.workspace.schema import HISTORY as WORKSPACE
from linksplus.workspace.schema import metadata as workspace_metadata
from linksplus.workspace.store import RowParams, upload_id_for

CHECKED_AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def versions(engine, history: SchemaHistory) -> list[int]:
    with engine.connect() as conn:
        return [row.version for row in conn.execute(history.version_table.select())]


@pytest.mark.parametrize("version", EVENT_LOG_VERSIONS)
def test_an_event_log_of_each_shipped_version_upgrades_with_identical_reports(
    db_url, version, monkeypatch
):
    monkeypatch.setattr(ingest, "TAIL_MAX", 150)  # half the log moved, half in the tail
    with EventLog(db_url) as log:
        write(log, generated_events(seed=30 + version, payments=400))
        log.record_delivery("rejected", "bad signature", "payment.completed", None, 3, "10.0.0.9")
        if version >= 5:  # release 5 made the checks table on first use, unversioned
            audit.save_check(log, CHECKED_AT, "admin", 2, '{"differences": 2}')
        before = reports(log)
        delivered = log.deliveries(limit=10_000)
        marker = log.changes(TEAM)
        with log.engine.begin() as conn:
            event_log_back_to(conn, version)
    engine = make_engine(db_url)
    try:
        assert migrate(engine, EVENT_LOG) == MigrationResult("event log", version, 7)
        assert versions(engine, EVENT_LOG) == [7]
        assert migrate(engine, EVENT_LOG) == MigrationResult("event log", 7, 7)
    finally:
        engine.dispose()
    with EventLog(db_url) as log:
        after = reports(log)
        assert len(after) == len(before)
        for old, new in zip(before, after, strict=True):
            pd.testing.assert_frame_equal(old, new)
        pd.testing.assert_frame_equal(log.deliveries(limit=10_000), delivered)
        assert log.changes(TEAM) == marker
        assert log.day_offsets() == [420]
        kept = '{"differences": 2}' if version >= 5 else None
        assert audit.last_check(log) == kept
        audit.save_check(log, CHECKED_AT, "admin", 0, '{"differences": 0}')
        assert audit.last_check(log) == '{"differences": 0}'


def _fill_workspace(ws: Workspace) -> None:
    """Records in every workspace table, through the product."""
    ws.record_link(1, 101, "Sales", "form", made_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC))
    uid = upload_id_for(b"name,amount\n", "sales")
    rows = [RowParams(i, f"Row {i}", 10_000 + i, "thb", 7, i == 2, None) for i in (1, 2)]
    ws.start_upload(uid, username="sales", team_id=101, filename="a.csv", rows=rows)
    ws.mark_sending(uid, 1)
    ws.mark_done(uid, 1, link_id=501, payment_url="https://pay/501", team_id=101, made_by="sales")
    ws.mark_reminded(1, "manager", at=datetime(2026, 1, 5, tzinfo=UTC))
    ws.set_follow_up_days(101, 5)
    ws.set_paid_seen("sales", datetime(2026, 3, 1, tzinfo=UTC))
    ws.set_user_prefs("sales", UserPrefs("th", buddhist_era=True))
    throttle = LoginThrottle(ws.engine)
    for _ in range(2):
        throttle.attempt("Sales", "10.0.0.1")


@pytest.mark.parametrize("version", WORKSPACE_VERSIONS)
def test_a_workspace_of_each_shipped_version_upgrades_keeping_its_records(db_url, version):
    ws = Workspace(db_url)
    _fill_workspace(ws)
    with ws.engine.begin() as conn:
        workspace_back_to(conn, version)
    with ws.engine.connect() as conn:
        columns = table_columns(conn, "")
        kept = table_rows(conn, columns)
    ws.close()
    assert kept["ws_link_owners"] and kept["ws_upload_rows"]
    assert ("login_attempts" in kept) == (version == 3)  # made unversioned by release 3
    engine = make_engine(db_url)
    try:
        assert migrate(engine, WORKSPACE) == MigrationResult("workspace", version, 4)
        assert migrate(engine, WORKSPACE) == MigrationResult("workspace", 4, 4)
        assert versions(engine, WORKSPACE) == [4]
        with engine.connect() as conn:
            assert table_rows(conn, columns) == kept
            assert set(workspace_metadata.tables) <= set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    ws = Workspace(db_url)  # and the upgraded records read and take what is new
    assert ws.owner(1).made_by == "sales" and ws.owner(501).upload_row == 1
    ws.mark_reminded(501, "Manager")
    assert ws.owner(501).reminded_by == "manager"
    assert ws.follow_up_days(101) == (5 if version >= 2 else 3)
    ws.set_user_prefs("manager", UserPrefs("en"))
    assert ws.user_prefs("manager") == UserPrefs("en")
    assert LoginThrottle(db_url).failures("sales", "10.0.0.1") == (2 if version == 3 else 0)
    ws.close()


def test_migrating_a_current_database_again_changes_nothing(db_url):
    engine = make_engine(db_url)
    try:
        assert migrate(engine, EVENT_LOG) == MigrationResult("event log", 0, 7)
        assert migrate(engine, WORKSPACE) == MigrationResult("workspace", 0, 4)
        with engine.connect() as conn:
            applied = [conn.execute(h.version_table.select()).all() for h in (EVENT_LOG, WORKSPACE)]
        statements: list[str] = []
        event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        assert migrate(engine, EVENT_LOG) == MigrationResult("event log", 7, 7)
        assert migrate(engine, WORKSPACE) == MigrationResult("workspace", 4, 4)
        writes = [s for s in statements if s.split()[0].upper() in ("CREATE", "INSERT", "ALTER")]
        assert writes == []
        with engine.connect() as conn:
            again = [conn.execute(h.version_table.select()).all() for h in (EVENT_LOG, WORKSPACE)]
        assert again == applied
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("history", "sentence"),
    [
        (EVENT_LOG, "the event log has schema version 99; this release knows up to 7."),
        (WORKSPACE, "the console's records have schema version 99; this release knows up to 4."),
    ],
    ids=["event log", "workspace"],
)
def test_a_newer_database_is_refused_with_a_sentence(db_url, history, sentence, capsys):
    engine = make_engine(db_url)
    try:
        migrate(engine, history)
        with engine.begin() as conn:
            conn.execute(history.version_table.update().values(version=99))
        with pytest.raises(history.error) as refused:
            migrate(engine, history)
        assert str(refused.value) == f"{sentence} Upgrade linksplus."
        assert isinstance(refused.value, SchemaError)
        assert versions(engine, history) == [99]  # left as it was
    finally:
        engine.dispose()
    assert main(["migrate", "--db", db_url]) == 1
    printed = capsys.readouterr()
    assert printed.err == f"{sentence[:1].upper()}{sentence[1:]} Upgrade linksplus.\n"
    assert "Traceback" not in printed.out + printed.err


def test_every_version_has_a_step_to_the_next():
    for history in (EVENT_LOG, WORKSPACE):
        assert sorted(history.steps) == list(range(1, history.version)), history.name
    metadata = MetaData()
    with pytest.raises(ValueError, match="one step from each of versions 1 to 3, not"):
        SchemaHistory(
            name="gappy",
            metadata=metadata,
            version_table=schema_version,
            version=4,
            steps={1: print, 3: print},
            lock_key=1,
            too_new="{found} {known}",
        )


def test_the_migrate_command_says_what_it_did(db_url, capsys):
    assert main(["migrate", "--db", db_url]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "event log: created at schema 7",
        "workspace: created at schema 4",
    ]
    assert main(["migrate", "--db", db_url]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "event log: schema 7 (already current)",
        "workspace: schema 4 (already current)",
    ]
    engine = make_engine(db_url)
    with engine.begin() as conn:  # as releases with event log 4 and workspace 2 left it
        event_log_back_to(conn, 4)
        workspace_back_to(conn, 2)
    engine.dispose()
    assert main(["migrate", "--db", db_url]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "event log: schema 4 -> 7 (upgraded)",
        "workspace: schema 2 -> 4 (upgraded)",
    ]


def test_the_migrate_command_reads_the_apps_settings(tmp_path, monkeypatch, capsys):
    # No --db: the database the app's eventlog_url names, from .streamlit/secrets.toml
    # in the working folder, where LINKSPLUS_EVENTLOG_URL wins.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LINKSPLUS_EVENTLOG_URL", raising=False)
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        '[linksplus]\neventlog_url = "sqlite:///from-secrets/events.db"\n'
    )
    assert main(["migrate"]) == 0
    assert (tmp_path / "from-secrets" / "events.db").is_file()
    env = {**os.environ, "LINKSPLUS_EVENTLOG_URL": "sqlite:///from-env/events.db"}
    done = subprocess.run(
        [sys.executable, "-m", "linksplus", "migrate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "event log: created at schema 7"
    engine = make_engine(f"sqlite:///{tmp_path}/from-env/events.db")
    assert versions(engine, EVENT_LOG) == [7] and versions(engine, WORKSPACE) == [4]
    engine.dispose()
    (tmp_path / ".streamlit" / "secrets.toml").write_text("[linksplus\n")
    monkeypatch.delenv("LINKSPLUS_EVENTLOG_URL", raising=False)
    assert main(["migrate"]) == 2
    assert capsys.readouterr().err.startswith(".streamlit/secrets.toml cannot be read as TOML")


def test_a_throttle_on_a_new_database_makes_the_workspace_schema(sqlite_url):
    throttle = LoginThrottle(sqlite_url)
    assert throttle.attempt("sales", "10.0.0.1").allowed
    assert versions(throttle.engine, WORKSPACE) == [4]
    with throttle.engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
    throttle.engine.dispose()
    assert "login_attempts" in names and "events" not in names  # the workspace's alone
