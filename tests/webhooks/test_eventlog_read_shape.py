"""Schemas 3 to 5, the shape the reports read: one ``payments`` row per counted payment and
per-day figures (``payment_days``), kept in the writes' transactions thousands of events at
a time (the reads adding the rest from ``events``), built once when an older log is opened;
pages of payments by keyset; the CSV's chunks; and the per-team change marker. SQLite and
PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select, text, update

from linksplus.console.payments_report import payments_csv, payments_csv_chunks
from linksplus.console.performance import paid_by_link
from linksplus.eventlog import SCHEMA_VERSION, EventLog, ingest
from linksplus.eventlog.counting import not_counted
from linksplus.eventlog.ingest import EventWrite, day_rows_sql, derived_rows_sql
from linksplus.eventlog.schema import (
    events,
    payment_days,
    payments,
    payments_upto,
    schema_version,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
TEAM = [3, 5, 8, 13, 21]


def generated_events(seed: int = 11, payments: int = 1200) -> list[EventWrite]:
    """A seeded log: 30 links over 60 days, 10% failed, some payments announced pending
    first, and a sprinkle of what is stored but not counted."""
    rnd = random.Random(seed)
    writes = []
    for i in range(payments):
        when = START + timedelta(minutes=rnd.randrange(60 * 24 * 60))
        link = rnd.randrange(1, 31)
        amount = rnd.randrange(100, 500_000)
        currency = rnd.choice(["thb", "thb", "jpy", "usd"])
        status = "failed" if rnd.random() < 0.1 else "successful"
        received = when + timedelta(seconds=rnd.randrange(5))
        kind = rnd.random()
        if kind < 0.05:
            currency = "xxx"  # not a currency Links+ takes
        elif kind < 0.08:
            when = received + timedelta(days=3)  # dated in the future
        elif kind < 0.2:
            pending = (
                "payment.pending",
                link,
                f"chrg_{i:05d}",
                amount,
                currency,
                "pending",
                when - timedelta(minutes=3),
                received - timedelta(minutes=3),
                "{}",
                None,
            )
            writes.append(EventWrite(pending))
        row = ("payment.completed", link, f"chrg_{i:05d}", amount, currency, status)
        writes.append(EventWrite((*row, when, received, "{}", "10.0.0.1")))
    rnd.shuffle(writes)
    return writes


def write(log: EventLog, writes: list[EventWrite], batch: int = 97) -> None:
    """Through the product's write path, in batches, each batch delivered twice over."""
    for i in range(0, len(writes), batch):
        part = writes[i : i + batch]
        log._writer.submit_many(part + part[::3]).result()


# Bangkok's midnight, in UTC: the days payment_days is kept at by default.
BANGKOK_DAY = START + timedelta(hours=17)
WINDOWS = [
    (None, None),
    (START + timedelta(days=10), START + timedelta(days=40)),
    (START + timedelta(days=20, hours=7), START + timedelta(days=21, hours=7)),
    (BANGKOK_DAY + timedelta(days=5), BANGKOK_DAY + timedelta(days=35)),  # whole days
    (None, BANGKOK_DAY + timedelta(days=30, minutes=1)),
    (START + timedelta(days=50, seconds=1), None),
]


def reports(log: EventLog) -> list[pd.DataFrame]:
    out = [
        paid_by_link(log, ids).sort_values(["link_id", "currency"], ignore_index=True)
        for ids in (range(1, 31), TEAM, [404])
    ]
    for start, end in WINDOWS:
        for ids in (None, TEAM, [404]):
            out += [
                log.totals_by_currency(start, end, ids),
                log.totals_by_status(start, end, ids),
                log.daily_totals(start, end, 420, ids),
                log.daily_totals(start, end, -330, ids),
                log.totals_by_link(start, end, ids),
                log.payments(start, end, ids),
            ]
            report = log.report(start, end, 420, ids)  # the same figures, in two queries
            expected = dict(zip(["by_currency", "by_status", "daily"], out[-6:-3], strict=True))
            for name, frame in {**expected, "by_link": out[-2]}.items():
                pd.testing.assert_frame_equal(report[name], frame)
    return out


def counted_payments(log: EventLog, start=None, end=None, ids=None) -> pd.DataFrame:
    """What the reports must count, worked out in pandas from the exact record: each
    payment's latest counted event."""
    ev = log.events(start, end, ids)
    keep = [
        not_counted(r.event, r.amount, r.currency, r.occurred_at, r.received_at) is None
        for r in ev.itertuples()
    ]
    ev = ev[keep].drop_duplicates("payment_id", keep="last")
    ev = ev.sort_values(["occurred_at", "payment_id"], ascending=False)
    return ev[["occurred_at", "link_id", "payment_id", "status", "amount", "currency"]]


