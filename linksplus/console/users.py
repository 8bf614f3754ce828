"""Who may use the console: the users file, password hashing, and what each role may open.

The users file is YAML in streamlit-authenticator's shape, with a ``teams`` entry per user::

    credentials:
      usernames:
        sales:
          name: Somchai
          email: sales@example.com
          password: $2b$12$...        # a bcrypt hash, never a plain password
          roles: [sales]
          teams: [101]                # or "*" for every team
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import yaml

ROLES = ("sales", "manager", "admin")
ALL_TEAMS = "*"

# Page keys; the ui layer maps each to a file in pages/.
LINKS, TEMPLATES, CREATE, PAYMENTS, WEBHOOKS, SETTINGS = (
    "links",
    "templates",
    "create",
    "payments",
    "webhooks",
    "settings",
)
BULK = "bulk"
PERFORMANCE = "performance"  # everyone; sales staff see only their own row
MY_SETTINGS = "my_settings"  # everyone: their own alerts
AUDIT = "audit"  # admins: the audit log
_SALES_PAGES = (LINKS, TEMPLATES, CREATE, BULK, PAYMENTS, PERFORMANCE, MY_SETTINGS)
PAGES_BY_ROLE: dict[str, tuple[str, ...]] = {
    "sales": _SALES_PAGES,
    "manager": _SALES_PAGES,
    "admin": (*_SALES_PAGES, WEBHOOKS, SETTINGS, AUDIT),
}


class UsersFileError(ValueError):
    """The users file is missing or cannot be read; the message says what to fix."""


@dataclass(frozen=True)
class UserRecord:
    """One console user. `teams` is a list of team ids, or ``"*"`` for every team."""

    username: str
    name: str
    email: str
    roles: tuple[str, ...] | list[str]
    teams: tuple[int, ...] | list[int] | str
    password_hash: str = field(repr=False)

    def __post_init__(self) -> None:
        unknown = [r for r in self.roles if r not in ROLES]
        if unknown:
            raise ValueError(
                f"unknown role(s) {unknown} for {self.username}; use {', '.join(ROLES)}"
            )
        if not _is_bcrypt(self.password_hash):
            raise ValueError(
                f"the password of {self.username} must be a bcrypt hash (use hash_password)"
            )


def hash_password(password: str) -> str:
    """A bcrypt hash of `password`, as stored in the users file."""
    if not password:
        raise ValueError("password is empty")
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def check_password(password: str, password_hash: str) -> bool:
    """Whether `password` matches the stored bcrypt hash."""
    try:
        return bcrypt.checkpw(password.encode(), password_hash.encode())
    except ValueError:
        return False


def _is_bcrypt(value: str) -> bool:
    return (
        isinstance(value, str) and value.startswith(("$2a$", "$2b$", "$2y$")) and len(value) == 60
    )


def _teams_from_yaml(value: Any) -> tuple[int, ...] | str:
    if value == ALL_TEAMS:
        return ALL_TEAMS
    if value is None:
        return ()
    if isinstance(value, (int, str)):
        value = [value]
    return tuple(int(v) for v in value)


def save_users(path: str | os.PathLike, users: Iterable[UserRecord]) -> None:
    """Write `users` to the YAML users file at `path` (atomically, readable by owner only)."""
    usernames: dict[str, Any] = {}
    for user in users:
        usernames[user.username.lower()] = {
            "name": user.name,
            "email": user.email,
            "password": user.password_hash,
            "roles": list(user.roles),
            "teams": user.teams if user.teams == ALL_TEAMS else [int(t) for t in user.teams],
        }
    text = yaml.safe_dump(
        {"credentials": {"usernames": usernames}}, sort_keys=False, allow_unicode=True
    )
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".users-", suffix=".yaml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_users(path: str | os.PathLike) -> list[UserRecord]:
    """The users in the YAML users file at `path`; `UsersFileError` says what is wrong."""
    target = Path(path)
    try:
        data = yaml.safe_load(target.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise UsersFileError(
            f"The users file {target} does not exist. Create it with "
            "`linksplus hash-password` hashes (see README)."
        ) from None
    except (OSError, yaml.YAMLError) as exc:
        raise UsersFileError(
            f"The users file {target} cannot be read ({type(exc).__name__})."
        ) from None
    entries = (data.get("credentials") or {}).get("usernames") or {}
    users = []
    for username, entry in entries.items():
        entry = entry or {}
        try:
            users.append(
                UserRecord(
                    username=str(username).lower(),
                    name=str(entry.get("name") or username),
                    email=str(entry.get("email") or ""),
                    roles=tuple(entry.get("roles") or ()),
                    teams=_teams_from_yaml(entry.get("teams")),
                    password_hash=str(entry.get("password") or ""),
                )
            )
        except (TypeError, ValueError) as exc:
            raise UsersFileError(f"The users file {target} has a problem: {exc}.") from None
    return users


def credentials_for_authenticator(users: Iterable[UserRecord]) -> dict[str, Any]:
    """The plain ``{"usernames": {...}}`` dict streamlit-authenticator takes (a new dict each
    call: the library mutates what it is given)."""
    return {
        "usernames": {
            u.username: {
                "name": u.name,
                "email": u.email,
                "password": u.password_hash,
                "roles": list(u.roles),
            }
            for u in users
        }
    }


def effective_role(roles: Sequence[str] | None) -> str | None:
    """The strongest of a user's roles (admin > manager > sales), or None with none."""
    roles = set(roles or ())
    for role in reversed(ROLES):
        if role in roles:
            return role
    return None


