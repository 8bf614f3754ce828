"""The console's users in the workspace database (``ws_users``), when no `users_file` is set.

Plain records with password hashes made by the caller (`linksplus.console.users`): this
module stores them and keeps one rule that needs the database to hold, in the same
transaction as the change: no change may leave the console without an active admin.
Disabling a user also ends their logins (their login generation, see
`Workspace.end_logins`), so every app process logs them out on its next check.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import func, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from linksplus.eventlog.engine import make_engine
from linksplus.i18n import _
from linksplus.workspace.schema import SchemaOnce, login_generations, users

ADMIN = "admin"
ALL_TEAMS = "*"


class UserChangeRefused(ValueError):
    """A change to the users that is not made; the message is one sentence saying why."""


@dataclass(frozen=True)
class StoredUser:
    """One user as stored: `teams` is a tuple of team ids or ``"*"`` (every team)."""

    username: str
    name: str
    email: str
    password_hash: str
    role: str
    teams: tuple[int, ...] | str
    active: bool = True
    must_change: bool = False


def teams_text(teams: tuple[int, ...] | list[int] | str) -> str:
    """How `teams` is stored: ``"*"`` or the ids joined by commas."""
    if teams == ALL_TEAMS:
        return ALL_TEAMS
    return ",".join(str(int(t)) for t in teams)


def _teams(value: str) -> tuple[int, ...] | str:
    if value.strip() == ALL_TEAMS:
        return ALL_TEAMS
    return tuple(int(t) for t in value.split(",") if t.strip())


def _user(row) -> StoredUser:
    return StoredUser(
        username=row.username,
        name=row.name,
        email=row.email,
        password_hash=row.password_hash,
        role=row.role,
        teams=_teams(row.teams),
        active=bool(row.active),
        must_change=bool(row.must_change),
    )


def _values(user: StoredUser) -> dict:
    return {
        "name": user.name,
        "email": user.email,
        "password_hash": user.password_hash,
        "role": user.role,
        "teams": teams_text(user.teams),
        "active": user.active,
        "must_change": user.must_change,
    }


def bump_generation(conn: Connection, username: str) -> None:
    """End `username`'s logins so far (as `Workspace.end_logins`), inside `conn`'s
    transaction."""
    t = login_generations
    now = datetime.now(UTC)
    insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert
    stmt = insert(t).values(username=username, generation=1, changed_at=now)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.c.username],
            set_={"generation": t.c.generation + 1, "changed_at": now},
        )
    )


class UserStore:
    """The users in the database of `engine` (tables made or migrated on first use)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._schema = SchemaOnce(engine)

    def _begin(self):
        self._schema()
        return self.engine.begin()

    def _read(self, query, empty):
        """`query`'s result; `empty` when the table is not made yet (reads never make it:
        `linksplus check` must not change the database it checks)."""
        try:
            with self.engine.connect() as conn:
                return conn.execute(query).all()
        except DBAPIError:
            if inspect(self.engine).has_table(users.name):
                raise
            return empty

    def all(self) -> list[StoredUser]:
        """Every user, active or not, by username."""
        return [_user(r) for r in self._read(select(users).order_by(users.c.username), [])]

    def get(self, username: str) -> StoredUser | None:
        """The user `username` (any case), or None."""
        query = select(users).where(users.c.username == username.strip().lower())
        rows = self._read(query, [])
        return _user(rows[0]) if rows else None

    def count(self) -> int:
        """How many users are stored (active or not)."""
        return int(self._read(select(func.count()).select_from(users), [(0,)])[0][0])

    def stamp(self) -> tuple:
        """Something that changes whenever a user is added or changed (for caches)."""
        query = select(func.count(), func.max(users.c.updated_at))
        return tuple(self._read(query, [(0, None)])[0])

    def add(self, user: StoredUser) -> StoredUser:
        """Store a new user (username lower-cased); refused when the name is taken."""
        user = replace(user, username=user.username.strip().lower())
        now = datetime.now(UTC)
        try:
            with self._begin() as conn:
                conn.execute(
                    users.insert().values(
                        username=user.username, created_at=now, updated_at=now, **_values(user)
                    )
                )
        except IntegrityError:
            raise UserChangeRefused(
                _("There is already a user {username}: choose another username.").format(
                    username=user.username
                )
            ) from None
        return user

    def change(self, username: str, **changes) -> StoredUser:
        """Change some of a user's fields (name, email, password_hash, role, teams, active,
        must_change); refused when the user does not exist or the change would leave no
        active admin. Disabling ends the user's logins in the same transaction."""
        name = username.strip().lower()
        with self._begin() as conn:
            row = conn.execute(
                select(users).where(users.c.username == name).with_for_update()
            ).first()
            if row is None:
                raise UserChangeRefused(_("There is no user {username}.").format(username=name))
            before = _user(row)
            after = replace(before, **changes)
            if _was_active_admin(before) and not _was_active_admin(after):
                _refuse_last_admin(conn, name)
            conn.execute(
                update(users)
                .where(users.c.username == name)
                .values(updated_at=datetime.now(UTC), **_values(after))
            )
            if before.active and not after.active:
                bump_generation(conn, name)
        return after


def _was_active_admin(user: StoredUser) -> bool:
    return user.active and user.role == ADMIN


def _refuse_last_admin(conn: Connection, username: str) -> None:
    # Locks the other admins' rows (PostgreSQL): two admins demoting each other at once
    # cannot both pass this check.
    others = conn.execute(
        select(users.c.username)
        .where(users.c.role == ADMIN, users.c.active.is_(True), users.c.username != username)
        .with_for_update()
    ).all()
    if not others:
        raise UserChangeRefused(
            _(
                "{username} is the only active admin: make someone else an admin first, "
                "so that somebody can still manage the console."
            ).format(username=username)
        )


@functools.lru_cache(maxsize=16)
def store_for(url: str) -> UserStore:
    """The user store in the database at `url`, one per URL and process."""
    return UserStore(make_engine(url))
