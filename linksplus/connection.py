"""The connection check: does Links+ answer, and which way of sending the key does it accept?

Omise's Links+ page sends the key bare (``raw``); the product brief shows HTTP Basic and
Bearer. Which one the service accepts is known only by trying, so `check_connection` tries
the configured style first and, only when Links+ answers 401, each other style once; the
report says which one answered (`linksplus.ui.messages.connection_advice` words it for the
Settings page). Plain Python.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from linksplus.client import LinksPlusClient
from linksplus.config import AUTH_STYLES
from linksplus.errors import AuthenticationError, LinksPlusError
from linksplus.i18n import N_

# The documented style first (Omise's Links+ page), then the product brief's two.
TRY_ORDER = tuple(sorted(AUTH_STYLES, key=("raw", "basic", "bearer").index))

STYLE_WORDS = {
    # Translated where shown: _(STYLE_WORDS[style]).
    "raw": N_("raw (the bare key as the Authorization header)"),
    "basic": N_("basic (the key as the HTTP Basic user name)"),
    "bearer": N_("bearer (Authorization: Bearer and the key)"),
}


@dataclass(frozen=True)
class Attempt:
    """One call with one auth style: how long it took, and the error if it failed."""

    auth: str
    ms: float
    error: LinksPlusError | None = None
    items: int | None = None  # items on the first page, when it answered

    @property
    def refused(self) -> bool:
        return isinstance(self.error, AuthenticationError)


@dataclass(frozen=True)
class ConnectionReport:
    """What the check found: the configured style, the attempts in order, and the style
    Links+ accepted (None when it accepted none or the check could not tell)."""

    configured: str
    attempts: tuple[Attempt, ...]

    @property
    def accepted(self) -> str | None:
        last = self.attempts[-1]
        return last.auth if last.error is None else None

    @property
    def ok(self) -> bool:
        """Links+ answered with the configured style: nothing to change."""
        return self.accepted == self.configured

    @property
    def answer(self) -> Attempt | None:
        """The attempt Links+ answered, if any."""
        return self.attempts[-1] if self.accepted else None


def check_connection(
    api_key: str,
    *,
    base_url: str,
    auth: str,
    path: str,
    timeout: float = 10.0,
) -> ConnectionReport:
    """Read the first page of the list at `path` with the `auth` style; on 401 with each
    other style in `TRY_ORDER` until one is accepted. One call per style (no retries);
    any other failure (no answer, a server error) ends the check, since trying another
    style cannot help then."""
    order = [auth, *(style for style in TRY_ORDER if style != auth)]
    attempts: list[Attempt] = []
    for style in order:
        started = time.perf_counter()
        try:
            with LinksPlusClient(
                api_key, base_url=base_url, auth=style, timeout=timeout, max_retries=0
            ) as client:
                page = next(client.iter_pages(path))
        except LinksPlusError as exc:
            attempts.append(Attempt(style, _ms(started), error=exc))
            if isinstance(exc, AuthenticationError):
                continue
            break
        attempts.append(Attempt(style, _ms(started), items=len(page)))
        break
    return ConnectionReport(auth, tuple(attempts))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
