"""The alerts' outbox: rows derived from the event log by id, claimed with a lease, sent once."""

# Why this is exactly once per payment, recipient and channel, however many notifiers run:
#
# Deriving. Counted, successful payment.completed events are read by id above the cursor
# (ws_notify_cursor). Ids are committed in order: SQLite has one writer at a time, and on
# PostgreSQL every write that stores events takes the transaction-level advisory lock
# eventlog.schema.WRITE_LOCK_KEY before numbering them, so once an id is visible every
# smaller id is committed or never will be (docs/architecture.md, payments_upto). A
# notifier then, in ONE transaction, moves the cursor from the value it read to the last id
# it read (compare-and-set: an UPDATE whose WHERE names the old value; on PostgreSQL a
# second notifier waits on the row and then finds it moved) and inserts the messages with
# ON CONFLICT DO NOTHING on (payment, recipient, channel). A notifier whose compare-and-set
# moved nothing rolls back and reads again.
#
# Sending. A message is claimed by an UPDATE that succeeds only while it is pending and not
# leased (`claim`), so two notifiers never hold it at once; the holder sends, then records
# the outcome (`sent`, or `retry` with backoff, up to a day). A notifier killed between
# sending and recording leaves the one message it was sending leased; when the lease runs
# out another notifier (or the same one restarted) sends it again. That is the only resend.

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from linksplus.eventlog.counting import counted
from linksplus.eventlog.queries import SUCCESSFUL
from linksplus.eventlog.schema import events
from linksplus.workspace.schema import notify_cursor, outbox

PENDING, SENT, FAILED = "pending", "sent", "failed"
CURSOR = "alerts"
GIVE_UP_AFTER = timedelta(days=1)
MAX_DELAY = timedelta(hours=1)


@dataclass(frozen=True)
class PaidEvent:
    """A counted, successful payment as the event log stored it (amount in minor units)."""

    event_id: int
    payment_id: str
    link_id: int
    amount: int
    currency: str
    paid_at: datetime


@dataclass(frozen=True)
class Message:
    """One alert to send: a payment to one recipient by one channel."""

    event: PaidEvent
    team_id: int | None
    recipient: str
    channel: str  # email, line
    address: str
    language: str


@dataclass(frozen=True)
class Claimed:
    """An outbox row held by this notifier until `lease_until`."""

    id: int
    payment_id: str
    link_id: int
    team_id: int | None
    amount: int
    currency: str
    paid_at: datetime
    recipient: str
    channel: str
    address: str
    language: str
    attempts: int
    created_at: datetime


def retry_delay(attempts: int, base: float) -> timedelta:
    """The wait after the `attempts`-th failure: base, 2 base, 4 base, … up to an hour."""
    return min(timedelta(seconds=base * 2 ** max(0, attempts - 1)), MAX_DELAY)


