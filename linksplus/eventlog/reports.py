"""The report queries: every aggregate is a GROUP BY in SQL, always per currency.

Reports count payments, not deliveries or events: only the events `counting.counted`
accepts (a ``payment.completed`` in a known currency, for a positive amount, not dated in
the future). When several events concern one payment (say ``pending`` and later
``successful``), the latest one in the time range (by ``occurred_at``, then arrival) gives
the payment's status and amount, so nothing is counted twice. Amounts stay integer minor
units; two currencies are never added together.

Sums never overflow: SQLite's sum() of integers fails past 2**63 (one absurd amount used
to break a team's whole Payments page), and PostgreSQL's bigint cast would too. Each sum
is taken as two, of the amounts' high and low 32 bits, which cannot overflow for
billions of rows, and `merge_sums` adds them up exactly in Python.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import BigInteger, Integer, Select, case, cast, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Boolean, String, Text, TypeDecorator

from linksplus.eventlog.counting import counted
from linksplus.eventlog.schema import events

SUCCESSFUL = "successful"
FAILED = "failed"


def as_utc(value: datetime | None, name: str) -> datetime | None:
    """`value` in UTC; a naive datetime is taken to be UTC already."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime or None, not {type(value).__name__}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def time_range(query: Select, column, start: datetime | None, end: datetime | None) -> Select:
    """`query` restricted to start <= column < end (either bound optional)."""
    start, end = as_utc(start, "start"), as_utc(end, "end")
    if start is not None:
        query = query.where(column >= start)
    if end is not None:
        query = query.where(column < end)
    return query


# -- link id filters: one bound parameter, however many ids ------------------------------


class _IdList(TypeDecorator):
    """A list of integer ids bound as ONE parameter: a BIGINT[] array on PostgreSQL, JSON
    text elsewhere (SQLite reads it with json_each). Thousands of ids stay one parameter,
    far below any driver's parameter limit, and the statement text stays cacheable."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(BigInteger))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value, dialect):
        ids = [int(i) for i in value]
        return ids if dialect.name == "postgresql" else json.dumps(ids)


class id_in(FunctionElement):  # lower case, like the SQL it stands for
    """``column`` is one of the ids in a list bound as one parameter."""

    type = Boolean()
    inherit_cache = True


@compiles(id_in)
def _id_in_json(element, compiler, **kw):
    column, ids = list(element.clauses)
    return (
        f"{compiler.process(column, **kw)} IN "
        f"(SELECT value FROM json_each({compiler.process(ids, **kw)}))"
    )


@compiles(id_in, "postgresql")
def _id_in_pg(element, compiler, **kw):
    column, ids = list(element.clauses)
    return (
        f"{compiler.process(column, **kw)} = ANY(CAST({compiler.process(ids, **kw)} AS BIGINT[]))"
    )


def link_filter(column, link_ids: Iterable[int]) -> ColumnElement:
    """``column IN link_ids`` as one bound parameter on every backend (see `_IdList`,
    which makes them ints when the statement runs)."""
    return id_in(column, literal(list(link_ids), _IdList()))


def only_links(query: Select, column, link_ids: Iterable[int] | None) -> Select:
    """`query` restricted to rows whose `column` is in `link_ids` (None: no restriction)."""
    return query if link_ids is None else query.where(link_filter(column, link_ids))


def payments(start: datetime | None, end: datetime | None, link_ids: Iterable[int] | None = None):
    """A subquery with one row per payment: its latest event in the range (on the links
    `link_ids`, when given; a payment belongs to one link)."""
    rank = func.row_number().over(
        partition_by=events.c.payment_id, order_by=(events.c.occurred_at.desc(), events.c.id.desc())
    )
    ranked = select(
        events.c.payment_id,
        events.c.link_id,
        events.c.amount,
        events.c.currency,
        events.c.status,
        events.c.occurred_at,
        rank.label("rank"),
    )
    ranked = time_range(ranked.where(counted()), events.c.occurred_at, start, end)
    ranked = only_links(ranked, events.c.link_id, link_ids).subquery("ranked")
    return select(ranked).where(ranked.c.rank == 1).subquery("payments")


def latest_payments(
    start: datetime | None, end: datetime | None, link_ids: Iterable[int] | None = None
) -> Select:
    """Each payment's latest event in the range, newest first (what the reports count)."""
    p = payments(start, end, link_ids)
    return select(
        p.c.occurred_at, p.c.link_id, p.c.payment_id, p.c.status, p.c.amount, p.c.currency
    ).order_by(p.c.occurred_at.desc(), p.c.payment_id.desc())


