"""Constants and a poll shared by the alert tests and their fixtures."""

from __future__ import annotations

import time

LINE_TOKEN = "line-channel-token-for-tests"
TEAM = 101


def wait_for(check, timeout: float = 20.0, what: str = "the condition"):
    """Poll `check` until it answers something true; AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
