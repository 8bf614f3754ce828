"""The audit log's store (linksplus/workspace/activity.py), on SQLite and PostgreSQL: rows
in and out newest first, the filters, paging, pruning, and no credential in a row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from linksplus.workspace import Workspace, activity

NOW = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)


def _fill(engine) -> None:
    rows = [
        ("sales", activity.LOGIN, "198.51.100.7", {}, NOW - timedelta(hours=5)),
        ("sales", activity.LINK_CREATED, "198.51.100.7", {"link": 41, "how": "form"}, NOW),
        ("manager", activity.CSV_EXPORTED, "203.0.113.9", {"what": "payments"}, NOW),
        ("mallory", activity.LOGIN_FAILED, "192.0.2.1", {}, NOW - timedelta(days=2)),
    ]
    for who, action, address, detail, at in rows:
        activity.record(engine, who, action, address=address, detail=detail, at=at)


def test_rows_come_back_newest_first_with_who_where_and_what(db_url):
    engine = Workspace(db_url).engine
    _fill(engine)
    entries = activity.query(engine)
    assert [e.action for e in entries][-1] == activity.LOGIN_FAILED
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    made = next(e for e in entries if e.action == activity.LINK_CREATED)
    assert (made.username, made.address, made.detail) == (
        "sales",
        "198.51.100.7",
        {"link": 41, "how": "form"},
    )
    assert made.at == NOW


def test_filters_by_person_kind_and_period_and_pages(db_url):
    engine = Workspace(db_url).engine
    _fill(engine)
    assert {e.action for e in activity.query(engine, usernames=["sales"])} == {
        activity.LOGIN,
        activity.LINK_CREATED,
    }
    failed = activity.query(engine, actions=[activity.LOGIN_FAILED, activity.LOGOUT])
    assert [e.username for e in failed] == ["mallory"]
    today = activity.query(engine, since=NOW - timedelta(hours=1), until=NOW + timedelta(1))
    assert {e.username for e in today} == {"sales", "manager"}
    first, second = (activity.query(engine, limit=2, offset=o) for o in (0, 2))
    assert len(first) == len(second) == 2
    assert {e.id for e in first}.isdisjoint(e.id for e in second)
    assert activity.people(engine) == ["mallory", "manager", "sales"]


def test_prune_removes_only_rows_older_than_the_cutoff(db_url):
    engine = Workspace(db_url).engine
    old = NOW - timedelta(days=401)
    activity.record(engine, "sales", activity.LOGIN, at=old)
    activity.record(engine, "sales", activity.LOGOUT, at=NOW - timedelta(days=399))
    assert activity.prune(engine, NOW - timedelta(days=400)) == 1
    assert [e.action for e in activity.query(engine)] == [activity.LOGOUT]


def test_no_key_or_password_can_land_in_a_row(db_url):
    engine = Workspace(db_url).engine
    key, password = "skey_test_5abcdefghijklmnopqrs", "hunter2-very-secret"
    activity.record(
        engine,
        "admin",
        activity.SETTINGS_CHANGED,
        detail={
            "what": f"api key {key}",
            "password": password,
            "new_password": password,
            "api_key": key,
            "cookie_key": "x" * 40,
            "SECRET": password,
            "line_channel_token": password,
            "changed": ["api_key", key],
            "team": 101,
        },
    )
    with engine.connect() as conn:
        stored = " ".join(str(v) for v in conn.execute(text("SELECT * FROM ws_activity")).one())
    assert key not in stored and password not in stored and "x" * 40 not in stored
    (entry,) = activity.query(engine)
    assert entry.detail["team"] == 101
    assert entry.detail["what"] == f"api key {activity.REDACTED}"
    assert set(entry.detail) == {"what", "changed", "team"}


def test_an_unknown_kind_is_refused(db_url):
    with pytest.raises(ValueError, match="unknown audit action"):
        activity.record(Workspace(db_url).engine, "sales", "teleported")


def test_a_configured_secret_is_replaced_wherever_it_appears(db_url):
    engine = Workspace(db_url).engine
    key = "0123456789abcdefLINKSPLUSKEY"  # a Links+ dashboard key has no skey_ prefix
    activity.record(
        engine,
        "admin",
        activity.CSV_EXPORTED,
        detail={"what": f"links ({key})", "names": [key, "ok"]},
        redact=[key, None, ""],
    )
    (entry,) = activity.query(engine)
    assert entry.detail == {"what": f"links ({activity.REDACTED})", "names": ["[removed]", "ok"]}
