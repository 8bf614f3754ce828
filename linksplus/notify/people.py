"""Who gets an alert of a payment, and how to reach them.

Every lookup of a user goes through `Directory.person` and `Directory.users`, which read
the users file today (`console.users.load_users`, re-read when it changes): when users move
into the database, only these two change.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from linksplus.console.users import UserRecord, effective_role, load_users
from linksplus.i18n import DEFAULT_LANGUAGE
from linksplus.workspace import AlertPrefs, Workspace

log = logging.getLogger(__name__)
EMAIL, LINE = "email", "line"
# Who may ask for every payment of their teams.
TEAM_ROLES = ("manager", "admin")


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
    """Users (from `users_file`) and their alert choices (from `workspace`)."""

    def __init__(self, users_file: str | None, workspace: Workspace):
        self.users_file = users_file
        self.workspace = workspace
        self._stamp: tuple[float, int] | None = None
        self._users: dict[str, UserRecord] = {}

    def users(self) -> dict[str, UserRecord]:
        """Username -> record, re-read when the file changed (empty when there is none)."""
        if not self.users_file:
            return {}
        try:
            stat = os.stat(self.users_file)
        except OSError:
            return self._users
        stamp = (stat.st_mtime, stat.st_size)
        if stamp != self._stamp:
            try:
                self._users = {u.username.lower(): u for u in load_users(self.users_file)}
                self._stamp = stamp
            except ValueError as exc:
                log.warning("the users file could not be read: %s", exc)
        return self._users

    def person(self, username: str) -> Person | None:
        """`username`'s email and language, or None for a user not in the users file."""
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
