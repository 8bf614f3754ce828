"""Automatic reminders to a link's customer, sent by the notifier by email.

A link with reminders on (`linksplus.workspace.reminders`) whose customer has an email
address gets its reminder number k once k × `after_days` days have passed since the link was
made, up to `max_count`, while the link is neither paid (a counted successful payment in the
event log) nor void (ws_voids) and the email has not opted out.

Exactly once: before sending, a notifier inserts the reminder's row into ws_reminders_sent,
whose keys are (link, number) and (team, email, Bangkok date); a second notifier's insert
hits a key and does nothing, so it does not send. The second key is also the "one reminder
a day per customer email" rule. A row stays "sending" under a lease until the send is
recorded; a notifier killed mid-send leaves it, and once the lease has run out the row is
dropped and the reminder is sent again on the next turn (the only resend, as for alerts).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, delete, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from linksplus.console.sharing import DEFAULT_PARTICLE, reminder_message
from linksplus.eventlog.counting import counted
from linksplus.eventlog.queries import SUCCESSFUL
from linksplus.eventlog.schema import events
from linksplus.notify.channels import EmailChannel, SendError
from linksplus.workspace import Workspace
from linksplus.workspace.reminders import AUTOMATIC, SENT
from linksplus.workspace.schema import (
    customers,
    link_owners,
    link_reminders,
    reminder_optouts,
    reminders_sent,
    voids,
)

log = logging.getLogger(__name__)
SENDING = "sending"
BANGKOK = ZoneInfo("Asia/Bangkok")
_SALT = "linksplus.reminder-optout"
_NAMESPACE = uuid.UUID("0f3b8f0e-7d1c-4c52-9a1e-5b9f2c3d4e21")

# The customer's reminder is in the customer message's language, as the share messages
# (console/sharing.py) are: these texts are for the customer, not the console's catalog.
_SUBJECT = {"en": "Reminder: {name}", "th": "แจ้งเตือนการชำระเงิน: {name}"}
_STOP = {
    "en": "To get no more reminders from us, open: {url}",
    "th": "หากไม่ต้องการรับการแจ้งเตือนอีก เปิด: {url}",
}


@dataclass(frozen=True)
class DueReminder:
    """One reminder to send now: link, number, and what it says."""

    link_id: int
    number: int
    team_id: int
    email: str
    language: str
    name: str
    amount: int
    currency: str
    payment_url: str
    made_by: str


def optout_token(secret: str, team_id: int, email: str) -> str:
    """The signed token of an unsubscribe address: team and email, signed with `secret`."""
    return URLSafeSerializer(secret, salt=_SALT).dumps([int(team_id), email.strip().lower()])


def read_optout_token(secret: str, token: str) -> tuple[int, str] | None:
    """The (team, email) a token carries, or None when it was not signed with `secret`."""
    try:
        team_id, email = URLSafeSerializer(secret, salt=_SALT).loads(token)
        return int(team_id), str(email)
    except (BadSignature, ValueError, TypeError):
        return None


def optout_url(console_url: str, secret: str, team_id: int, email: str) -> str:
    """The address in a reminder that asks for no more (the console honours it)."""
    return f"{console_url.rstrip('/')}/?unsubscribe={optout_token(secret, team_id, email)}"


def reminder_text(due: DueReminder, particle: str, stop_url: str) -> tuple[str, str]:
    """The reminder's (subject, body) in its language."""
    lang = due.language if due.language in _SUBJECT else "en"
    body = reminder_message(
        due.name, due.amount, due.currency, due.payment_url, lang, particle or DEFAULT_PARTICLE
    )
    name = " ".join(due.name.split())
    return _SUBJECT[lang].format(name=name), f"{body}\n\n{_STOP[lang].format(url=stop_url)}\n"


