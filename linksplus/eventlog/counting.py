"""Which stored events count as payments in reports, and why the others do not.

The receiver stores every well-formed delivery: a payment is never thrown away because
its currency or event name was not expected. Reports count only what is surely a
payment: a ``payment.completed`` event in a currency we know (`linksplus.money`), for a
positive amount no larger than the receiver's ceiling, dated no later than a day after
it arrived (senders' clocks drift by seconds, not days; "9999-12-31" is a bug). The rest
is shown on the Webhook log as "stored, not counted" with the reason.

The rule exists twice, as SQL (`counted`, for the reports) and as Python (`not_counted`,
for the log's reason); a test checks that they agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from linksplus.eventlog.schema import UTCDateTime, events
from linksplus.events import MAX_AMOUNT
from linksplus.money import CURRENCIES

PAYMENT_EVENT = "payment.completed"
FUTURE_SLACK = timedelta(days=1)


class day_after(FunctionElement):  # lower case, like the SQL it stands for
    """A UTC timestamp column plus one day (FUTURE_SLACK)."""

    type = UTCDateTime()
    inherit_cache = True


@compiles(day_after, "sqlite")
def _day_after_sqlite(element, compiler, **kw):
    (column,) = list(element.clauses)
    # The stored text's own format, so that comparing texts still orders times.
    return f"strftime('%Y-%m-%d %H:%M:%f000', {compiler.process(column, **kw)}, '+1 day')"


@compiles(day_after, "postgresql")
def _day_after_pg(element, compiler, **kw):
    (column,) = list(element.clauses)
    return f"({compiler.process(column, **kw)} + INTERVAL '1 day')"


def counted(table=events) -> ColumnElement:
    """SQL: the event row counts as a payment (see the module's rule)."""
    c = table.c
    return and_(
        c.event == literal(PAYMENT_EVENT),
        c.currency.in_(sorted(CURRENCIES)),
        c.amount > 0,
        c.amount <= MAX_AMOUNT,
        c.occurred_at <= day_after(c.received_at),
    )


def counted_sql(backend: str) -> str:
    """`counted()` as SQL text for `backend` (``sqlite`` or ``postgresql``), over ``events``."""
    dialect = sqlite.dialect() if backend == "sqlite" else postgresql.dialect()
    return str(counted().compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def not_counted(
    event: str, amount: int, currency: str, occurred_at: datetime, received_at: datetime
) -> str | None:
    """Why a stored event is not counted as a payment; None when it is."""
    if event != PAYMENT_EVENT:
        return f"the event is {event!r}, not {PAYMENT_EVENT!r}"
    if str(currency).lower() not in CURRENCIES:
        return f"{str(currency).upper()} is not a currency Links+ takes"
    if amount <= 0:
        return "the amount is zero"
    if amount > MAX_AMOUNT:
        return f"the amount is above the ceiling of {MAX_AMOUNT:,} minor units"
    if occurred_at > received_at + FUTURE_SLACK:
        return f"its time, {occurred_at:%Y-%m-%d %H:%M} UTC, is more than a day after it arrived"
    return None
