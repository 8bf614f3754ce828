"""Managing the console's users (the Users page and `linksplus users`): add a person,
reset or change a password, disable and re-enable, change role and teams, import a users
file. Every refusal is `UserChangeRefused` with one sentence.

Users are managed here only when they live in the console's database (no `users_file`):
with a users file they are edited in the file, and these refuse, saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from linksplus.console.password_rules import one_time_password, password_problem
from linksplus.console.users import (
    ALL_TEAMS,
    ROLES,
    UserRecord,
    check_password,
    from_stored,
    hash_password,
    load_users,
    to_stored,
    uses_store,
)
from linksplus.i18n import _
from linksplus.workspace.users import StoredUser, UserChangeRefused, UserStore, store_for

__all__ = ["UserChangeRefused"]
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,149}")


@dataclass(frozen=True)
class Imported:
    """What `import_users` did: the usernames added, and those already there (left alone)."""

    added: list[str]
    skipped: list[str]


def store(settings: Any) -> UserStore:
    """The users' store of `settings`; refused with a sentence when a users file is set."""
    if not uses_store(settings):
        raise UserChangeRefused(
            _(
                "Users are read from the users file {path}, so they are changed there. To "
                "manage them here, import it (linksplus users import) and unset users_file."
            ).format(path=settings.users_file)
        )
    return store_for(settings.eventlog_url)


def check_username(username: str) -> str:
    """`username` lower-cased; refused unless it is one word of letters, digits, . _ @ -."""
    name = (username or "").strip().lower()
    if not _USERNAME.fullmatch(name):
        raise UserChangeRefused(
            _(
                "A username is one word of letters, digits and . _ @ - (no spaces), "
                "starting with a letter or digit."
            )
        )
    return name


def parse_role(role: str) -> str:
    """`role` if it is one of sales, manager, admin; refused otherwise."""
    value = (role or "").strip().lower()
    if value not in ROLES:
        raise UserChangeRefused(
            _("The role must be one of: {roles}.").format(roles=", ".join(ROLES))
        )
    return value


def parse_teams(text: str) -> tuple[int, ...] | str:
    """``"*"`` (every team) or team ids separated by commas, as a tuple; refused otherwise."""
    value = (text or "").strip()
    if value == ALL_TEAMS:
        return ALL_TEAMS
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise UserChangeRefused(
            _("Teams are team numbers separated by commas, like 101,102, or * for every team.")
        )
    return tuple(dict.fromkeys(int(p) for p in parts))


def checked_password(password: str, username: str) -> str:
    """`password`'s bcrypt hash, if the password rules allow it for `username`."""
    problem = password_problem(password, username)
    if problem:
        raise UserChangeRefused(problem)
    return hash_password(password)


def add_user(
    settings: Any,
    *,
    username: str,
    name: str,
    email: str,
    role: str,
    teams: str | tuple[int, ...],
    password: str | None = None,
) -> tuple[UserRecord, str | None]:
    """Add a person; with no `password` a one-time one is made (returned, to show once,
    and changed at their first login). The user, and the one-time password or None."""
    username = check_username(username)
    role = parse_role(role)
    teams = parse_teams(teams) if isinstance(teams, str) else teams
    if not (name or "").strip():
        raise UserChangeRefused(_("Give the person's name."))
    once = None if password else one_time_password()
    user = StoredUser(
        username=username,
        name=name.strip(),
        email=(email or "").strip(),
        password_hash=checked_password(password or once, username),
        role=role,
        teams=teams,
        must_change=once is not None,
    )
    return from_stored(store(settings).add(user)), once


def reset_password(settings: Any, username: str) -> str:
    """Give `username` a one-time password (returned, to show once), which they must change
    at their next login; their logins so far end."""
    once = one_time_password()
    set_password(settings, username, once, one_time=True)
    return once


def set_password(settings: Any, username: str, password: str, *, one_time: bool = False) -> None:
    """Set `username`'s password (the rules apply). Their logins made with the old one end
    (a login carries a fingerprint of the password it was made with)."""
    name = check_username(username)
    store(settings).change(
        name, password_hash=checked_password(password, name), must_change=one_time
    )


def change_own_password(settings: Any, username: str, current: str, new: str) -> UserRecord:
    """A user's own change: `current` must be their password now; the user as changed."""
    users = store(settings)
    user = users.get(username)
    if user is None or not check_password(current, user.password_hash):
        raise UserChangeRefused(_("Your current password is not right. Type it again."))
    if new == current:
        raise UserChangeRefused(_("The new password must differ from the current one."))
    changed = users.change(
        user.username, password_hash=checked_password(new, user.username), must_change=False
    )
    return from_stored(changed)


def set_active(settings: Any, username: str, active: bool) -> UserRecord:
    """Disable (their logins end everywhere) or re-enable `username`."""
    return from_stored(store(settings).change(check_username(username), active=active))


def change_access(
    settings: Any, username: str, *, role: str, teams: str | tuple[int, ...]
) -> UserRecord:
    """Give `username` another role and teams (refused when no active admin would be left)."""
    teams = parse_teams(teams) if isinstance(teams, str) else teams
    return from_stored(
        store(settings).change(check_username(username), role=parse_role(role), teams=teams)
    )


def import_users(settings: Any, path: str) -> Imported:
    """Bring the users of the YAML users file at `path` into the database, once: a user
    already there (by username, any case) is skipped, never duplicated or changed."""
    users = store(settings)
    incoming = load_users(path)  # UsersFileError says what is wrong with the file
    added, skipped = [], []
    for record in incoming:
        if users.get(record.username) is not None:
            skipped.append(record.username)
            continue
        users.add(to_stored(record))
        added.append(record.username)
    return Imported(added, skipped)


def choose_own_password(settings: Any, username: str, new: str, again: str) -> UserRecord:
    """A user who logged in with a one-time password chooses their own (typed twice; not
    the one-time one); the user as changed."""
    users = store(settings)
    user = users.get(username)
    if user is None:
        raise UserChangeRefused(_("There is no user {username}.").format(username=username))
    if new != again:
        raise UserChangeRefused(_("The two new passwords differ. Type them again."))
    if check_password(new, user.password_hash):
        raise UserChangeRefused(_("Choose a password of your own, not the one you were given."))
    changed = users.change(
        user.username, password_hash=checked_password(new, user.username), must_change=False
    )
    return from_stored(changed)
