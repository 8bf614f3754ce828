"""`linksplus notifier`: turns counted payments into alerts and sends each one once.

Each turn (every `poll` seconds while idle): derive the outbox rows of the payments stored
since the cursor (`Outbox.add`), then send the due messages: claimed with a lease first
(`Outbox.claim`), sent one at a time, each one's outcome recorded before the next is sent.
Sending one at a time is what bounds a crash's damage: killed mid-send, a notifier leaves
exactly one message sent but not recorded (the one it was sending), which is sent again
when its lease runs out; the others it had claimed were never sent, and are sent once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass

from linksplus.client import LinksPlusClient
from linksplus.config import Settings
from linksplus.errors import LinksPlusError
from linksplus.eventlog.schema import ensure_schema as ensure_event_log
from linksplus.notify.channels import EmailChannel, LineChannel, SendError, message_key
from linksplus.notify.digest import Digests
from linksplus.notify.message import compose, console_link, customer_of, voided_before
from linksplus.notify.outbox import Claimed, Message, Outbox, PaidEvent
from linksplus.notify.people import EMAIL, LINE, Directory
from linksplus.notify.reminders import Reminders
from linksplus.workspace import Workspace

log = logging.getLogger(__name__)
BATCH = 20  # messages claimed at once


@dataclass(frozen=True)
class Timing:
    """How often to look (`poll`), how long a claim holds (`lease`), the first retry's
    wait (`retry_base`, doubling per failure up to an hour; given up after a day), and how
    often to look for customers' reminders and managers' digests (`daily`: they are due
    by the day, so not every poll)."""

    poll: float = 0.5
    lease: float = 60.0
    retry_base: float = 30.0
    daily: float = 20.0


class Notifier:
    """One notifier process's work over the database of `settings.eventlog_url`."""

    def __init__(self, settings: Settings, timing: Timing | None = None, name: str = ""):
        self.settings = settings
        self.timing = timing or Timing()
        self.me = name or f"{socket.gethostname()}:{os.getpid()}"
        self.workspace = Workspace(settings.eventlog_url)
        ensure_event_log(self.workspace.engine)  # a notifier may start before the receiver
        self.outbox = Outbox(self.workspace.engine)
        self.directory = Directory(settings.users_file, self.workspace)
        smtp = settings.smtp_url
        self.email = EmailChannel(smtp, settings.mail_from) if smtp else None
        self.line = (
            LineChannel(settings.line_channel_token, settings.line_api_url)
            if settings.line_channel_token
            else None
        )
        self.client = (
            LinksPlusClient(
                settings.api_key,
                base_url=settings.api_base_url,
                auth=settings.api_auth,
                timeout=5.0,
                max_retries=1,
            )
            if settings.api_key
            else None
        )
        self._links: dict[int, tuple[str | None, int | None]] = {}
        self._daily_at = float("-inf")
        self.reminders = Reminders(
            self.workspace,
            self.email,
            console_url=settings.console_url,
            secret=settings.cookie_key,
            me=self.me,
            lease=self.timing.lease,
        )
        self.digests = Digests(
            self.workspace,
            self.directory,
            self.email,
            self.client,
            console_url=settings.console_url,
            me=self.me,
            lease=self.timing.lease,
        )

    def close(self) -> None:
        self.digests.close()
        if self.email is not None:
            self.email.close()
        if self.line is not None:
            self.line.close()
        if self.client is not None:
            self.client.close()
        self.workspace.close()

    # -- deriving -------------------------------------------------------------------------

    def derive(self) -> int:
        """Add the messages of the payments stored since the cursor; how many payments."""
        before = self.outbox.cursor()
        paid = self.outbox.new_payments(before)
        if not paid:
            return 0
        messages = [m for event in paid for m in self._messages(event)]
        if not self.outbox.add(before, paid[-1].event_id, messages):
            return 0  # another notifier took these; the next turn reads after its cursor
        return len(paid)

    def _messages(self, event: PaidEvent) -> list[Message]:
        owner = self.workspace.owner(event.link_id)
        team = owner.team_id if owner else self._link(event.link_id)[1]
        usernames = [owner.made_by] if owner else []
        if team is not None:
            usernames += self.directory.team_watchers(team)
        routes = self.directory.routes(
            usernames, email=self.email is not None, line=self.line is not None
        )
        return [Message(event, team, r.username, r.channel, r.address, r.language) for r in routes]

    def _link(self, link_id: int) -> tuple[str | None, int | None]:
        """The link's name and team from Links+ (kept once read); (None, None) when Links+
        cannot say now (not kept: asked again next time)."""
        if link_id in self._links:
            return self._links[link_id]
        if self.client is None:
            return None, None
        try:
            link = self.client.get_link(link_id)
        except LinksPlusError as exc:
            log.warning("link %s could not be read from Links+: %s", link_id, exc)
            return None, None
        if len(self._links) > 10_000:
            self._links.clear()
        self._links[link_id] = (link.name or None, link.team_id)
        return self._links[link_id]

    # -- sending --------------------------------------------------------------------------

    def send_due(self, stop: threading.Event | None = None) -> int:
        """Send the messages whose time has come; how many were sent.

        They are claimed a batch at a time (one statement), then sent one by one, each
        recorded before the next is sent. A batch is left once half its lease has passed:
        the rest are not sent, and other notifiers take them when the lease runs out, so a
        message is never sent on a lease about to expire (the lease must exceed twice a
        send's time-out, 20 s for SMTP: 60 s by default)."""
        claimed = self.outbox.claim(self.outbox.due(BATCH), self.me, self.timing.lease)
        started = time.monotonic()
        sent = 0
        for n, message in enumerate(claimed):
            late = time.monotonic() - started > self.timing.lease / 2
            if (stop is not None and stop.is_set()) or (n and late):
                break
            try:
                self._send(message)
            except SendError as exc:
                self._failed(message, exc)
                continue
            self.outbox.sent(message.id, self.me)
            sent += 1
        return sent

    def _failed(self, message: Claimed, exc: SendError) -> None:
        again = self.outbox.retry(message, self.me, str(exc), self.timing.retry_base)
        log.warning(
            "alert %s to %s by %s failed (%s): %s",
            message.id,
            message.recipient,
            message.channel,
            "will retry" if again else "given up",
            exc,
        )

    def _send(self, m: Claimed) -> None:
        name = self._link(m.link_id)[0] or f"Link #{m.link_id}"
        alert = compose(
            m.language,
            link_name=name,
            amount=m.amount,
            currency=m.currency,
            paid_at=m.paid_at,
            customer=customer_of(self.workspace, m.link_id),
            link_url=console_link(self.settings.console_url, m.link_id, m.team_id),
            voided=voided_before(self.workspace, m.link_id, m.paid_at),
        )
        key = message_key(m.payment_id, m.recipient, m.channel)
        if m.channel == EMAIL and self.email is not None:
            self.email.send(m.address, alert.subject, alert.body, key)
        elif m.channel == LINE and self.line is not None:
            self.line.send(m.address, f"{alert.subject}\n{alert.body}", key)
        else:
            raise SendError(f"the {m.channel} channel is not configured")

    # -- running --------------------------------------------------------------------------

    def turn(self, stop: threading.Event | None = None) -> int:
        """One turn: derive, then send what is due (alerts, then customers' reminders); how
        many messages were sent."""
        self.derive()
        sent = self.send_due(stop)
        if (stop is None or not stop.is_set()) and self._daily_due():
            sent += self.reminders.send_due()
            sent += self.digests.send_due()
        return sent

    def _daily_due(self) -> bool:
        """Whether reminders and digests are looked for in this turn (every `daily` s)."""
        now = time.monotonic()
        if now - self._daily_at < self.timing.daily:
            return False
        self._daily_at = now
        return True

    def run(self, stop: threading.Event) -> None:
        """Turn until `stop` is set; a database that fails is logged and tried again."""
        self.outbox.start_cursor()
        log.info(
            "notifier %s: email %s, LINE %s, customers' reminders %s",
            self.me,
            self.email.shown if self.email else "off (no smtp_url)",
            self.line.api_url if self.line else "off (no line_channel_token)",
            "on" if self.reminders.ready else "off (needs smtp_url, console_url, cookie_key)",
        )
        while not stop.is_set():
            try:
                busy = self.turn(stop)
            except Exception as exc:  # the database went away, say: keep going
                log.warning("notifier turn failed: %s", str(exc).splitlines()[0][:300])
                busy = 0
            if not busy:
                if self.email is not None:
                    self.email.close()  # not kept open while idle
                stop.wait(self.timing.poll)