def pages_for(roles: Sequence[str] | None) -> tuple[str, ...]:
    """The page keys a user with `roles` may open; none without a known role."""
    role = effective_role(roles)
    return PAGES_BY_ROLE.get(role, ()) if role else ()


def teams_for(user: UserRecord | None, all_team_ids: Iterable[int] = ()) -> list[int]:
    """The team ids `user` may see. An admin, or a user with teams ``"*"``, gets every team
    in `all_team_ids`; everyone else exactly their own listed teams."""
    if user is None:
        return []
    if user.teams == ALL_TEAMS or effective_role(user.roles) == "admin":
        listed = [] if user.teams == ALL_TEAMS else list(user.teams)
        return sorted(set(all_team_ids) | set(listed))
    return [int(t) for t in user.teams]


def allowed_team(requested: Any, allowed: Sequence[int]) -> int | None:
    """`requested` (for instance a ``?team=`` value) as a team id if the user may see it,
    else None. Anything that is not exactly one of `allowed` is refused."""
    if requested is None or isinstance(requested, bool):
        return None
    try:
        team = int(str(requested).strip(), 10)
    except ValueError:
        return None
    return team if team in set(allowed) else None


# Where the users live, for the commands that run the console (`linksplus init`, `check`,
# `app`): these three functions are the only way they reach the store, so moving the users
# from the YAML file into the workspace database changes these and nothing that calls them.


def configured_users(settings: Any) -> list[UserRecord]:
    """The users the console with `settings` (a `linksplus.config.Settings`) lets in.
    `UsersFileError`, saying what to set, when their store is not set or cannot be read."""
    if not settings.users_file:
        raise UsersFileError(
            "No users file is set: put `users_file` under `[linksplus]` in "
            ".streamlit/secrets.toml (`linksplus init` does), or set LINKSPLUS_USERS_FILE."
        )
    return load_users(settings.users_file)


def user_count(settings: Any) -> int:
    """How many users the store of `settings` holds: 0 when it is not made yet;
    `UsersFileError` when it is not set or cannot be read."""
    if settings.users_file and not Path(settings.users_file).exists():
        return 0
    return len(configured_users(settings))


def add_first_admin(
    settings: Any, *, username: str, name: str, email: str, password: str
) -> UserRecord:
    """Store an admin of every team as the console's first user; ValueError when the store
    already has users (they are left as they are) or the username is not usable."""
    username = username.strip().lower()
    if not username or any(c.isspace() for c in username):
        raise ValueError("The admin's username must be one word, without spaces.")
    existing = user_count(settings)
    if existing:
        raise ValueError(
            f"The users file {settings.users_file} already has {existing} user(s); "
            "it was left as it is."
        )
    admin = UserRecord(
        username=username,
        name=name.strip() or username,
        email=email.strip(),
        roles=("admin",),
        teams=ALL_TEAMS,
        password_hash=hash_password(password),
    )
    save_users(settings.users_file, [admin])
    return admin