class Reminders:
    """The reminders' part of a notifier turn over `workspace`'s database."""

    def __init__(
        self,
        workspace: Workspace,
        email: EmailChannel | None,
        *,
        console_url: str,
        secret: str,
        me: str,
        lease: float = 60.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.workspace = workspace
        self.engine = workspace.engine
        self.email = email
        self.console_url = console_url
        self.secret = secret
        self.me = me
        self.lease = lease
        self.clock = clock
        self._insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert

    @property
    def ready(self) -> bool:
        """Whether reminders can go out: a mail server, and a console to unsubscribe at."""
        return self.email is not None and bool(self.console_url and self.secret)

    def due(self) -> list[DueReminder]:
        """The reminders whose time has come, one per link (its next number)."""
        now = self.clock()
        rows = self._candidates()
        out = []
        for r in rows:
            number = int(r.done) + 1
            made_at = r.made_at if r.made_at.tzinfo else r.made_at.replace(tzinfo=UTC)
            if number > r.max_count or now < made_at + timedelta(days=r.after_days * number):
                continue
            out.append(
                DueReminder(
                    int(r.link_id), number, int(r.team_id), r.email.strip().lower(), r.language,
                    r.name, int(r.amount), r.currency, r.payment_url, r.made_by,
                )
            )  # fmt: skip
        return out

    def _candidates(self) -> list:
        lr, c = link_reminders.c, customers.c
        done = select(func.count()).where(reminders_sent.c.link_id == lr.link_id).scalar_subquery()
        e = events.c
        paid = exists().where(e.link_id == lr.link_id, counted(), e.status == SUCCESSFUL)
        void = exists().where(voids.c.link_id == lr.link_id)
        out = exists().where(
            reminder_optouts.c.team_id == lr.team_id,
            reminder_optouts.c.email == func.lower(c.email),
        )
        query = (
            select(
                lr.link_id, lr.team_id, lr.after_days, lr.max_count, lr.language, lr.name,
                lr.amount, lr.currency, lr.payment_url, c.email,
                # A link made outside the console counts its days from the reminders' start.
                func.coalesce(link_owners.c.made_at, lr.set_at).label("made_at"),
                func.coalesce(link_owners.c.made_by, lr.set_by).label("made_by"),
                done.label("done"),
            )
            .join(customers, and_(c.link_id == lr.link_id, c.team_id == lr.team_id))
            .outerjoin(link_owners, link_owners.c.link_id == lr.link_id)
            .where(c.email.is_not(None), c.email != "", done < lr.max_count)
            .where(~paid, ~void, ~out)
            .order_by(lr.link_id)
        )  # fmt: skip
        with self.engine.connect() as conn:
            return conn.execute(query).all()

    def claim(self, due: DueReminder) -> bool:
        """Take `due` for this notifier: False when another took this number, or its email
        already got a reminder from the team today."""
        now = self.clock()
        row = {
            "link_id": due.link_id,
            "number": due.number,
            "team_id": due.team_id,
            "email": due.email,
            "day": now.astimezone(BANGKOK).date().isoformat(),
            "state": SENDING,
            "claimed_by": self.me,
            "lease_until": now + timedelta(seconds=self.lease),
        }
        with self.engine.begin() as conn:
            # RETURNING, not rowcount (which psycopg leaves at -1 here): a row back is ours.
            insert = self._insert(reminders_sent).values(row).on_conflict_do_nothing()
            return conn.execute(insert.returning(reminders_sent.c.link_id)).first() is not None

    def drop_stale(self) -> int:
        """Forget reminders whose sender died mid-send (lease run out), to send them again."""
        c = reminders_sent.c
        query = delete(reminders_sent).where(c.state == SENDING, c.lease_until < self.clock())
        with self.engine.begin() as conn:
            return conn.execute(query).rowcount

    def send_due(self) -> int:
        """Send the reminders due now, each once; how many were sent."""
        if not self.ready:
            return 0
        self.drop_stale()
        sent = 0
        for due in self.due():
            if not self.claim(due):
                continue
            try:
                self._send(due)
            except SendError as exc:
                log.warning("reminder %s of link %s failed: %s", due.number, due.link_id, exc)
                self._release(due)
                continue
            self._sent(due)
            sent += 1
        return sent

    def _send(self, due: DueReminder) -> None:
        assert self.email is not None
        particle = self.workspace.thai_particle(due.made_by) or DEFAULT_PARTICLE
        stop = optout_url(self.console_url, self.secret, due.team_id, due.email)
        subject, body = reminder_text(due, particle, stop)
        key = uuid.uuid5(_NAMESPACE, f"{due.link_id}\0{due.number}")
        self.email.send(due.email, subject, body, key)

    def _where(self, due: DueReminder):
        c = reminders_sent.c
        return and_(c.link_id == due.link_id, c.number == due.number, c.claimed_by == self.me)

    def _release(self, due: DueReminder) -> None:
        """A failed send: the row goes, so a later turn tries again."""
        with self.engine.begin() as conn:
            conn.execute(delete(reminders_sent).where(self._where(due)))

    def _sent(self, due: DueReminder) -> None:
        """Record the reminder sent, and count it on Needs follow-up like one by hand."""
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(
                update(reminders_sent)
                .where(self._where(due))
                .values(state=SENT, sent_at=now, lease_until=None)
            )
            conn.execute(
                update(link_owners)
                .where(link_owners.c.link_id == due.link_id)
                .values(reminded_at=now, reminded_by=AUTOMATIC)
            )
