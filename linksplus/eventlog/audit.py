"""Read-only questions an admin asks of the event log, and the last reconciliation's result.

The reconciliation (`linksplus.console.reconcile`) reads the payments of a set of links and
which link ids have payments at all; a link's delivery history reads every delivery of its
payments (accepted, duplicate, refused), with the webhook it came from when known.

Which webhook: the payload cannot say. The receiver also answers at
``/webhooks/linksplus/<source>`` and records the source after the address in ``remote``
(``"203.0.113.9 via custom"``): no new column in the tables of the receiver's hot path.

The last checks are kept in ``reconciliation_checks`` (event log schema 6).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from linksplus.eventlog import queries
from linksplus.eventlog.counting import not_counted
from linksplus.eventlog.log import NOT_COUNTED, EventLog
from linksplus.eventlog.schema import deliveries, events
from linksplus.eventlog.schema import reconciliation_checks as checks

SOURCES = ("system", "dashboard", "custom")
_VIA = " via "
# The checks kept: the newest is what Settings shows; a few more help compare by hand.
CHECKS_KEPT = 10
HISTORY_SHOWN = 200


def tag_remote(address: str, source: str | None) -> str:
    """The ``remote`` value of a delivery from `address` through the `source` webhook."""
    return f"{address}{_VIA}{source}" if source in SOURCES else address


def split_remote(remote: str | None) -> tuple[str | None, str | None]:
    """(address, source) of a stored ``remote``; source None when it is not known."""
    if remote is None:
        return None, None
    address, sep, source = remote.rpartition(_VIA)
    if sep and source in SOURCES:
        return address, source
    return remote, None


def _ensure(log: EventLog) -> Engine:
    log._ready()  # the log's schema, once: its tables, this module's included
    return log.engine


@dataclass(frozen=True, slots=True)
class LoggedPayment:
    """One counted payment as the log holds it (its latest counted event)."""

    link_id: int
    payment_id: str
    status: str
    amount: int
    currency: str
    occurred_at: datetime


def link_payments(log: EventLog, link_ids: Iterable[int]) -> list[LoggedPayment]:
    """Every counted payment of `link_ids` (one bound parameter, read through the
    payments index on link_id)."""
    _ensure(log)
    ids = list(link_ids)

    def query(upto: int):
        # With the latest events not moved into ``payments`` yet.
        p = queries.payments(None, None, ids, backend=log.backend, upto=upto).c
        return select(p.link_id, p.payment_id, p.status, p.amount, p.currency, p.occurred_at)

    return [LoggedPayment(int(r[0]), *r[1:]) for r in log.read_at_mark(query)]


def logged_link_ids(log: EventLog) -> set[int]:
    """Every link id with at least one counted payment in the log (whatever its team)."""
    _ensure(log)

    def query(upto: int):
        p = queries.payments(None, None, backend=log.backend, upto=upto)
        return select(p.c.link_id).distinct()

    return {int(row[0]) for row in log.read_at_mark(query)}


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivery of a link's payment: ``accepted`` (stored; `reason` says when it is
    stored but not counted), ``duplicate`` or ``rejected`` (`reason` says why)."""

    received_at: datetime
    outcome: str
    reason: str | None
    payment_id: str | None
    address: str | None
    source: str | None  # system, dashboard, custom; None when not known


def link_deliveries(log: EventLog, link_id: int, limit: int = HISTORY_SHOWN) -> list[Delivery]:
    """The newest `limit` deliveries of `link_id`'s payments, newest first.

    A refused delivery whose body named no readable link id is in no link's history.
    Neither table is indexed on link_id (each index is one more write per delivery on
    the receiver's path), so this reads each table once: an admin's occasional look.
    """
    engine = _ensure(log)
    e, d = events.c, deliveries.c
    accepted = (
        select(
            e.received_at,
            e.payment_id,
            e.remote,
            e.event,
            e.amount,
            e.currency,
            e.occurred_at,
        )
        .where(e.link_id == int(link_id))
        .order_by(e.received_at.desc())
        .limit(limit)
    )
    logged = (
        select(d.received_at, d.outcome, d.reason, d.payment_id, d.remote)
        .where(d.link_id == int(link_id))
        .order_by(d.received_at.desc())
        .limit(limit)
    )
    rows: list[Delivery] = []
    with engine.connect() as conn:
        for received, payment_id, remote, event, amount, currency, occurred in conn.execute(
            accepted
        ):
            why = not_counted(event, amount, currency, occurred, received)
            reason = None if why is None else NOT_COUNTED + why
            rows.append(Delivery(received, "accepted", reason, payment_id, *split_remote(remote)))
        for received, outcome, reason, payment_id, remote in conn.execute(logged):
            rows.append(Delivery(received, outcome, reason, payment_id, *split_remote(remote)))
    rows.sort(key=lambda row: row.received_at, reverse=True)
    return rows[:limit]


def save_check(
    log: EventLog, checked_at: datetime, checked_by: str | None, differences: int, result: str
) -> None:
    """Keep a reconciliation's result (`result`: its JSON), dropping all but the newest
    CHECKS_KEPT."""
    engine = _ensure(log)
    with engine.begin() as conn:
        conn.execute(
            checks.insert().values(
                checked_at=checked_at,
                checked_by=checked_by,
                differences=int(differences),
                result=result,
            )
        )
        newest = select(checks.c.id).order_by(checks.c.id.desc()).limit(CHECKS_KEPT)
        conn.execute(checks.delete().where(checks.c.id.not_in(newest)))


def last_check(log: EventLog) -> str | None:
    """The JSON of the newest reconciliation kept, or None before the first."""
    engine = _ensure(log)
    with engine.connect() as conn:
        return conn.execute(
            select(checks.c.result).order_by(checks.c.id.desc()).limit(1)
        ).scalar_one_or_none()
