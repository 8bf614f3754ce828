"""The failed-login back-off, counted in the shared database so every app process sees it.

Per (username, address), per address, and per username from any address, counted
atomically before the password is checked; see docs/architecture.md, "The login throttle".
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import NamedTuple

from sqlalchemy import and_, case, delete, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from linksplus.eventlog.engine import make_engine
from linksplus.workspace.schema import SchemaOnce, login_attempts

ADDRESS_ROW = ""  # the username of an address's own row: no login has an empty username
ANY_ADDRESS = ""  # the address of a username's own row (from any address): no address is ""
KNOWN = "+"  # the address of a username's row for an address it logged in from is "+" + it
# Longer names are cut in the key (the password check still sees all): the column's length.
MAX_USERNAME = login_attempts.c.username.type.length
_PRUNE_EVERY = 200  # attempts between deletions of long-forgotten rows


class Verdict(NamedTuple):
    """The answer to an attempt: `allowed` to check the password now, else `wait` seconds
    first. For an allowed attempt, `wait` is the wait that follows if it fails (0: none)."""

    allowed: bool
    wait: float


class LoginThrottle:
    """Counts login attempts per (username, address), per address, and per username from
    any address, in one database.

    The username's own row counts only the attempts its (username, address) rows let
    through: guessing from many addresses adds up (`user_free_attempts`, then a wait of
    `base_delay` doubling up to `user_max_delay`), while one address alone never reaches
    it. An address the username logged in from within `known_for` seconds is not held up
    by it (the owner at their usual address); from elsewhere its wait stays short."""

    def __init__(
        self,
        url: str | Engine,
        *,
        free_attempts: int = 4,
        base_delay: float = 5.0,
        max_delay: float = 300.0,
        address_free_attempts: int = 20,
        user_free_attempts: int = 10,
        user_max_delay: float = 60.0,
        known_for: float = 30 * 86400.0,
        window: float = 900.0,
        clock: Callable[[], float] = time.time,
    ):
        self.engine = url if isinstance(url, Engine) else make_engine(url)
        self.free_attempts = free_attempts
        self.address_free_attempts = address_free_attempts
        self.user_free_attempts = user_free_attempts
        self.user_max_delay = user_max_delay
        self.known_for = known_for
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.window = window
        self._clock = clock
        # The table is the workspace schema's (version 4): made or migrated on first use.
        self._ensure_table = SchemaOnce(self.engine)
        self._attempts = itertools.count(1)

    # --- public -------------------------------------------------------------------------

    def attempt(self, username: str, address: str | None) -> Verdict:
        """Count one login attempt for `username` from `address` (None: unknown), unless a
        wait is running; say whether the password may be checked now."""
        self._ensure_table()
        user, addr = _user_key(username), _address_key(address)
        now = self._clock()
        if next(self._attempts) % _PRUNE_EVERY == 0:
            self._prune(now)
        by_address = self._count(ADDRESS_ROW, addr, self.address_free_attempts, now)
        if not by_address.allowed:
            return by_address
        by_user = self._count(user, addr, self.free_attempts, now)
        if not by_user.allowed:
            return by_user
        if self._known(user, addr, now):
            return Verdict(True, max(by_user.wait, by_address.wait))
        anywhere = self._count(
            user, ANY_ADDRESS, self.user_free_attempts, now, max_delay=self.user_max_delay
        )
        if not anywhere.allowed:
            return anywhere
        return Verdict(True, max(by_user.wait, by_address.wait, anywhere.wait))

    def success(self, username: str, address: str | None) -> None:
        """A good login: forget this username's attempts from this address, take the
        attempt off the address's count (people behind one address must not add up), and
        remember the address as one the username logs in from."""
        self._ensure_table()
        user, addr = _user_key(username), _address_key(address)
        t, now = login_attempts, self._clock()
        insert = (postgresql if self.engine.dialect.name == "postgresql" else sqlite).insert
        known = insert(t).values(
            username=user, address=_known_key(addr), failures=0, locked_until=0.0, last_failure=now
        )
        known = known.on_conflict_do_update(
            index_elements=[t.c.username, t.c.address], set_={"last_failure": now}
        )
        with self.engine.begin() as conn:
            conn.execute(known)
            conn.execute(delete(t).where(t.c.username == user, t.c.address == addr))
            conn.execute(
                sql_update(t)
                .where(t.c.username == ADDRESS_ROW, t.c.address == addr, t.c.failures > 0)
                .values(failures=t.c.failures - 1)
            )

    def wait_seconds(self, username: str, address: str | None) -> float:
        """How long `username` at `address` must wait before the next attempt (0: none)."""
        self._ensure_table()
        t = login_attempts
        user, addr = _user_key(username), _address_key(address)
        keys = [(user, addr), (ADDRESS_ROW, addr)]
        if not self._known(user, addr, self._clock()):
            keys.append((user, ANY_ADDRESS))
        with self.engine.connect() as conn:
            until = [
                conn.execute(
                    select(t.c.locked_until).where(t.c.username == u, t.c.address == a)
                ).scalar()
                or 0.0
                for u, a in keys
            ]
        return max(0.0, max(until) - self._clock())

    def failures(self, username: str, address: str | None) -> int:
        """Attempts counted for `username` at `address` since the last success."""
        self._ensure_table()
        t = login_attempts
        with self.engine.connect() as conn:
            value = conn.execute(
                select(t.c.failures).where(
                    t.c.username == _user_key(username), t.c.address == _address_key(address)
                )
            ).scalar()
        return int(value or 0)

    # --- the counting -------------------------------------------------------------------

    def _lock_expr(self, attempts, free: int, now: float, max_delay: float):
        """SQL for the `locked_until` after `attempts` attempts, `free` of them allowed in a
        row: none before the `free`-th, then `base_delay` doubling per attempt, capped at
        `max_delay`. Spelled out as a CASE: SQLite has no POWER() unless built with it."""
        whens = []
        extra, delay = 0, self.base_delay
        while delay < max_delay:
            whens.append((attempts - free == extra, now + delay))
            extra, delay = extra + 1, delay * 2
        return case((attempts < free, 0.0), *whens, else_=now + max_delay)

    def _count(
        self, user: str, addr: str, free: int, now: float, max_delay: float | None = None
    ) -> Verdict:
        t = login_attempts
        insert = (postgresql if self.engine.dialect.name == "postgresql" else sqlite).insert
        attempts = case(
            (t.c.last_failure < now - self.window, 1),
            else_=t.c.failures + 1,
        )
        stmt = insert(t).values(
            username=user,
            address=addr,
            failures=1,
            locked_until=0.0 if free > 1 else now + self.base_delay,
            last_failure=now,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.username, t.c.address],
            set_={
                "failures": attempts,
                "locked_until": self._lock_expr(attempts, free, now, max_delay or self.max_delay),
                "last_failure": now,
            },
            # A running wait refuses the attempt: nothing is updated, no row comes back.
            where=t.c.locked_until <= now,
        ).returning(t.c.locked_until)
        with self.engine.begin() as conn:
            row = conn.execute(stmt).first()
            if row is not None:
                return Verdict(True, max(0.0, float(row.locked_until) - now))
            until = conn.execute(
                select(t.c.locked_until).where(t.c.username == user, t.c.address == addr)
            ).scalar()
        return Verdict(False, max(0.0, float(until or 0.0) - now))

    def _known(self, user: str, addr: str, now: float) -> bool:
        """Whether `user` logged in from `addr` within `known_for` seconds."""
        t = login_attempts
        with self.engine.connect() as conn:
            when = conn.execute(
                select(t.c.last_failure).where(
                    t.c.username == user, t.c.address == _known_key(addr)
                )
            ).scalar()
        return when is not None and when >= now - self.known_for

    def _prune(self, now: float) -> None:
        t = login_attempts
        known = t.c.address.startswith(KNOWN, autoescape=True)
        with self.engine.begin() as conn:
            conn.execute(
                delete(t).where(
                    or_(
                        and_(~known, t.c.last_failure < now - self.window, t.c.locked_until < now),
                        and_(known, t.c.last_failure < now - self.known_for),
                    )
                )
            )


def _user_key(username: str) -> str:
    return (username or "").strip().lower()[:MAX_USERNAME]


def _address_key(address: str | None) -> str:
    # Streamlit gives no address for connections from this machine. No address starts
    # with KNOWN, which marks the rows of addresses a username logged in from.
    return (str(address or "").lstrip(KNOWN) or "local")[:63]


def _known_key(addr: str) -> str:
    return KNOWN + addr
