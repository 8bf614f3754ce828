"""The workspace store: ownership, uploads and their rows, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, inspect, text

from linksplus.eventlog.engine import make_engine
from linksplus.workspace import UserPrefs, Workspace
from linksplus.workspace.schema import SCHEMA_VERSION, SchemaError
from linksplus.workspace.store import DONE, FAILED, SENDING, WAITING, RowParams, upload_id_for


def _rows(n: int) -> list[RowParams]:
    return [RowParams(i, f"Row {i}", 10_000 + i, "thb", 7, False, None) for i in range(1, n + 1)]


def test_tables_are_made_on_first_use_and_opening_again_changes_nothing(db_url):
    Workspace(db_url).record_link(5, 101, "Sales", "form")
    again = Workspace(db_url)  # a second process opening the same database
    owner = again.owner(5)
    assert owner is not None and owner.made_by == "sales" and owner.how == "form"
    engine = create_engine(db_url)
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        versions = conn.execute(text("SELECT version FROM ws_schema_version")).scalars().all()
    engine.dispose()
    assert {"ws_link_owners", "ws_uploads", "ws_upload_rows", "ws_schema_version"} <= names
    assert versions == [SCHEMA_VERSION]


def test_the_event_log_and_the_workspace_share_a_database(db_url):
    from linksplus.eventlog import EventLog

    EventLog(db_url).payments()  # the event log makes its tables
    Workspace(db_url).record_link(9, 101, "sales", "bulk")
    engine = create_engine(db_url)
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
    engine.dispose()
    assert {"events", "schema_version", "ws_link_owners"} <= names


def test_a_newer_layout_is_refused_with_a_sentence(db_url):
    Workspace(db_url)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE ws_schema_version SET version = 99"))
    engine.dispose()
    with pytest.raises(SchemaError, match="Upgrade linksplus"):
        Workspace(db_url)


def test_ownership_keeps_the_first_maker_and_links_made_elsewhere_have_none(db_url):
    ws = Workspace(db_url)
    ws.record_link(1, 101, "sales", "form")
    ws.record_link(1, 101, "manager", "duplicate")  # a second record is ignored
    ws.record_link(2, 102, "manager", "template")
    assert ws.owner(1).made_by == "sales"
    assert ws.owner(3) is None
    frame = ws.owners_frame(101)
    assert frame["link_id"].tolist() == [1] and frame["made_by"].tolist() == ["sales"]
    with pytest.raises(ValueError, match="how must be one of"):
        ws.record_link(4, 101, "sales", "magic")


def test_an_upload_keeps_sent_rows_and_takes_edits_of_unsent_ones(db_url):
    ws = Workspace(db_url)
    uid = upload_id_for(b"name,amount\n", "sales")
    ws.start_upload(uid, username="sales", team_id=101, filename="a.csv", rows=_rows(3))
    assert ws.mark_sending(uid, 1) is None
    ws.mark_done(uid, 1, link_id=501, payment_url="https://pay/501", team_id=101, made_by="sales")
    assert ws.mark_sending(uid, 2) is None
    ws.mark_failed(uid, 2, "Links+ is down")
    edited = [RowParams(r.row_no, r.name + " edited", r.amount, "thb", 7) for r in _rows(3)]
    ws.start_upload(uid, username="sales", team_id=101, filename="a.csv", rows=edited)
    rows = ws.upload_rows(uid, "sales")
    assert [r.state for r in rows] == [DONE, FAILED, WAITING]
    assert [r.params.name for r in rows] == ["Row 1", "Row 2", "Row 3 edited"]
    assert rows[0].link_id == 501 and rows[1].error == "Links+ is down"
    owner = ws.owner(501)
    assert (owner.how, owner.upload_id, owner.upload_row) == ("bulk", uid, 1)
    # The second send of a row is told when the first one was, to look for its link.
    first = rows[1].attempted_at
    assert first is not None and datetime.now(UTC) - first < timedelta(minutes=1)
    assert ws.mark_sending(uid, 2) == first
    assert ws.upload_rows(uid, "sales")[1].state == SENDING
    assert ws.upload_counts(uid) == {DONE: 1, SENDING: 1, WAITING: 1}


def test_other_users_uploads_are_not_visible(db_url):
    ws = Workspace(db_url)
    uid = upload_id_for(b"same file", "sales")
    assert uid != upload_id_for(b"same file", "manager")
    ws.start_upload(uid, username="sales", team_id=101, filename="a.csv", rows=_rows(1))
    assert ws.upload(uid, "manager") is None
    assert ws.upload_rows(uid, "manager") == []
    assert ws.uploads_of("manager") == []
    assert [u.upload_id for u in ws.uploads_of("SALES")] == [uid]
    with pytest.raises(PermissionError):
        ws.start_upload(uid, username="manager", team_id=101, filename="a.csv", rows=_rows(1))


def test_a_version_1_database_is_migrated_in_place_keeping_its_records(db_url):
    engine = make_engine(db_url)  # makes an SQLite file's folder
    ts = "TIMESTAMP WITH TIME ZONE" if db_url.startswith("postgresql") else "DATETIME"
    with engine.begin() as conn:  # the layout release 1 made
        conn.execute(
            text(
                "CREATE TABLE ws_link_owners (link_id BIGINT PRIMARY KEY, team_id BIGINT NOT "
                f"NULL, made_by VARCHAR(150) NOT NULL, made_at {ts} NOT NULL, how VARCHAR(20) "
                "NOT NULL, upload_id VARCHAR(64), upload_row INTEGER)"
            )
        )
        conn.execute(
            text(f"CREATE TABLE ws_schema_version (version INTEGER NOT NULL, applied_at {ts})")
        )
        conn.execute(text("INSERT INTO ws_schema_version VALUES (1, CURRENT_TIMESTAMP)"))
        conn.execute(
            text(
                "INSERT INTO ws_link_owners VALUES (77, 101, 'sales', "
                "'2026-01-02 03:04:05', 'form', NULL, NULL)"
            )
        )
    engine.dispose()
    ws = Workspace(db_url)
    assert ws.owner(77).made_by == "sales" and ws.owner(77).reminded_at is None
    ws.mark_reminded(77, "Sales")
    assert ws.owner(77).reminded_by == "sales"
    Workspace(db_url)  # opening again: already at the new version
    engine = create_engine(db_url)
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version FROM ws_schema_version")).scalars().all()
    engine.dispose()
    assert versions == [SCHEMA_VERSION] == [5]


def test_team_follow_up_days_and_when_a_user_last_looked(db_url):
    ws = Workspace(db_url)
    assert ws.follow_up_days(101) == 3
    ws.set_follow_up_days(101, 5)
    ws.set_follow_up_days(101, 7)
    assert (ws.follow_up_days(101), ws.follow_up_days(102)) == (7, 3)
    for bad in (0, 61, "3", True):
        with pytest.raises(ValueError, match="from 1 to 60"):
            ws.set_follow_up_days(101, bad)
    assert ws.paid_seen_at("sales") is None
    when = datetime(2026, 3, 1, 12, tzinfo=UTC)
    ws.set_paid_seen("Sales", when)
    ws.set_paid_seen("sales", when + timedelta(hours=1))
    assert ws.paid_seen_at("sales") == when + timedelta(hours=1)
    ws.record_link(1, 101, "sales", "form")
    ws.record_link(2, 102, "sales", "bulk")
    ws.record_link(3, 101, "manager", "form")
    assert sorted(ws.link_ids_of("sales")) == [1, 2]


def test_a_version_2_database_gains_user_prefs_keeping_its_records(db_url):
    ws = Workspace(db_url)
    ws.record_link(5, 101, "sales", "form")
    ws.set_paid_seen("sales", datetime(2026, 3, 1, tzinfo=UTC))
    engine = create_engine(db_url)
    with engine.begin() as conn:  # back to the layout of release 2
        conn.execute(text("DROP TABLE ws_user_prefs"))
        conn.execute(text("UPDATE ws_schema_version SET version = 2"))
    Workspace(db_url)
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version FROM ws_schema_version")).scalars().all()
        names = set(inspect(conn).get_table_names())
    engine.dispose()
    assert versions == [SCHEMA_VERSION] and "ws_user_prefs" in names
    again = Workspace(db_url)
    assert again.owner(5).made_by == "sales"
    assert again.user_prefs("sales") is None
    again.set_user_prefs("sales", UserPrefs("th", buddhist_era=True))
    assert again.user_prefs("sales") == UserPrefs("th", True)


def test_each_user_keeps_their_own_language_choice(db_url):
    ws = Workspace(db_url)
    assert ws.user_prefs("manager") is None
    ws.set_user_prefs("Manager", UserPrefs("th", buddhist_era=True))
    ws.set_user_prefs("manager", UserPrefs("en", buddhist_era=False))
    ws.set_user_prefs("sales", UserPrefs("th"))
    assert ws.user_prefs("MANAGER") == UserPrefs("en", False)
    assert Workspace(db_url).user_prefs("sales") == UserPrefs("th", False)
