"""A per-username back-off for failed logins, kept in the server process (not the session).

After `free_attempts` failures in a row, each further attempt must wait `base_delay`
seconds, doubling per failure up to `max_delay`. A success clears the username.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Entry:
    failures: int = 0
    locked_until: float = 0.0


class LoginThrottle:
    """Counts failed logins per username, across every browser session of the process."""

    def __init__(
        self,
        *,
        free_attempts: int = 3,
        base_delay: float = 5.0,
        max_delay: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.free_attempts = free_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    @staticmethod
    def _key(username: str) -> str:
        return (username or "").strip().lower()

    def wait_seconds(self, username: str) -> float:
        """How long `username` must wait before the next attempt; 0 when it may try now."""
        with self._lock:
            entry = self._entries.get(self._key(username))
            if entry is None:
                return 0.0
            return max(0.0, entry.locked_until - self._clock())

    def failure(self, username: str) -> float:
        """Record a failed attempt; answers the wait before the next one."""
        with self._lock:
            entry = self._entries.setdefault(self._key(username), _Entry())
            entry.failures += 1
            extra = entry.failures - self.free_attempts
            if extra > 0:
                delay = min(self.max_delay, self.base_delay * 2 ** (extra - 1))
                entry.locked_until = self._clock() + delay
                return delay
            return 0.0

    def success(self, username: str) -> None:
        """Forget the failures of `username` after a good login."""
        with self._lock:
            self._entries.pop(self._key(username), None)

    def failures(self, username: str) -> int:
        with self._lock:
            entry = self._entries.get(self._key(username))
            return entry.failures if entry else 0
