"""The failed-login back-off."""

from linksplus.console.throttle import LoginThrottle


def test_backoff_doubles_and_success_clears():
    now = [1000.0]
    t = LoginThrottle(free_attempts=2, base_delay=5, max_delay=12, clock=lambda: now[0])
    assert t.failure("Sales") == 0 and t.failure("sales") == 0
    assert t.wait_seconds("sales") == 0
    assert t.failure("sales") == 5 and t.wait_seconds("SALES ") == 5
    assert t.failure("sales") == 10
    assert t.failure("sales") == 12  # capped
    now[0] += 12
    assert t.wait_seconds("sales") == 0
    assert t.wait_seconds("manager") == 0  # per username
    t.success("sales")
    assert t.failures("sales") == 0 and t.wait_seconds("sales") == 0
