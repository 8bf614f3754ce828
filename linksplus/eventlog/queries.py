"""The report queries over ``payments`` and ``payment_days``: every aggregate is a GROUP BY
in SQL, per currency.

Reports count payments (what `counting.counted` accepts), one ``payments`` row each, and
``payment_days`` their count and amount per link, local day, currency and status, both
kept by the write path (`ingest`): nothing is counted twice, nothing ranked at read time.
A team's read is of its links' rows only: ``payment_days`` for a window's whole days,
``payments`` (link_id, occurred_at) for the hours at its ends, and the few thousand latest
events not moved into either yet (`_not_moved`). Amounts stay integer minor units; two
currencies are never added together.

Sums never overflow: each is taken as two, of the amounts' high and low 32 bits, which
cannot overflow for billions of rows, and `merge_sums` adds them up exactly in Python
(SQLite's sum() fails past 2**63: one absurd amount used to break a whole page).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    cast,
    func,
    literal,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import Subquery
from sqlalchemy.types import Date, NullType, Text, TypeDecorator

from linksplus.eventlog.counting import counted_sql
from linksplus.eventlog.schema import events, link_changes, payment_days, payment_links
from linksplus.eventlog.schema import payments as payments_table

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

    # Not Boolean: SQLite would get "... IN (...) = 1", which no index can serve.
    type = NullType()
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


PAGE_COLUMNS = ("occurred_at", "link_id", "payment_id", "status", "amount", "currency")


def _not_moved(backend: str, upto: int | None = None) -> Subquery:
    """The counted events not in ``payments`` yet (those after ``payments_upto``, or after
    `upto`, the mark as read in the same snapshot: a few thousand at most, read by id), as
    rows of ``payments``. (PostgreSQL's planner, given the mark as a value, knows the ids
    after it are few; given the subquery, it guesses a third of the table and scans it.)

    A payment has at most one counted event (only ``payment.completed`` counts, and
    ``events`` holds each (event, payment id) once), so these rows are payments that
    ``payments`` does not hold yet: adding them up counts nothing twice."""
    # By id (NOT INDEXED): left to itself, SQLite reads every payment.completed event
    # through the unique (event, payment_id) index instead.
    table = "events NOT INDEXED" if backend == "sqlite" else "events"
    mark = "(SELECT upto FROM payments_upto)" if upto is None else str(int(upto))
    tail = text(
        f"SELECT {', '.join(PAGE_COLUMNS)} FROM {table} "
        f"WHERE id > {mark} AND {counted_sql(backend)}"
    ).columns(*(events.c[name] for name in PAGE_COLUMNS))
    return tail.subquery("tail")


def _restricted(query: Select, table, start, end, link_ids: Iterable[int] | None) -> Select:
    query = time_range(query, table.c.occurred_at, start, end)
    return only_links(query, table.c.link_id, link_ids)


# Which payments a query reads: ``all`` of them, or one of the two parts they are the sum
# of, in one read transaction: those ``moved`` into ``payments`` (which change only when
# the mark moves: their figures can be kept) and the ``tail`` after the mark.
PARTS = ("all", "moved", "tail")


def payments(
    start: datetime | None,
    end: datetime | None,
    link_ids: Iterable[int] | None = None,
    *,
    backend: str,
    part: str = "all",
    upto: int | None = None,
):
    """The payments with start <= occurred_at < end (on the links `link_ids`, when given),
    as a subquery; only `part` of them (see PARTS). `upto`: the mark, when read already."""
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, not {part!r}")
    # Only the columns the reports read: all in the index, so the table is never read.
    columns = select(*(payments_table.c[name] for name in PAGE_COLUMNS))
    moved = _restricted(columns, payments_table, start, end, link_ids)
    if part == "moved":
        return moved.subquery("window")
    tail = _not_moved(backend, upto)
    rows = _restricted(select(*(tail.c[name] for name in PAGE_COLUMNS)), tail, start, end, link_ids)
    return (rows if part == "tail" else union_all(moved, rows)).subquery("window")


def _page_query(table, start, end, limit: int, before: tuple[datetime, str] | None) -> Select:
    """`table`'s payments of the range older than `before`, newest `limit` first."""
    c = table.c
    query = time_range(select(*(c[name] for name in PAGE_COLUMNS)), c.occurred_at, start, end)
    if before is not None:
        when, payment_id = before
        newer = (as_utc(when, "before"), str(payment_id))
        query = query.where(tuple_(c.occurred_at, c.payment_id) < newer)
    return query.order_by(c.occurred_at.desc(), c.payment_id.desc()).limit(limit)


