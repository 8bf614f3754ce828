"""Automatic reminders to a link's customer: the team's defaults, each link's choice, the
reminders sent and the emails that asked for no more (the notifier sends them:
`linksplus.notify.reminders`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, update

from linksplus.i18n import _
from linksplus.workspace.schema import (
    link_reminders,
    reminder_optouts,
    reminders_sent,
    team_reminders,
)
from linksplus.workspace.store import Workspace

DEFAULT_AFTER_DAYS = 2
DEFAULT_MAX_COUNT = 2
AFTER_DAYS_RANGE = (1, 60)
MAX_COUNT_RANGE = (1, 10)
# reminded_by on ws_link_owners for a reminder the notifier sent (Needs follow-up counts it
# like one done by hand).
AUTOMATIC = "automatic reminder"
SENT = "sent"


@dataclass(frozen=True)
class ReminderSettings:
    """Remind after `after_days` unpaid days, at most `max_count` times."""

    after_days: int = DEFAULT_AFTER_DAYS
    max_count: int = DEFAULT_MAX_COUNT


@dataclass(frozen=True)
class LinkReminder:
    """A link whose customer is reminded: when, how often, and what the message says."""

    link_id: int
    team_id: int
    after_days: int
    max_count: int
    language: str
    name: str
    amount: int
    currency: str
    payment_url: str


def settings_error(after_days: object, max_count: object) -> str | None:
    """One sentence when the days or the count are out of range, else None."""
    low, high = AFTER_DAYS_RANGE
    if (
        isinstance(after_days, bool)
        or not isinstance(after_days, int)
        or not low <= after_days <= high
    ):
        return _("Remind after a whole number of days from {low} to {high}.").format(
            low=low, high=high
        )
    low, high = MAX_COUNT_RANGE
    if (
        isinstance(max_count, bool)
        or not isinstance(max_count, int)
        or not low <= max_count <= high
    ):
        return _("Send from {low} to {high} reminders at most.").format(low=low, high=high)
    return None


def team_reminder_settings(ws: Workspace, team_id: int) -> ReminderSettings:
    """The team's reminder defaults (2 days, 2 reminders until an admin changes them)."""
    query = select(team_reminders.c.after_days, team_reminders.c.max_count).where(
        team_reminders.c.team_id == int(team_id)
    )
    with ws.engine.connect() as conn:
        row = conn.execute(query).first()
    return ReminderSettings(int(row[0]), int(row[1])) if row else ReminderSettings()


def set_team_reminder_settings(ws: Workspace, team_id: int, settings: ReminderSettings) -> None:
    """Store the team's reminder defaults (ValueError with one sentence when out of range)."""
    error = settings_error(settings.after_days, settings.max_count)
    if error:
        raise ValueError(error)
    values = {
        "after_days": settings.after_days,
        "max_count": settings.max_count,
        "updated_at": datetime.now(UTC),
    }
    with ws.engine.begin() as conn:
        where = team_reminders.c.team_id == int(team_id)
        if not conn.execute(update(team_reminders).where(where).values(**values)).rowcount:
            conn.execute(team_reminders.insert().values(team_id=int(team_id), **values))


def set_link_reminder(ws: Workspace, reminder: LinkReminder, by: str) -> None:
    """Remind link `reminder.link_id`'s customer as `reminder` says (replacing an earlier
    choice; reminders already sent still count). ValueError when out of range."""
    error = settings_error(reminder.after_days, reminder.max_count)
    if error:
        raise ValueError(error)
    with ws.engine.begin() as conn:
        conn.execute(delete(link_reminders).where(link_reminders.c.link_id == reminder.link_id))
        conn.execute(
            link_reminders.insert().values(
                **reminder.__dict__, set_by=by.lower(), set_at=datetime.now(UTC)
            )
        )


def stop_link_reminder(ws: Workspace, link_id: int, team_id: int) -> bool:
    """No more reminders for the link; whether it had them on."""
    query = delete(link_reminders).where(
        link_reminders.c.link_id == int(link_id), link_reminders.c.team_id == int(team_id)
    )
    with ws.engine.begin() as conn:
        return conn.execute(query).rowcount > 0


def link_reminder(ws: Workspace, link_id: int, team_id: int) -> LinkReminder | None:
    """The link's reminder choice if it is `team_id`'s and on, else None."""
    fields = [link_reminders.c[f] for f in LinkReminder.__dataclass_fields__]
    query = select(*fields).where(
        link_reminders.c.link_id == int(link_id), link_reminders.c.team_id == int(team_id)
    )
    with ws.engine.connect() as conn:
        row = conn.execute(query).first()
    return LinkReminder(**row._asdict()) if row else None


def reminders_sent_of(ws: Workspace, link_id: int, team_id: int) -> list[tuple[int, datetime]]:
    """The reminders sent for the link (of `team_id`): (number, sent_at), first first."""
    c = reminders_sent.c
    query = (
        select(c.number, c.sent_at)
        .where(c.link_id == int(link_id), c.team_id == int(team_id), c.state == SENT)
        .order_by(c.number)
    )
    with ws.engine.connect() as conn:
        return [(int(n), at) for n, at in conn.execute(query)]


def opt_out(ws: Workspace, team_id: int, email: str) -> None:
    """`email` gets no more reminders from team `team_id` (asking twice is fine)."""
    email = email.strip().lower()
    with ws.engine.begin() as conn:
        where = (reminder_optouts.c.team_id == int(team_id)) & (reminder_optouts.c.email == email)
        if conn.execute(select(reminder_optouts.c.email).where(where)).first() is None:
            conn.execute(
                reminder_optouts.insert().values(
                    team_id=int(team_id), email=email, opted_out_at=datetime.now(UTC)
                )
            )


def opted_out(ws: Workspace, team_id: int, email: str) -> bool:
    """Whether `email` asked team `team_id` for no more reminders."""
    where = (reminder_optouts.c.team_id == int(team_id)) & (
        reminder_optouts.c.email == email.strip().lower()
    )
    with ws.engine.connect() as conn:
        return conn.execute(select(reminder_optouts.c.email).where(where)).first() is not None