@pytest.fixture(params=["small tail", "whole log in the tail"])
def tail_max(request, monkeypatch, db_url):
    """Events are moved into ``payments`` every few thousand: with a tail of 150 the
    generated logs are read half moved, half from the tail; with the default, all from the
    tail."""
    if request.param == "small tail":
        monkeypatch.setattr(ingest, "TAIL_MAX", 150)
    return ingest.TAIL_MAX


@pytest.mark.parametrize("old_version", [2, 3, 4])
def test_an_older_log_is_upgraded_in_place_with_identical_reports(db_url, tail_max, old_version):
    with EventLog(db_url) as log:
        write(log, generated_events())
        before = reports(log)
        # The incremental upkeep agrees with the exact record, window by window.
        for start, end in WINDOWS:
            expected = counted_payments(log, start, end, TEAM).reset_index(drop=True)
            pd.testing.assert_frame_equal(log.payments(start, end, TEAM), expected)
        marker = log.changes(TEAM)
        # Back to the older version, as the previous releases left it.
        with log.engine.begin() as conn:
            if old_version == 2:  # the events alone
                conn.execute(text("DROP TABLE payments"))
                conn.execute(text("DROP TABLE link_changes"))
            elif old_version == 3 or log.backend == "postgresql":
                # Version 3 kept payments whole in every write, and so did version 4 on
                # PostgreSQL (its payments_upto row was not read).
                conn.execute(text(derived_rows_sql(log.backend, "TRUE")[0]))
                conn.execute(update(payments_upto).values(upto=0))
            if old_version < 4:
                conn.execute(text("DROP TABLE payments_upto"))
            conn.execute(text("DROP TABLE payment_days"))
            conn.execute(text("DROP TABLE day_offsets"))
            conn.execute(text("DROP TABLE payment_links"))
            conn.execute(update(schema_version).values(version=old_version))
    for _ in range(2):  # the second opening finds version 7 and changes nothing
        with EventLog(db_url) as log:
            after = reports(log)
            assert len(after) == len(before)
            for old, new in zip(before, after, strict=True):
                pd.testing.assert_frame_equal(old, new)
            assert log.changes(TEAM) == marker
            with log.engine.connect() as conn:
                assert conn.execute(schema_version.select()).one().version == SCHEMA_VERSION
    assert SCHEMA_VERSION == 7


def expected_figures(paid_rows: pd.DataFrame, start, end, ids, minutes: int) -> dict:
    """The reports' figures, worked out in pandas from `counted_payments`' rows."""
    rows = paid_rows
    if start is not None:
        rows = rows[rows.occurred_at >= start]
    if end is not None:
        rows = rows[rows.occurred_at < end]
    if ids is not None:
        rows = rows[rows.link_id.isin(ids)]
    status = rows.groupby(["currency", "status"]).amount.agg(["count", "sum"])
    links = rows.groupby(["link_id", "currency", "status"]).amount.agg(["count", "sum"])
    paid = rows[rows.status == "successful"]
    days = (paid.occurred_at + pd.Timedelta(minutes=minutes)).dt.date
    daily = paid.groupby([days, paid.currency]).amount.agg(["sum", "count"])
    return {
        "status": {k: (int(r["count"]), int(r["sum"])) for k, r in status.iterrows()},
        "links": {k: (int(r["count"]), int(r["sum"])) for k, r in links.iterrows()},
        "daily": {k: (int(r["sum"]), int(r["count"])) for k, r in daily.iterrows()},
    }


def read_figures(log: EventLog, start, end, ids, minutes: int) -> dict:
    report = log.report(start, end, minutes, ids)
    links = {}
    for r in report["by_link"].itertuples():
        if r.paid_count:
            links[(r.link_id, r.currency, "successful")] = (r.paid_count, r.paid_amount)
    for r in report["by_status"].itertuples():
        assert r.status in ("successful", "failed") or r.count == 0
    failed = log.totals_by_status(start, end, ids)
    status = {(r.currency, r.status): (r.count, r.amount) for r in failed.itertuples()}
    return {
        "status": status,
        "links": links,
        "daily": {(r.day, r.currency): (r.amount, r.count) for r in report["daily"].itertuples()},
    }