def latest_payments(
    start: datetime | None,
    end: datetime | None,
    link_ids: Iterable[int] | None = None,
    *,
    limit: int | None = None,
    before: tuple[datetime, str] | None = None,
    backend: str,
    upto: int | None = None,
) -> Select:
    """The payments of the range, newest first (payment id breaking ties); with `limit`,
    at most that many, older than `before` (the last (occurred_at, payment_id) shown).

    With `limit` and links, each link's newest `limit` rows come from the index, then are
    merged: a page costs at most links x limit index rows, however many the window holds
    (sorting every payment of a busy team's year would cost the whole window).
    """
    if limit is None:
        p = payments(start, end, link_ids, backend=backend, upto=upto)
        query = select(*(p.c[name] for name in PAGE_COLUMNS))
        return query.order_by(p.c.occurred_at.desc(), p.c.payment_id.desc())
    limit = max(0, int(limit))
    query = _moved_page(start, end, link_ids, limit, before, backend)
    tail = _not_moved(backend, upto)
    # The page of the payments not moved yet, merged with the moved ones'.
    tail = only_links(_page_query(tail, start, end, limit, before), tail.c.link_id, link_ids)
    both = union_all(*(select(part.subquery()) for part in (query, tail))).subquery("page")
    query = select(*(both.c[name] for name in PAGE_COLUMNS))
    return query.order_by(both.c.occurred_at.desc(), both.c.payment_id.desc()).limit(limit)


def _moved_page(start, end, link_ids, limit: int, before, backend: str) -> Select:
    """`latest_payments`' page, of ``payments`` alone."""
    if link_ids is None:
        return _page_query(payments_table, start, end, limit, before)
    ids = literal(list(link_ids), _IdList())
    if backend == "postgresql":
        link = func.unnest(ids).table_valued("value").render_derived(name="l")
        top = _page_query(payments_table, start, end, limit, before)
        top = top.where(payments_table.c.link_id == link.c.value).lateral("p")
        query = select(*(top.c[name] for name in PAGE_COLUMNS)).select_from(
            link.join(top, literal(True))
        )
        order = (top.c.occurred_at.desc(), top.c.payment_id.desc())
        return query.order_by(*order).limit(limit)
    # SQLite has no LATERAL; a correlated IN (... LIMIT), evaluated per link, does it.
    link = func.json_each(ids).table_valued("value").alias("l")
    q = payments_table.alias("q")
    top = _page_query(q, start, end, limit, before).with_only_columns(q.c.payment_id)
    top = top.where(q.c.link_id == link.c.value)
    p = payments_table.c
    query = (
        select(*(p[name] for name in PAGE_COLUMNS))
        .select_from(link)
        .join(payments_table, p.payment_id.in_(top))
    )
    return query.order_by(p.occurred_at.desc(), p.payment_id.desc()).limit(limit)


def changes(link_ids: Iterable[int] | None) -> Select:
    """How many times the payments of `link_ids` (None: every link) changed, ever."""
    query = select(func.coalesce(func.sum(link_changes.c.changes), 0))
    return only_links(query, link_changes.c.link_id, link_ids)


_HALF = 2**32
HIGH, LOW = "__high", "__low"


