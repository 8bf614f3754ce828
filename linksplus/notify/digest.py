"""The manager's daily digest by email: yesterday's payments per currency, links paid per
salesperson, what is still owed by age, and the last reconciliation's differences, with
links into the console; in the manager's language, at the time of day they chose in their
timezone (ws_digest_prefs).

Once a day however many notifiers run: a notifier inserts (manager, date) into
ws_digests_sent before sending; the key makes a second notifier's insert do nothing. As for
reminders, a row left "sending" by a notifier killed mid-send is dropped once its lease ran
out, and the digest is sent again (the only resend).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from linksplus.client import LinksPlusClient
from linksplus.console import aging, reconcile
from linksplus.console.users import effective_role
from linksplus.errors import LinksPlusError
from linksplus.eventlog import EventLog
from linksplus.eventlog.counting import counted
from linksplus.eventlog.queries import SUCCESSFUL
from linksplus.eventlog.schema import events
from linksplus.i18n import _, format_date, format_number, ngettext, use_language
from linksplus.money import display_amount
from linksplus.notify.channels import EmailChannel, SendError
from linksplus.notify.message import PAID_AFTER_VOID
from linksplus.notify.people import TEAM_ROLES, Directory
from linksplus.workspace import Workspace
from linksplus.workspace.customers import voided_ids
from linksplus.workspace.schema import digest_prefs, digests_sent, link_owners, voids
from linksplus.workspace.store import OUTSIDE

log = logging.getLogger(__name__)
SENDING, SENT = "sending", "sent"
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_NAMESPACE = uuid.UUID("3d1f0b8e-2a4c-4e0e-8f7b-6a5d4c3b2a19")


class DigestPrefsError(ValueError):
    """A digest choice that cannot be saved; the message says why, for the user."""


@dataclass(frozen=True)
class DigestPrefs:
    """Send the digest at `send_at` ("HH:MM") in `timezone` (an IANA name)."""

    send_at: str
    timezone: str


def save_digest_prefs(ws: Workspace, username: str, prefs: DigestPrefs | None) -> None:
    """Store `username`'s digest choice (None: no digest); DigestPrefsError when the time or
    timezone is not one."""
    with ws.engine.begin() as conn:
        conn.execute(delete(digest_prefs).where(digest_prefs.c.username == username.lower()))
        if prefs is None:
            return
        if not _TIME.fullmatch(prefs.send_at):
            raise DigestPrefsError(_("Give the time as hours and minutes, like 08:30."))
        try:
            ZoneInfo(prefs.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise DigestPrefsError(_("Choose a timezone from the list.")) from None
        conn.execute(
            digest_prefs.insert().values(
                username=username.lower(),
                send_at=prefs.send_at,
                timezone=prefs.timezone,
                updated_at=datetime.now(UTC),
            )
        )


def digest_prefs_of(ws: Workspace, username: str) -> DigestPrefs | None:
    """`username`'s digest choice, or None (no digest)."""
    query = select(digest_prefs.c.send_at, digest_prefs.c.timezone).where(
        digest_prefs.c.username == username.lower()
    )
    with ws.engine.connect() as conn:
        row = conn.execute(query).first()
    return DigestPrefs(*row) if row else None


# -- what a digest says -------------------------------------------------------------------


@dataclass
class DigestData:
    """One manager's digest for the day `day` (in `tz`), over `teams`."""

    day: date
    tz: str
    teams: list[int]
    # currency -> (payments, amount in minor units): never summed across currencies
    payments: dict[str, tuple[int, int]] = field(default_factory=dict)
    paid_by: dict[str, int] = field(default_factory=dict)  # salesperson -> links paid
    # payments of links voided before they were paid: (link id, amount, currency)
    after_void: list[tuple[int, int, str]] = field(default_factory=list)
    # bucket -> currency -> (links, amount owed); None when Links+ could not be asked
    owed: dict[str, dict[str, tuple[int, int]]] | None = None
    reconciliation: reconcile.Reconciliation | None = None


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC start and end of `day` in timezone `tz`."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def paid_on(engine, link_ids: list[int] | None, start: datetime, end: datetime) -> pd.DataFrame:
    """Counted successful payments between `start` and `end` (of `link_ids`, all when None):
    payment_id, link_id, amount, currency, made_by (OUTSIDE for a link made elsewhere) and
    after_void (the link was void when paid)."""
    e = events.c
    after_void = voids.c.voided_at.is_not(None) & (voids.c.voided_at <= e.occurred_at)
    query = (
        select(e.payment_id, e.link_id, e.amount, e.currency, link_owners.c.made_by, after_void)
        .select_from(
            events.outerjoin(link_owners, link_owners.c.link_id == e.link_id).outerjoin(
                voids, voids.c.link_id == e.link_id
            )
        )
        .where(counted(), e.status == SUCCESSFUL, e.occurred_at >= start, e.occurred_at < end)
    )
    if link_ids is not None:
        query = query.where(e.link_id.in_(link_ids or [-1]))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    columns = ["payment_id", "link_id", "amount", "currency", "made_by", "after_void"]
    frame = pd.DataFrame(rows, columns=columns)
    # A payment's latest counted event stands for it (a retried webhook stores it again).
    frame = frame.drop_duplicates("payment_id", keep="last")
    frame["made_by"] = frame["made_by"].fillna(OUTSIDE)
    return frame