def assert_figures_exact(log: EventLog, windows, offsets=(420, 0, -330), ids_list=(None, TEAM)):
    paid_rows = counted_payments(log)
    for start, end in windows:
        for ids in ids_list:
            for minutes in offsets:
                want = expected_figures(paid_rows, start, end, ids, minutes)
                want["links"] = {k: v for k, v in want["links"].items() if k[2] == "successful"}
                got = read_figures(log, start, end, ids, minutes)
                assert got == want, (start, end, ids, minutes)


def move_everything(log: EventLog) -> None:
    """Every stored event moved into ``payments`` and ``payment_days``, as a write past
    TAIL_MAX does."""
    with log.engine.begin() as conn:
        upto = conn.execute(select(payments_upto.c.upto)).scalar_one()
        after = f"events.id > {upto}"
        conn.execute(text(derived_rows_sql(log.backend, after)[0]))
        conn.execute(text(day_rows_sql(log.backend, "events", after)))
        conn.execute(
            update(payments_upto).values(upto=select(func.max(events.c.id)).scalar_subquery())
        )


def test_writes_move_the_tail_in_bulk_and_reads_add_it(db_url, monkeypatch):
    # Each write leaves payments behind by at most TAIL_MAX events; the write that passes
    # it moves the whole tail at once. At every step the reads are the exact record's.
    monkeypatch.setattr(ingest, "TAIL_MAX", 40)
    writes = generated_events(seed=9, payments=300)
    with EventLog(db_url) as log:
        moves = 0
        for i in range(0, len(writes), 13):
            log._writer.submit_many(writes[i : i + 13]).result()
            with log.engine.connect() as conn:
                upto = conn.execute(select(payments_upto.c.upto)).scalar_one()
                last = conn.execute(select(func.max(events.c.id))).scalar_one()
                moved = conn.execute(select(func.count()).select_from(payments)).scalar_one()
                days = conn.execute(select(func.sum(payment_days.c.payments))).scalar_one()
            assert last - upto <= 40
            moves += upto == last
            assert moved <= len(counted_payments(log))
            assert (days or 0) == moved  # each moved payment counted on one day, once
            expected = counted_payments(log).reset_index(drop=True)
            pd.testing.assert_frame_equal(log.payments(), expected)
            # The figures too, the moved part's kept from the previous step when the mark
            # did not move.
            assert_figures_exact(log, [(None, None), WINDOWS[3]], offsets=(420, 0))
        assert moves >= 5


# Windows of every shape against the days payment_days is kept at (Bangkok's): whole days,
# days and hours, less than a day, open on either side, and at the ends of time.
SHAPES = [
    (BANGKOK_DAY + timedelta(days=3), BANGKOK_DAY + timedelta(days=4)),
    (BANGKOK_DAY + timedelta(days=3, microseconds=1), BANGKOK_DAY + timedelta(days=4)),
    (BANGKOK_DAY + timedelta(days=3), BANGKOK_DAY + timedelta(days=4, microseconds=-1)),
    (BANGKOK_DAY + timedelta(days=3, hours=2), BANGKOK_DAY + timedelta(days=3, hours=5)),
    (START + timedelta(days=2, hours=3, seconds=17), START + timedelta(days=44, hours=23)),
    (BANGKOK_DAY - timedelta(days=2), None),
    (None, BANGKOK_DAY + timedelta(days=33, hours=6)),
    (datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, tzinfo=UTC)),
    (START + timedelta(days=10), START + timedelta(days=10)),
]