def exact_sum(amount, name: str) -> tuple[ColumnElement, ColumnElement]:
    """sum(`amount`) as two columns that cannot overflow, for `merge_sums` to add up."""
    half = literal(_HALF, BigInteger)
    return (
        func.sum(amount // half).label(name + HIGH),  # floor division: // in SQLAlchemy
        func.sum(amount % half).label(name + LOW),
    )


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


# -- the aggregates: per link, or per local day -------------------------------------------


def whole_days(
    start: datetime | None, end: datetime | None, minutes: int
) -> tuple[date | None, date | None] | None:
    """The local days (at `minutes` east of UTC) wholly within start <= t < end, as
    (first, stop), stop excluded, None where the window is unbounded; None when none."""
    shift = timedelta(minutes=minutes)
    try:
        first = stop = None
        if start is not None:
            local = as_utc(start, "start") + shift
            first = local.date() + timedelta(days=0 if local.time() == time(0) else 1)
        if end is not None:
            stop = (as_utc(end, "end") + shift).date()
    except OverflowError:  # a window reaching year 1 or 9999
        return None
    if first is not None and stop is not None and first >= stop:
        return None
    return first, stop


def _midnight(day: date, minutes: int) -> datetime:
    return datetime.combine(day, time(0), UTC) - timedelta(minutes=minutes)


# An aggregate's rows before grouping: its keys, then how many payments ("n") and the sums
# of their amounts' high and low 32 bits, which cannot overflow (see `exact_sum`).
BY_LINK, BY_DAY = "link", "day"


def _payment_rows(table, kind: str, minutes: int, start, end, link_ids) -> Select:
    """`table`'s payments (of ``payments``' columns) as rows of an aggregate."""
    c = table.c
    if kind == BY_LINK:
        keys = (c.link_id, c.currency, c.status)
    else:
        keys = (local_day(c.occurred_at, cast(minutes, Integer)).label("day"), c.currency)
    half = literal(_HALF, BigInteger)
    query = select(
        *keys,
        literal(1, BigInteger).label("n"),
        (c.amount // half).label("hi"),
        (c.amount % half).label("lo"),
    )
    if kind == BY_DAY:
        query = query.where(c.status == SUCCESSFUL)
    return _restricted(query, table, start, end, link_ids)


def _cell_rows(kind: str, minutes: int, days: tuple, link_ids) -> Select:
    """The ``payment_days`` rows at `minutes` of the `days` (first, stop) as rows of an
    aggregate."""
    c = payment_days.c
    keys = (c.link_id, c.currency, c.status) if kind == BY_LINK else (c.day, c.currency)
    query = select(
        *keys, c.payments.label("n"), c.amount_high.label("hi"), c.amount_low.label("lo")
    ).where(c.utc_offset == minutes)
    first, stop = days
    if first is not None:
        query = query.where(c.day >= first)
    if stop is not None:
        query = query.where(c.day < stop)
    if kind == BY_DAY:
        query = query.where(c.status == SUCCESSFUL)
    return only_links(query, c.link_id, link_ids)


def _moved_rows(kind, start, end, link_ids, minutes: int, counted_at: int | None) -> list:
    """The moved payments' rows: from ``payment_days`` at `counted_at` (an offset it is
    kept at) for the window's whole days, and from ``payments`` for the hours at its ends;
    all from ``payments`` when `counted_at` is None or no day is whole."""
    days = None if counted_at is None else whole_days(start, end, counted_at)
    if days is None:
        return [_payment_rows(payments_table, kind, minutes, start, end, link_ids)]
    pieces = [_cell_rows(kind, counted_at, days, link_ids)]
    first, stop = days
    if start is not None and _midnight(first, counted_at) > as_utc(start, "start"):
        left = (start, _midnight(first, counted_at))
        pieces.append(_payment_rows(payments_table, kind, minutes, *left, link_ids))
    if end is not None and as_utc(end, "end") > _midnight(stop, counted_at):
        right = (_midnight(stop, counted_at), end)
        pieces.append(_payment_rows(payments_table, kind, minutes, *right, link_ids))
    return pieces


def _aggregate(
    kind: str,
    start,
    end,
    link_ids,
    *,
    minutes: int,
    offsets: Iterable[int],
    backend: str,
    part: str,
    upto: int | None = None,
) -> Select:
    """The grouped rows of `kind` for `part` of the window's payments: keys, then count
    and the exact-sum pair of columns (per link: ``a``; per day: ``amount``).

    `offsets`: those ``payment_days`` is kept at (`minutes` preferred). Per day, only
    `minutes` serves (another offset's days are other days)."""
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, not {part!r}")
    offsets = list(offsets)
    if minutes in offsets:
        counted_at = minutes
    else:
        counted_at = offsets[0] if offsets and kind == BY_LINK else None
    pieces = []
    if part != "tail":
        pieces += _moved_rows(kind, start, end, link_ids, minutes, counted_at)
    if part != "moved":
        tail = _not_moved(backend, upto)
        pieces.append(_payment_rows(tail, kind, minutes, start, end, link_ids))
    rows = union_all(*pieces).subquery("rows")
    keys = [rows.c[name] for name in rows.c.keys()[:-3]]
    name = "a" if kind == BY_LINK else "amount"
    sums = (func.sum(rows.c.hi).label(name + HIGH), func.sum(rows.c.lo).label(name + LOW))
    count = func.sum(rows.c.n).label("count")
    columns = (count, *sums) if kind == BY_LINK else (*sums, count)
    return select(*keys, *columns).group_by(*keys).order_by(*keys)


def by_link_status(
    start: datetime | None,
    end: datetime | None,
    link_ids: Iterable[int] | None = None,
    *,
    backend: str,
    part: str = "all",
    minutes: int = 0,
    offsets: Iterable[int] = (),
    upto: int | None = None,
) -> Select:
    """Per link, currency and status: how many payments and their amount. Every total
    but the daily one is a sum of these rows: one pass over the window serves them all.
    `offsets`: those ``payment_days`` is kept at (``day_offsets``), `minutes` preferred;
    none: every row from ``payments``."""
    return _aggregate(
        BY_LINK,
        start,
        end,
        link_ids,
        minutes=minutes,
        offsets=offsets,
        backend=backend,
        part=part,
        upto=upto,
    )


class local_day(FunctionElement):  # lower case, like the SQL functions it stands for
    """The calendar day of a UTC timestamp column, seen at a fixed UTC offset."""

    type = Date()  # SQLite answers text, which SQLAlchemy reads as a date
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
    *,
    backend: str,
    part: str = "all",
    offsets: Iterable[int] = (),
    upto: int | None = None,
) -> Select:
    """Per local day (at `utc_offset_minutes`) and currency: the successful payments'
    amount and count. From ``payment_days`` when it is kept at that offset (`offsets`)."""
    if not isinstance(utc_offset_minutes, int) or abs(utc_offset_minutes) > 18 * 60:
        raise ValueError("utc_offset_minutes must be an integer within ±1080")
    return _aggregate(
        BY_DAY,
        start,
        end,
        link_ids,
        minutes=utc_offset_minutes,
        offsets=offsets,
        backend=backend,
        part=part,
        upto=upto,
    )


# -- per link: what Team performance reads ------------------------------------------------


def paid_by_link(link_ids: Iterable[int] | None, *, backend: str, part: str, upto: int):
    """Per link and currency, the successful payments of `part` (``moved``: read from
    ``payment_links``, one row per paid link and currency; ``tail``: grouped from the few
    events after the mark `upto`): link_id, currency, count, the amount as `exact_sum`'s two
    columns, and the first payment's time."""
    if part == "moved":
        pl = payment_links
        query = select(
            pl.c.link_id,
            pl.c.currency,
            pl.c.payments,
            pl.c.amount_high.label("amount" + HIGH),
            pl.c.amount_low.label("amount" + LOW),
            pl.c.first_paid_at,
        )
        query = only_links(query, pl.c.link_id, link_ids)
        return query.order_by(pl.c.link_id, pl.c.currency)
    p = payments(None, None, link_ids, backend=backend, part="tail", upto=upto)
    return (
        select(
            p.c.link_id,
            p.c.currency,
            func.count(),
            *exact_sum(p.c.amount, "amount"),
            func.min(p.c.occurred_at),
        )
        .where(p.c.status == SUCCESSFUL)
        .group_by(p.c.link_id, p.c.currency)
    )