def summarise_payments(data: DigestData, paid: pd.DataFrame) -> None:
    """Fill `data.payments` (per currency) and `data.paid_by` (links per salesperson)."""
    for currency, part in paid.groupby("currency"):
        data.payments[str(currency)] = (len(part), sum(int(a) for a in part["amount"]))
    for who, part in paid.groupby("made_by"):
        data.paid_by[str(who)] = int(part["link_id"].nunique())
    flagged = paid[paid["after_void"].fillna(False).astype(bool)]
    data.after_void = [
        (int(i), int(a), str(c))
        for i, a, c in zip(flagged["link_id"], flagged["amount"], flagged["currency"], strict=True)
    ]


def summarise_owed(
    data: DigestData, links: pd.DataFrame, paid_links: set[int], owners, voids, now
) -> None:
    """Fill `data.owed` from the teams' links (id, multiple_usage, status, created_at,
    amount, currency) as Still owed counts them."""
    frame = links.assign(paid_count=links["id"].isin(list(paid_links)).astype("int64"))
    owed = aging.owed_links(frame, owners, now, voids)
    data.owed = {}
    for (bucket, currency), part in owed.groupby(["bucket", "currency"]):
        amount = sum(int(a) for a in part["amount"])
        data.owed.setdefault(str(bucket), {})[str(currency)] = (len(part), amount)


def _money(amount: int, currency: str) -> str:
    try:
        return display_amount(amount, currency, code=True)
    except (KeyError, ValueError):
        return f"{amount} {currency.upper()}"


