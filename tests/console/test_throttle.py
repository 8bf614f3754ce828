"""The failed-login back-off's rules: the doubling wait, the window, the per-address cap.
(The attacks, parallel and across processes, are in tests/security/test_login_throttle.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from linksplus.console.throttle import LoginThrottle

USER, ATTACKER, OWNER = "sales", "203.0.113.9", "198.51.100.7"


@pytest.fixture
def sqlite_throttle_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/shared/events.db"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_four_attempts_then_a_doubling_wait_and_success_clears(sqlite_throttle_url):
    clock = Clock()
    t = LoginThrottle(sqlite_throttle_url, base_delay=5, max_delay=12, clock=clock)
    verdicts = [t.attempt("Sales ", ATTACKER) for _ in range(4)]
    assert all(v.allowed for v in verdicts)
    assert [v.wait for v in verdicts] == [0, 0, 0, 5]  # the 4th, if wrong, starts a wait
    refused = t.attempt("sales", ATTACKER)
    assert not refused.allowed and refused.wait == 5
    assert t.failures("sales", ATTACKER) == 4  # a refused attempt is not counted
    clock.now += 5
    assert t.attempt("sales", ATTACKER) == (True, 10)
    clock.now += 10
    assert t.attempt("sales", ATTACKER).wait == 12  # 5, 10, then capped at 12
    clock.now += 12
    t.success("sales", ATTACKER)
    assert t.failures("sales", ATTACKER) == 0 and t.wait_seconds("sales", ATTACKER) == 0
    assert t.attempt("sales", ATTACKER) == (True, 0)


def test_failures_are_forgotten_after_the_window(sqlite_throttle_url):
    clock = Clock()
    t = LoginThrottle(sqlite_throttle_url, window=600, clock=clock)
    for _ in range(3):
        t.attempt(USER, ATTACKER)
    clock.now += 601
    assert t.attempt(USER, ATTACKER) == (True, 0)
    assert t.failures(USER, ATTACKER) == 1


def test_one_address_is_capped_across_usernames(sqlite_throttle_url):
    t = LoginThrottle(sqlite_throttle_url, address_free_attempts=6)
    allowed = [t.attempt(f"user{i}", ATTACKER).allowed for i in range(10)]
    assert allowed == [True] * 6 + [False] * 4
    assert t.attempt("user99", OWNER).allowed  # other addresses are not slowed down


def test_successes_behind_one_address_do_not_add_up(sqlite_throttle_url):
    t = LoginThrottle(sqlite_throttle_url, address_free_attempts=3)
    for i in range(10):  # a whole office behind one NAT address, each logging in fine
        assert t.attempt(f"user{i}", OWNER).allowed
        t.success(f"user{i}", OWNER)
    assert t.wait_seconds("user0", OWNER) == 0