class Outbox:
    """The outbox and its cursor in the workspace tables of `engine`'s database."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert

    def start_cursor(self) -> int:
        """The cursor, made at the event log's last id on a first run: alerts start with
        payments stored from then on, not the history before."""
        with self.engine.begin() as conn:
            found = conn.execute(
                select(notify_cursor.c.upto).where(notify_cursor.c.name == CURSOR)
            ).scalar()
            if found is not None:
                return int(found)
            last = conn.execute(select(func.coalesce(func.max(events.c.id), 0))).scalar()
            conn.execute(
                self._insert(notify_cursor)
                .values(name=CURSOR, upto=int(last))
                .on_conflict_do_nothing(index_elements=["name"])
            )
        return self.cursor()

    def cursor(self) -> int:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(notify_cursor.c.upto).where(notify_cursor.c.name == CURSOR)
            ).scalar()
        return int(found or 0)

    def new_payments(self, after: int, limit: int = 500) -> list[PaidEvent]:
        """Counted successful payments with an id above `after`, in id order (one range read
        of the events' primary key)."""
        c = events.c
        query = (
            select(c.id, c.payment_id, c.link_id, c.amount, c.currency, c.occurred_at)
            .where(c.id > after, counted(), c.status == SUCCESSFUL)
            .order_by(c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [PaidEvent(int(r[0]), r[1], int(r[2]), int(r[3]), r[4], r[5]) for r in rows]

    def add(self, upto_before: int, upto_after: int, messages: Sequence[Message]) -> bool:
        """Move the cursor from `upto_before` to `upto_after` and add `messages`, in one
        transaction; False (nothing written) when another notifier moved it first."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            moved = conn.execute(
                update(notify_cursor)
                .where(notify_cursor.c.name == CURSOR, notify_cursor.c.upto == upto_before)
                .values(upto=upto_after)
            ).rowcount
            if moved != 1:
                conn.rollback()
                return False
            rows = [_row(m, now) for m in messages]
            for start in range(0, len(rows), 500):  # under SQLite's bound-parameter limit
                conn.execute(
                    self._insert(outbox)
                    .values(rows[start : start + 500])
                    .on_conflict_do_nothing(index_elements=["payment_id", "recipient", "channel"])
                )
        return True

    def due(self, limit: int = 50) -> list[int]:
        """Ids of pending messages whose time has come and that nobody holds."""
        now = datetime.now(UTC)
        c = outbox.c
        query = (
            select(c.id)
            .where(c.state == PENDING, c.next_attempt_at <= now, _free(now))
            .order_by(c.next_attempt_at, c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [int(i) for i in conn.execute(query).scalars()]

    def claim(self, row_ids: Sequence[int], me: str, lease: float) -> list[Claimed]:
        """Hold those of messages `row_ids` that are pending and free for `lease` seconds,
        in one statement; the ones got, in order (others are sent, given up, or held by
        another notifier)."""
        if not row_ids:
            return []
        now = datetime.now(UTC)
        until = now + timedelta(seconds=lease)
        c = outbox.c
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(c.id.in_(list(row_ids)), c.state == PENDING, _free(now))
                .values(lease_until=until, claimed_by=me)
            )
            # Ours from this claim: our name and this very lease (a notifier's clock does
            # not give two claims the same microsecond).
            rows = conn.execute(
                select(outbox)
                .where(c.id.in_(list(row_ids)), c.claimed_by == me, c.lease_until == until)
                .order_by(c.next_attempt_at, c.id)
            ).all()
        fields = [k for k in Claimed.__dataclass_fields__ if k != "id"]
        return [Claimed(id=int(r.id), **{k: getattr(r, k) for k in fields}) for r in rows]

    def sent(self, row_id: int, me: str) -> None:
        """Record that message `row_id` (held by `me`) was accepted by its channel."""
        self._finish(row_id, me, state=SENT, sent_at=datetime.now(UTC), error=None)

    def retry(self, claimed: Claimed, me: str, error: str, base: float) -> bool:
        """Record a failed send: pending again after a backoff, or given up once a day has
        passed since the message was made. True when it will be tried again."""
        now = datetime.now(UTC)
        attempts = claimed.attempts + 1
        again = now + retry_delay(attempts, base)
        if again - claimed.created_at > GIVE_UP_AFTER:
            self._finish(claimed.id, me, state=FAILED, attempts=attempts, error=error[:1000])
            return False
        self._finish(
            claimed.id, me, state=PENDING, attempts=attempts, next_attempt_at=again, error=error
        )
        return True

    def _finish(self, row_id: int, me: str, **values) -> None:
        c = outbox.c
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(c.id == row_id, c.claimed_by == me)
                .values(lease_until=None, **values)
            )

    def counts(self) -> dict[str, int]:
        """State -> how many messages are in it."""
        query = select(outbox.c.state, func.count()).group_by(outbox.c.state)
        with self.engine.connect() as conn:
            return {state: int(n) for state, n in conn.execute(query)}

    def rows(self) -> list:
        """Every message row, oldest first (tests, the benchmark)."""
        with self.engine.connect() as conn:
            return conn.execute(select(outbox).order_by(outbox.c.id)).all()


def _free(now: datetime):
    return or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now)


def _row(m: Message, now: datetime) -> dict:
    e = m.event
    return {
        "event_id": e.event_id,
        "payment_id": e.payment_id,
        "link_id": e.link_id,
        "team_id": m.team_id,
        "amount": e.amount,
        "currency": e.currency,
        "paid_at": e.paid_at,
        "recipient": m.recipient,
        "channel": m.channel,
        "address": m.address,
        "language": m.language,
        "state": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
