"""A user's own alert switches, checked: what My settings saves."""

from __future__ import annotations

import re

from linksplus.console.users import effective_role
from linksplus.i18n import _
from linksplus.notify.people import TEAM_ROLES
from linksplus.workspace import AlertPrefs, Workspace

# LINE's user ids (as the Messaging API gives them: a webhook's source.userId, or the LINE
# Developers console's "Your user ID") are "U" and 32 hexadecimal digits; a LINE ID that
# people type to add friends (@name) is not one.
LINE_USER_ID = re.compile(r"U[0-9a-f]{32}")


class PrefsError(ValueError):
    """A choice that cannot be saved; the message says why, for the user."""


def save_alert_prefs(
    workspace: Workspace,
    username: str,
    *,
    email_on: bool = True,
    line_user_id: str = "",
    team_alerts: bool = False,
    roles: list[str] | tuple[str, ...] | None = None,
) -> AlertPrefs:
    """Store `username`'s alert choices; PrefsError with one sentence when one is not
    possible. With `roles` given, only a manager or admin may ask for the team's payments
    (the notifier checks the role again when it sends)."""
    line_user_id = (line_user_id or "").strip()
    if line_user_id and not LINE_USER_ID.fullmatch(line_user_id):
        raise PrefsError(
            _(
                "A LINE user id is U followed by 32 letters and digits (your LINE ID, such "
                "as @name, is not it). Ask your admin where to find yours."
            )
        )
    if team_alerts and roles is not None and effective_role(roles) not in TEAM_ROLES:
        raise PrefsError(_("Only managers can get alerts for the whole team's payments."))
    prefs = AlertPrefs(bool(email_on), line_user_id or None, bool(team_alerts))
    workspace.set_alert_prefs(username, prefs)
    return prefs