def _count_if(condition) -> ColumnElement:
    return cast(func.sum(case((condition, 1), else_=0)), BigInteger)


_HALF = 2**32
HIGH, LOW = "__high", "__low"


def exact_sum(amount, name: str) -> tuple[ColumnElement, ColumnElement]:
    """sum(`amount`) as two columns that cannot overflow, for `merge_sums` to add up."""
    half = literal(_HALF, BigInteger)
    return (
        func.sum(amount // half).label(name + HIGH),  # floor division: // in SQLAlchemy
        func.sum(amount % half).label(name + LOW),
    )


def _sum_if(condition, amount, name: str) -> tuple[ColumnElement, ColumnElement]:
    return exact_sum(case((condition, amount), else_=0), name)


def merge_sums(keys: list[str], rows: Iterable[tuple]) -> list[tuple]:
    """Rows with each `exact_sum` pair of columns (by their `keys`) made one exact int."""
    pairs = [i for i, key in enumerate(keys) if key.endswith(HIGH)]
    if not pairs:
        return rows if isinstance(rows, list) else list(rows)
    out = []
    for row in rows:
        values = list(row)
        for i in reversed(pairs):  # from the right, so earlier positions stay put
            high, low = values[i], values[i + 1]
            values[i : i + 2] = [None if high is None else int(high) * _HALF + int(low)]
        out.append(tuple(values))
    return out


def by_currency(
    start: datetime | None, end: datetime | None, link_ids: Iterable[int] | None = None
) -> Select:
    p = payments(start, end, link_ids)
    ok = p.c.status == SUCCESSFUL
    return (
        select(
            p.c.currency,
            *_sum_if(ok, p.c.amount, "successful_amount"),
            _count_if(ok),
            _count_if(p.c.status == FAILED),
            func.count(),
        )
        .group_by(p.c.currency)
        .order_by(p.c.currency)
    )


def by_status(
    start: datetime | None, end: datetime | None, link_ids: Iterable[int] | None = None
) -> Select:
    p = payments(start, end, link_ids)
    return (
        select(p.c.currency, p.c.status, func.count(), *exact_sum(p.c.amount, "amount"))
        .group_by(p.c.currency, p.c.status)
        .order_by(p.c.currency, p.c.status)
    )


class local_day(FunctionElement):  # lower case, like the SQL functions it stands for
    """The calendar day of a UTC timestamp column, seen at a fixed UTC offset."""

    type = String()
    inherit_cache = True


@compiles(local_day, "sqlite")
def _local_day_sqlite(element, compiler, **kw):
    column, minutes = list(element.clauses)
    return (
        f"date({compiler.process(column, **kw)}, ({compiler.process(minutes, **kw)}) || ' minutes')"
    )


@compiles(local_day, "postgresql")
def _local_day_pg(element, compiler, **kw):
    column, minutes = list(element.clauses)
    return (
        f"CAST(({compiler.process(column, **kw)} AT TIME ZONE 'UTC') + "
        f"make_interval(mins => {compiler.process(minutes, **kw)}) AS DATE)"
    )


def daily(
    start: datetime | None,
    end: datetime | None,
    utc_offset_minutes: int,
    link_ids: Iterable[int] | None = None,
) -> Select:
    if not isinstance(utc_offset_minutes, int) or abs(utc_offset_minutes) > 18 * 60:
        raise ValueError("utc_offset_minutes must be an integer within ±1080")
    p = payments(start, end, link_ids)
    day = local_day(p.c.occurred_at, cast(utc_offset_minutes, Integer)).label("day")
    return (
        select(day, p.c.currency, *exact_sum(p.c.amount, "amount"), func.count())
        .where(p.c.status == SUCCESSFUL)
        .group_by(day, p.c.currency)
        .order_by(day, p.c.currency)
    )


def by_link(start: datetime | None, end: datetime | None, link_ids: Iterable[int] | None) -> Select:
    p = payments(start, end, link_ids)
    ok = p.c.status == SUCCESSFUL
    return (
        select(
            p.c.link_id,
            p.c.currency,
            _count_if(ok),
            *_sum_if(ok, p.c.amount, "paid_amount"),
            _count_if(p.c.status == FAILED),
        )
        .group_by(p.c.link_id, p.c.currency)
        .order_by(p.c.link_id, p.c.currency)
    )
