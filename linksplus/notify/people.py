"""Who gets an alert of a payment, and how to reach them.

Every lookup of a user goes through `Directory.person` and `Directory.users`, which read
the users where the console keeps them (`console.users.configured_users`: the users file
when one is set, else the workspace database), again whenever they change.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import NamedTuple

from linksplus.console.users import UserRecord, configured_users, effective_role, users_stamp
from linksplus.i18n import DEFAULT_LANGUAGE
from linksplus.workspace import AlertPrefs, Workspace

log = logging.getLogger(__name__)
EMAIL, LINE = "email", "line"
# Who may ask for every payment of their teams.
TEAM_ROLES = ("manager", "admin")
# How long a check for changed users stands (a database query when users are stored there).
STAMP_SECONDS = 2.0


class _Where(NamedTuple):
    users_file: str | None
    eventlog_url: str


@dataclass(frozen=True)
class Person:
    """A user as alerts need them: where to write and in which language."""

    username: str
    email: str
    language: str
    record: UserRecord


@dataclass(frozen=True)
class Route:
    """One channel to one person: ``email`` to an address, ``line`` to a LINE user id."""

    username: str
    channel: str
    address: str
    language: str


class Directory:
    """Users (from `users_file`, else the workspace's database) and their alert choices
    (from `workspace`). Disabled users are left out: they get no alerts."""

    def __init__(self, users_file: str | None, workspace: Workspace):
        self.users_file = users_file
        self.workspace = workspace
        self._where = _Where(users_file or None, workspace.url)
        self._stamp: tuple | None = None
        self._checked = float("-inf")
        self._users: dict[str, UserRecord] = {}

    def users(self) -> dict[str, UserRecord]:
        """Username -> record of every active user, re-read when they changed (the last
        good read while they cannot be read)."""
        now = time.monotonic()
        if self._where.users_file is None and now - self._checked < STAMP_SECONDS:
            return self._users  # a file's time is cheap to ask; the database less so
        self._checked = now
        try:
            stamp = users_stamp(self._where)
            if stamp != self._stamp:
                found = configured_users(self._where)
                self._users = {u.username.lower(): u for u in found if u.active}
                self._stamp = stamp
        except ValueError as exc:  # UsersFileError: the file or the database
            log.warning("the users could not be read: %s", exc)
        return self._users

    def person(self, username: str) -> Person | None:
        """`username`'s email and language, or None for a user not known (or disabled)."""
        record = self.users().get(username.lower())
        if record is None:
            return None
        prefs = self.workspace.user_prefs(username)
        language = prefs.language if prefs else DEFAULT_LANGUAGE
        return Person(record.username.lower(), record.email or "", language, record)

    def team_watchers(self, team_id: int) -> list[str]:
        """Managers and admins who asked for every payment of their teams, in `team_id`."""
        users = self.users()
        out = []
        for name in self.workspace.team_alert_subscribers():
            record = users.get(name)
            if record is None or effective_role(record.roles) not in TEAM_ROLES:
                continue
            if record.teams == "*" or int(team_id) in {int(t) for t in record.teams}:
                out.append(name)
        return out

    def routes(self, usernames: list[str], *, email: bool, line: bool) -> list[Route]:
        """The channels by which each of `usernames` is alerted: email when `email` (the
        server is set), the user has an address and did not turn it off; LINE when `line`
        (a token is set) and the user gave a LINE user id."""
        prefs = self.workspace.alert_prefs_of(usernames)
        out = []
        for name in dict.fromkeys(u.lower() for u in usernames):
            person = self.person(name)
            if person is None:
                continue
            chosen = prefs.get(name, AlertPrefs())
            if email and person.email and chosen.email_on is not False:
                out.append(Route(name, EMAIL, person.email, person.language))
            if line and chosen.line_user_id:
                out.append(Route(name, LINE, chosen.line_user_id, person.language))
        return out
