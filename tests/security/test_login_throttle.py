"""Login throttle attacks (issue 9, item 11): ten parallel wrong passwords for one user,
an attacker who knows a username trying to lock its owner out, and several app processes
sharing the count, on SQLite and PostgreSQL (the event log's database)."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import pytest

from linksplus.console.throttle import LoginThrottle

# The throw-away PostgreSQL of the event-log tests (skips locally without it, fails in CI).
_spec = importlib.util.spec_from_file_location(
    "_webhooks_conftest", Path(__file__).resolve().parents[1] / "webhooks" / "conftest.py"
)
_pg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_pg)
pg_server = _pg.pg_server
pg_url = _pg.pg_url

USER, ATTACKER, OWNER = "sales", "203.0.113.9", "198.51.100.7"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def login_throttle_url(request, tmp_path: Path) -> str:
    """A fresh database: once an SQLite file, once PostgreSQL."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_url")
    return f"sqlite:///{tmp_path}/shared/events.db"


def test_parallel_guesses_check_exactly_the_allowed_number(login_throttle_url):
    t = LoginThrottle(login_throttle_url)
    t.wait_seconds(USER, ATTACKER)  # make the table first: the race is about the counting
    start = threading.Barrier(10)
    verdicts = []

    def guess() -> None:
        start.wait()
        verdicts.append(t.attempt(USER, ATTACKER))

    threads = [threading.Thread(target=guess) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(v.allowed for v in verdicts) == 4, verdicts
    assert all(v.wait > 0 for v in verdicts if not v.allowed)


def test_an_attacker_does_not_lock_the_owner_out(login_throttle_url):
    t = LoginThrottle(login_throttle_url)
    for _ in range(30):
        t.attempt(USER, ATTACKER)
    assert t.wait_seconds(USER, ATTACKER) > 0
    # The owner, from another address, is checked at once and may log in.
    assert t.attempt(USER, OWNER) == (True, 0)
    t.success(USER, OWNER)
    assert t.wait_seconds(USER, OWNER) == 0


def test_two_app_processes_share_the_count(login_throttle_url):
    first, second = LoginThrottle(login_throttle_url), LoginThrottle(login_throttle_url)
    assert first.attempt(USER, ATTACKER).allowed and second.attempt(USER, ATTACKER).allowed
    assert first.attempt(USER, ATTACKER).allowed and second.attempt(USER, ATTACKER).allowed
    assert not first.attempt(USER, ATTACKER).allowed
    assert not second.attempt(USER, ATTACKER).allowed
    assert second.failures(USER, ATTACKER) == 4
    first.success(USER, ATTACKER)
    assert second.attempt(USER, ATTACKER) == (True, 0)