def compose_digest(language: str, data: DigestData, console_url: str) -> tuple[str, str]:
    """The digest's (subject, body) in `language`."""
    use_language(language)
    day = format_date(data.day)
    subject = _("Links+ daily digest: {day}").format(day=day)
    lines = [_("Payments on {day}:").format(day=day)]
    for currency, (count, amount) in sorted(data.payments.items()):
        n = ngettext("{n} payment", "{n} payments", count).format(n=format_number(count))
        lines.append(f"  {_money(amount, currency)} ({n})")
    if not data.payments:
        lines.append("  " + _("No payments."))
    lines += ["", _("Links paid per salesperson:")]
    for who, count in sorted(data.paid_by.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {_(who) if who == OUTSIDE else who}: {format_number(count)}")
    if not data.paid_by:
        lines.append("  —")
    if data.after_void:
        lines += ["", _(PAID_AFTER_VOID)]
        lines += [f"  #{i}: {_money(a, c)}" for i, a, c in data.after_void]
    lines += ["", *_owed_lines(data), "", _("Last reconciliation:")]
    lines.append("  " + reconcile.summary(data.reconciliation, data.tz))
    lines += ["", *_console_lines(data, console_url)]
    return subject, "\n".join(lines).rstrip() + "\n"


def _owed_lines(data: DigestData) -> list[str]:
    lines = [_("Still owed (unpaid single-use links, by age):")]
    if data.owed is None:
        return [*lines, "  " + _("Not available: Links+ could not be asked for the links.")]
    for key in aging.BUCKETS:
        per = data.owed.get(key, {})
        count = sum(n for n, _a in per.values())
        amounts = " · ".join(_money(a, c) for c, (_n, a) in sorted(per.items())) or "—"
        lines.append(f"  {aging.bucket_label(key)}: {format_number(count)} ({amounts})")
    return lines


def _console_lines(data: DigestData, console_url: str) -> list[str]:
    if not console_url:
        return []
    base = console_url.rstrip("/")
    lines = [_("In Links+ Console:")]
    for team in data.teams:
        lines.append(_("Payments: {url}").format(url=f"{base}/payments?team={team}"))
        lines.append(_("Still owed: {url}").format(url=f"{base}/team_performance?team={team}"))
    lines.append(_("Reconciliation (admins): {url}").format(url=f"{base}/settings"))
    return lines


# -- sending ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueDigest:
    """A manager's digest to send for the date `day` (theirs), covering the day before."""

    username: str
    prefs: DigestPrefs
    day: date


class Digests:
    """The digests' part of a notifier turn."""

    def __init__(
        self,
        workspace: Workspace,
        directory: Directory,
        email: EmailChannel | None,
        client: LinksPlusClient | None,
        *,
        console_url: str,
        me: str,
        lease: float = 60.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.workspace = workspace
        self.engine = workspace.engine
        self.directory = directory
        self.email = email
        self.client = client
        self.console_url = console_url
        self.me = me
        self.lease = lease
        self.clock = clock
        self._insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        self._log: EventLog | None = None

    def due(self) -> list[DueDigest]:
        """The digests whose time of day has come today (in each manager's timezone) and
        that were not sent today."""
        now = self.clock()
        with self.engine.connect() as conn:
            prefs = conn.execute(select(digest_prefs)).all()
            recent = (now - timedelta(days=2)).date().isoformat()  # every timezone's today
            sent = select(digests_sent.c.username, digests_sent.c.day)
            done = {tuple(r) for r in conn.execute(sent.where(digests_sent.c.day >= recent))}
        out = []
        for p in prefs:
            local = now.astimezone(ZoneInfo(p.timezone))
            if local.strftime("%H:%M") < p.send_at:
                continue
            if (p.username, local.date().isoformat()) not in done:
                out.append(DueDigest(p.username, DigestPrefs(p.send_at, p.timezone), local.date()))
        return out

    def claim(self, due: DueDigest) -> bool:
        """Take `due` for this notifier; False when it was sent (or is being sent) already."""
        now = self.clock()
        row = {
            "username": due.username,
            "day": due.day.isoformat(),
            "state": SENDING,
            "claimed_by": self.me,
            "lease_until": now + timedelta(seconds=self.lease),
        }
        insert = self._insert(digests_sent).values(row).on_conflict_do_nothing()
        with self.engine.begin() as conn:
            return conn.execute(insert.returning(digests_sent.c.username)).first() is not None

    def send_due(self) -> int:
        """Send the digests due now, each once; how many were sent."""
        if self.email is None:
            return 0
        with self.engine.begin() as conn:  # a sender killed mid-send: send it again
            c = digests_sent.c
            conn.execute(
                delete(digests_sent).where(c.state == SENDING, c.lease_until < self.clock())
            )
        sent = 0
        for due in self.due():
            person = self.directory.person(due.username)
            manager = person and effective_role(person.record.roles) in TEAM_ROLES
            if not manager or not person.email or not self.claim(due):
                continue
            try:
                data = self.gather(person.record.teams, due)
                subject, body = compose_digest(person.language, data, self.console_url)
                key = uuid.uuid5(_NAMESPACE, f"{due.username}\0{due.day.isoformat()}")
                self.email.send(person.email, subject, body, key)
            except (SendError, LinksPlusError, OSError) as exc:
                log.warning("the digest of %s failed: %s", due.username, exc)
                self._finish(due, None)
                continue
            self._finish(due, self.clock())
            sent += 1
        return sent

    def _finish(self, due: DueDigest, sent_at: datetime | None) -> None:
        """Record the digest sent, or (None) drop the claim so a later turn tries again."""
        c = digests_sent.c
        where = and_(
            c.username == due.username, c.day == due.day.isoformat(), c.claimed_by == self.me
        )
        with self.engine.begin() as conn:
            if sent_at is None:
                conn.execute(delete(digests_sent).where(where))
            else:
                conn.execute(
                    update(digests_sent)
                    .where(where)
                    .values(state=SENT, sent_at=sent_at, lease_until=None)
                )

    def gather(self, teams, due: DueDigest) -> DigestData:
        """What the digest of `due` says, over `teams` (a list, or "*" for every team)."""
        if teams == "*":
            with self.engine.connect() as conn:
                teams = conn.execute(select(func.distinct(link_owners.c.team_id))).scalars()
                teams = sorted(int(t) for t in teams)
        teams = [int(t) for t in teams]
        day = due.day - timedelta(days=1)
        data = DigestData(day=day, tz=due.prefs.timezone, teams=teams)
        owners = pd.concat([self.workspace.owners_frame(t) for t in teams] or [pd.DataFrame()])
        links = self._links(teams)
        ids = set(owners["link_id"].astype("int64")) if len(owners) else set()
        if links is not None:
            ids |= set(links["id"].astype("int64"))
        paid = paid_on(self.engine, sorted(ids), *day_bounds(day, data.tz))
        summarise_payments(data, paid)
        if links is not None:
            voids = set().union(*(voided_ids(self.workspace, t) for t in teams))
            ever = paid_on(self.engine, sorted(ids), datetime(1970, 1, 1, tzinfo=UTC), self.clock())
            summarise_owed(data, links, set(ever["link_id"]), owners, voids, self.clock())
        data.reconciliation = self._last_check()
        return data

    def _links(self, teams: list[int]) -> pd.DataFrame | None:
        """The teams' links from Links+ (a team Links+ cannot list now is left out, and
        logged), or None without an API key or when no team could be listed."""
        if self.client is None:
            return None
        fields = ["id", "multiple_usage", "status", "created_at", "amount", "currency"]
        rows, listed = [], 0
        for team in teams:
            try:
                links = self.client.list_links(team)
            except LinksPlusError as exc:
                log.warning("the digest could not read team %s's links: %s", team, exc)
                continue
            listed += 1
            rows += [{f: getattr(link, f) for f in fields} for link in links]
        if teams and not listed:
            return None
        frame = pd.DataFrame(rows, columns=fields)
        frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
        return frame

    def _last_check(self) -> reconcile.Reconciliation | None:
        if self._log is None:
            self._log = EventLog(self.workspace.url)
        try:
            return reconcile.last_check(self._log)
        except Exception as exc:  # an old log without the table: the digest goes anyway
            log.warning("the last reconciliation could not be read: %s", exc)
            return None

    def close(self) -> None:
        if self._log is not None:
            self._log.close()
