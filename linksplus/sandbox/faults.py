"""Injected trouble for the real API's paths: added latency, 500 answers, dropped
connections and 429s.

Tests configure it through ``POST /_sandbox/faults``. A share of requests (`error_rate`,
drawn from a seeded generator when `seed` is given) or the next `fail_next` requests answer
500. For a create, a random fault strikes after the link was made half of the time, and a
`fail_next` fault does when `fail_after_create` is set: the answer is lost but the link
exists, which is exactly the case a client must check for before creating again. With
`drop_after_create` as well, the connection is closed without any answer instead of a 500.
The next `rate_limit_next` requests answer 429 with ``Retry-After: retry_after`` seconds,
doing nothing.
"""

from __future__ import annotations

import random
import threading
from enum import Enum


class Fault(Enum):
    """What to do with one request."""

    NONE = "none"
    BEFORE = "before"  # answer 500 without doing anything
    AFTER = "after"  # do the work, then answer 500 (the answer is lost)
    DROP = "drop"  # do the work, then close the connection without answering
    RATE_LIMIT = "rate_limit"  # answer 429 without doing anything


class Faults:
    """The current fault settings; `draw` decides one request's fate."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        """No latency, no errors."""
        self.configure()

    def configure(
        self,
        *,
        error_rate: float = 0.0,
        latency_ms: int = 0,
        seed: int | None = None,
        fail_next: int = 0,
        fail_after_create: bool = False,
        drop_after_create: bool = False,
        rate_limit_next: int = 0,
        retry_after: int = 1,
    ) -> None:
        with self._lock:
            self.error_rate = float(error_rate)
            self.latency_ms = int(latency_ms)
            self.fail_next = int(fail_next)
            self.fail_after_create = bool(fail_after_create)
            self.drop_after_create = bool(drop_after_create)
            self.rate_limit_next = int(rate_limit_next)
            self.retry_after = int(retry_after)
            self._rng = random.Random(seed)

    def settings(self) -> dict:
        """The current settings, as the controls answer them."""
        return {
            "error_rate": self.error_rate,
            "latency_ms": self.latency_ms,
            "fail_next": self.fail_next,
            "fail_after_create": self.fail_after_create,
            "drop_after_create": self.drop_after_create,
            "rate_limit_next": self.rate_limit_next,
            "retry_after": self.retry_after,
        }

    def draw(self, *, is_create: bool) -> Fault:
        """The fault for the request now arriving (consumes one `fail_next`)."""
        with self._lock:
            if self.rate_limit_next > 0:
                self.rate_limit_next -= 1
                return Fault.RATE_LIMIT
            if self.fail_next > 0:
                self.fail_next -= 1
                if not (is_create and self.fail_after_create):
                    return Fault.BEFORE
                return Fault.DROP if self.drop_after_create else Fault.AFTER
            if self.error_rate <= 0 or self._rng.random() >= self.error_rate:
                return Fault.NONE
            if is_create and self._rng.random() < 0.5:
                return Fault.AFTER
            return Fault.BEFORE
