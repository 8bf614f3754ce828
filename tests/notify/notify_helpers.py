"""Constants, a poll, a settable clock and a notifier on it, shared by the alert,
reminder and digest tests and their fixtures."""

from __future__ import annotations

import time
from datetime import datetime

from linksplus.config import Settings
from linksplus.notify import Notifier, Timing

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


class Clock:
    """A clock the test sets: `clock.at = ...`."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def clocked_notifier(shop, users_file, smtp, clock: Clock, name: str = "test", **settings):
    """A notifier of `shop`'s database mailing through `smtp`, its reminders and digests
    on `clock`, every daily part due at each turn; `settings` add to its configuration."""
    configured = Settings(
        eventlog_url=shop.url,
        users_file=str(users_file),
        smtp_url=smtp.url,
        mail_from="Links+ <alerts@example.com>",
        console_url="https://console.example.com",
        **settings,
    )
    n = Notifier(configured, Timing(poll=0.05, lease=5, retry_base=0.2, daily=0), name=name)
    n.outbox.start_cursor()
    n.reminders.clock = n.digests.clock = clock
    return n
