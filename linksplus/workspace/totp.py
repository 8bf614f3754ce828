"""Each user's second factor (TOTP) and the console-wide options, in the workspace database.

The secrets and codes are made and checked by `linksplus.console.second_factor`; this
module keeps them, and makes each use count once: a time step only forward (a code seen
once is refused again), a recovery code removed in the transaction that accepts it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from linksplus.eventlog.engine import make_engine
from linksplus.workspace.schema import SchemaOnce, console_options, user_totp

ADMINS_NEED_TOTP = "admins_need_totp"


@dataclass(frozen=True)
class Totp:
    """A user's second factor: `confirmed` once a first code matched."""

    username: str
    secret: str
    confirmed: bool
    last_step: int
    recovery: tuple[str, ...]  # digests of the unused recovery codes


class TotpStore:
    """Second factors and console options in the database of `engine`."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._schema = SchemaOnce(engine)

    def _begin(self):
        self._schema()
        return self.engine.begin()

    def get(self, username: str) -> Totp | None:
        """`username`'s second factor, confirmed or being set up; None without one."""
        with self._begin() as conn:
            row = conn.execute(
                select(user_totp).where(user_totp.c.username == username.lower())
            ).first()
        if row is None:
            return None
        return Totp(
            row.username,
            row.secret,
            bool(row.confirmed),
            int(row.last_step),
            tuple(json.loads(row.recovery)),
        )

    def begin(self, username: str, secret: str) -> None:
        """Start setting up `secret` for `username` (not used at login until confirmed);
        replaces a setup not confirmed yet."""
        now = datetime.now(UTC)
        values = {"secret": secret, "confirmed": False, "last_step": 0, "recovery": "[]"}
        with self._begin() as conn:
            insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert
            stmt = insert(user_totp).values(username=username.lower(), updated_at=now, **values)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[user_totp.c.username],
                    set_={**values, "updated_at": now},
                    where=user_totp.c.confirmed.is_(False),
                )
            )

    def confirm(self, username: str, step: int, recovery: list[str]) -> bool:
        """Turn the setup on (its first code's `step`, the recovery codes' digests); False
        when there was no setup waiting."""
        with self._begin() as conn:
            done = conn.execute(
                update(user_totp)
                .where(user_totp.c.username == username.lower(), user_totp.c.confirmed.is_(False))
                .values(
                    confirmed=True,
                    last_step=int(step),
                    recovery=json.dumps(recovery),
                    updated_at=datetime.now(UTC),
                )
            )
        return done.rowcount == 1

    def use_step(self, username: str, step: int) -> bool:
        """Count a code of time step `step` as used; False when that step (or a later one)
        was used already: a code works once."""
        with self._begin() as conn:
            done = conn.execute(
                update(user_totp)
                .where(
                    user_totp.c.username == username.lower(),
                    user_totp.c.confirmed.is_(True),
                    user_totp.c.last_step < int(step),
                )
                .values(last_step=int(step), updated_at=datetime.now(UTC))
            )
        return done.rowcount == 1

    def use_recovery(self, username: str, digest: str) -> bool:
        """Use up the recovery code of `digest`; False when it is not (or no longer) one."""
        with self._begin() as conn:
            row = conn.execute(
                select(user_totp.c.recovery)
                .where(user_totp.c.username == username.lower(), user_totp.c.confirmed.is_(True))
                .with_for_update()
            ).first()
            left = json.loads(row.recovery) if row else []
            if digest not in left:
                return False
            left.remove(digest)
            conn.execute(
                update(user_totp)
                .where(user_totp.c.username == username.lower())
                .values(recovery=json.dumps(left), updated_at=datetime.now(UTC))
            )
        return True

    def remove(self, username: str) -> None:
        """Turn `username`'s second factor off (or drop a setup in progress)."""
        with self._begin() as conn:
            conn.execute(delete(user_totp).where(user_totp.c.username == username.lower()))

    def option(self, name: str) -> str | None:
        """A console-wide option's value, or None when never set."""
        with self._begin() as conn:
            return conn.execute(
                select(console_options.c.value).where(console_options.c.name == name)
            ).scalar()

    def set_option(self, name: str, value: str) -> None:
        now = datetime.now(UTC)
        with self._begin() as conn:
            insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert
            conn.execute(
                insert(console_options)
                .values(name=name, value=value, updated_at=now)
                .on_conflict_do_update(
                    index_elements=[console_options.c.name],
                    set_={"value": value, "updated_at": now},
                )
            )


@functools.lru_cache(maxsize=16)
def totp_store_for(url: str) -> TotpStore:
    """The second factors in the database at `url`, one store per URL and process."""
    return TotpStore(make_engine(url))