def test_the_per_day_figures_give_the_exact_record_for_any_window(db_url, monkeypatch):
    # A report reads payment_days for the window's whole days (at the offset it is kept
    # at) and payments for the hours at its ends: for any window, at any offset, the
    # figures are the exact record's, per currency and status, per link, and per day.
    monkeypatch.setattr(ingest, "TAIL_MAX", 60)
    statements: list[str] = []
    with EventLog(db_url) as log:
        write(log, generated_events(seed=21, payments=900))
        from sqlalchemy import event

        event.listen(log.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        assert_figures_exact(log, SHAPES + WINDOWS)
        assert any("FROM payment_days" in sql for sql in statements)
        move_everything(log)  # and with nothing in the tail
        assert_figures_exact(log, SHAPES[:5])


def test_another_timezones_days_are_kept_once_asked_for(db_url, tmp_path):
    from sqlalchemy import event

    from linksplus.cli import main

    with EventLog(db_url) as log:
        write(log, generated_events(seed=22, payments=400))
        move_everything(log)
        assert log.day_offsets() == [420]
        statements: list[str] = []
        event.listen(log.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        log.daily_totals(link_ids=TEAM, utc_offset_minutes=540)
        assert not any("FROM payment_days" in sql for sql in statements)
    # Tokyo, +09:00 all year: its days counted from the payments so far, then kept.
    assert main(["report-timezone", "Asia/Tokyo", "--db", db_url]) == 0
    assert main(["report-timezone", "Asia/Tokyo", "--db", db_url]) == 0
    with EventLog(db_url) as log:
        assert log.day_offsets() == [420, 540]
        assert log.add_day_offset(540) is False
        with pytest.raises(ValueError, match="minutes"):
            log.add_day_offset(5000)
        statements = []
        event.listen(log.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        write(log, generated_events(seed=23, payments=100))
        move_everything(log)
        assert_figures_exact(log, [(None, None), WINDOWS[1]], offsets=(540,))
        assert any("FROM payment_days" in sql for sql in statements)


def test_the_report_timezone_command_says_what_it_did(sqlite_url, capsys):
    from linksplus.cli import main

    assert main(["report-timezone", "Asia/Kolkata", "--db", sqlite_url]) == 0
    out = capsys.readouterr().out
    assert "now kept at UTC+05:30" in out and "kept at: UTC+05:30, UTC+07:00" in out
    assert main(["report-timezone", "Mars/Olympus", "--db", sqlite_url]) == 2
    assert "not a timezone name" in capsys.readouterr().err


@pytest.mark.postgres
def test_two_postgresql_writers_at_once_move_every_payment_once(pg_url, monkeypatch):
    # Two receivers on one PostgreSQL: each write takes the write lock before numbering
    # its events, so the mark never passes an event still being committed, and every
    # payment is moved (and counted on its day) exactly once.
    import threading

    monkeypatch.setattr(ingest, "TAIL_MAX", 25)
    writes = generated_events(seed=24, payments=800)
    logs = [EventLog(pg_url), EventLog(pg_url)]
    try:
        halves = [writes[0::2], writes[1::2]]

        def run(log, part):
            for i in range(0, len(part), 7):
                log._writer.submit_many(part[i : i + 7]).result()

        threads = [
            threading.Thread(target=run, args=pair) for pair in zip(logs, halves, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        log = logs[0]
        move_everything(log)  # what a later write would do: nothing left behind
        with log.engine.connect() as conn:
            moved = conn.execute(select(func.count()).select_from(payments)).scalar_one()
            days = conn.execute(select(func.sum(payment_days.c.payments))).scalar_one()
        assert moved == days == len(counted_payments(log))
        assert_figures_exact(log, [(None, None), WINDOWS[3]], offsets=(420,))
    finally:
        for log in logs:
            log.close()


def test_pages_newest_first_by_keyset_cover_every_payment_once(db_url, tail_max):
    with EventLog(db_url) as log:
        tied = START + timedelta(days=20)  # 50 payments of one instant: pages cut through
        ties = [
            EventWrite(
                (
                    "payment.completed",
                    3,
                    f"tie_{i:02d}",
                    100,
                    "thb",
                    "successful",
                    tied,
                    tied,
                    "{}",
                    None,
                )
            )
            for i in range(50)
        ]
        write(log, generated_events(seed=5, payments=600) + ties)
        start, end = WINDOWS[1]
        assert len(log.payments(start, end, TEAM)) > 80
        for ids in (TEAM, None, [7]):
            whole = log.payments(start, end, ids)
            pages, before = [], None
            while True:
                page = log.payments(start, end, ids, limit=37, before=before)
                assert len(page) <= 37
                if page.empty:
                    break
                pages.append(page)
                last = page.iloc[-1]
                before = (last.occurred_at.to_pydatetime(), last.payment_id)
            assert len(pages) == -(-len(whole) // 37)
            pd.testing.assert_frame_equal(pd.concat(pages, ignore_index=True), whole)
        assert log.payments(start, end, [], limit=10).empty


def test_the_csv_rows_come_in_chunks_and_add_up_to_the_window(db_url, tail_max):
    with EventLog(db_url) as log:
        write(log, generated_events(seed=6, payments=500))
        chunks = list(log.iter_payments(link_ids=TEAM, chunk_rows=25))
        assert len(chunks) > 2 and all(len(c) <= 25 for c in chunks)
        whole = log.payments(link_ids=TEAM)
        pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), whole)
        # Written chunk by chunk, the CSV is the one file the whole frame makes.
        pieces = list(payments_csv_chunks(iter(chunks), "Asia/Bangkok"))
        assert len(pieces) == len(chunks)
        assert b"".join(pieces) == payments_csv(whole, "Asia/Bangkok")
        assert b"".join(payments_csv_chunks(iter([]), "UTC")) == payments_csv(None, "UTC")


def test_the_change_marker_moves_only_for_the_teams_own_counted_payments(db_url):
    when = datetime(2026, 2, 1, tzinfo=UTC)

    def event(pid, link, name="payment.completed", status="successful"):
        return EventWrite((name, link, pid, 100, "thb", status, when, when, "{}", None))

    with EventLog(db_url) as log:
        assert log.changes(TEAM) == 0
        log._writer.submit_many([event("a", 3)]).result()
        mark = log.changes(TEAM)
        assert mark > 0
        log._writer.submit_many([event("b", 4), event("a", 3)]).result()  # another team's
        assert log.changes(TEAM) == mark
        log._writer.submit_many([event("c", 5, "payment.pending", "pending")]).result()
        assert log.changes(TEAM) == mark  # stored, not counted: the reports do not move
        log._writer.submit_many([event("c", 5)]).result()
        assert log.changes(TEAM) > mark


def test_a_teams_report_reads_its_own_links_rows_through_the_index(sqlite_url):
    # SQLite: every report query searches the (link_id, occurred_at) index, and the
    # per-day figures' primary key, by the team's ids; none scans the payments of every
    # team; the events not moved yet are read by id.
    from sqlalchemy.dialects import sqlite

    from linksplus.eventlog import queries

    start, end = WINDOWS[1]
    with EventLog(sqlite_url) as log:
        write(log, generated_events(seed=7, payments=200))
        by_days = {"offsets": [420], "upto": 100}
        statements = [
            (queries.by_link_status(start, end, TEAM, backend="sqlite"), False),
            (queries.daily(start, end, 0, TEAM, backend="sqlite"), False),
            (queries.latest_payments(start, end, TEAM, limit=50, backend="sqlite"), False),
            (queries.by_link_status(start, end, TEAM, backend="sqlite", **by_days), True),
            (queries.daily(start, end, 420, TEAM, backend="sqlite", **by_days), True),
        ]
        with log.engine.connect() as conn:
            for statement, days in statements:
                compiled = statement.compile(
                    dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}
                )
                plan = " | ".join(
                    row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
                )
                assert "USING COVERING INDEX ix_payments_link_time (link_id=?" in plan, plan
                assert "SCAN payments " not in plan + " ", plan
                assert "SEARCH events USING INTEGER PRIMARY KEY (rowid>?)" in plan, plan
                assert "SCAN events" not in plan, plan
                if days:
                    key = "SEARCH payment_days USING PRIMARY KEY (utc_offset=? AND link_id=? AND"
                    assert key in plan, plan
                    assert "SCAN payment_days" not in plan, plan


def test_each_write_reads_back_only_its_own_batch(sqlite_url):
    # The upkeep of payments runs in every write transaction: it must read the batch's
    # rows by id, not every payment.completed event (which made ingest slower per event
    # as the log grew).
    with EventLog(sqlite_url) as log:
        write(log, generated_events(seed=8, payments=100))
        with log.engine.connect() as conn:
            for sql in derived_rows_sql("sqlite", "events.id > ?"):
                plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", (5,))]
                assert plan[0] == "SEARCH events USING INTEGER PRIMARY KEY (rowid>?)", plan


def test_the_kept_figures_stay_within_their_bound(sqlite_url, monkeypatch):
    # Bounded memory: however many windows and teams are read, an EventLog keeps at most
    # KEPT_ROWS rows of figures, dropping the oldest first.
    from linksplus.eventlog import log as log_module

    monkeypatch.setattr(log_module, "KEPT_ROWS", 60)
    monkeypatch.setattr(ingest, "TAIL_MAX", 50)  # most of the log moved: figures to keep
    with EventLog(sqlite_url) as log:
        write(log, generated_events(seed=12, payments=300))
        for start, end in WINDOWS:
            for ids in (None, TEAM, [3], [5]):
                log.report(start, end, 420, ids)
                assert sum(len(rows) for _, rows in log._kept.values()) <= 60
        assert any(rows for _, rows in log._kept.values())  # the latest reads' are kept
