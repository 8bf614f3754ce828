"""The event log on SQLite and PostgreSQL: exactly-once recording, reads, health."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, timezone

import pandas as pd
import pytest
from sqlalchemy import text, update
from webhook_helpers import payment_event

from linksplus.devserver import free_port
from linksplus.eventlog import SCHEMA_VERSION, EventLog, SchemaError
from linksplus.eventlog.engine import make_engine
from linksplus.eventlog.ingest import event_write
from linksplus.eventlog.schema import deliveries, events, schema_version
from linksplus.webhooks.payload import PayloadError


@pytest.fixture
def log(db_url):
    with EventLog(db_url) as event_log:
        yield event_log


def test_records_once_per_event_and_payment(log):
    first = payment_event("chrg_a", currency="THB", note={"kept": True})
    assert log.record(first) is True
    assert log.record(first) is False
    # The same payment under another event name is another event.
    assert log.record(payment_event("chrg_a", event="payment.refunded")) is True
    assert log.count() == 2

    row = log.export().iloc[0]
    assert (row.event, row.link_id, row.payment_id, row.amount, row.currency, row.status) == (
        "payment.completed",
        789,
        "chrg_a",
        100000,
        "thb",
        "successful",
    )
    assert row.occurred_at == pd.Timestamp("2026-02-14T10:35:00Z")
    assert str(row.occurred_at.tz) == "UTC" and str(row.received_at.tz) == "UTC"
    assert json.loads(row.payload)["note"] == {"kept": True}  # unknown fields kept


def test_timestamps_with_offsets_are_stored_in_utc(log):
    log.record(payment_event("chrg_tz", timestamp="2026-02-15T05:35:00+07:00"))
    assert log.events().occurred_at.iloc[0] == pd.Timestamp("2026-02-14T22:35:00Z")


@pytest.mark.parametrize(
    "bad",
    [
        {"payment": {"id": "x"}},
        payment_event(amount=12.5),
        payment_event(amount=-1),
        payment_event(link_id=True),
        payment_event(currency="baht"),
        payment_event(timestamp="yesterday"),
    ],
)
def test_invalid_payloads_are_refused_and_not_stored(log, bad):
    with pytest.raises(PayloadError):
        log.record(bad)
    assert log.count() == 0


def test_reads_of_an_empty_log_have_their_columns(log):
    expected = {
        "events": [
            "event",
            "link_id",
            "payment_id",
            "amount",
            "currency",
            "status",
            "occurred_at",
            "received_at",
        ],
        "export": [
            "event",
            "link_id",
            "payment_id",
            "amount",
            "currency",
            "status",
            "occurred_at",
            "received_at",
            "payload",
        ],
        "totals_by_currency": [
            "currency",
            "successful_amount",
            "successful_count",
            "failed_count",
            "payments",
            "success_rate",
        ],
        "totals_by_status": ["currency", "status", "count", "amount"],
        "daily_totals": ["day", "currency", "amount", "count"],
        "totals_by_link": ["link_id", "currency", "paid_count", "paid_amount", "failed_count"],
        "deliveries": [
            "received_at",
            "outcome",
            "reason",
            "event",
            "payment_id",
            "link_id",
            "remote",
        ],
        "payments": ["occurred_at", "link_id", "payment_id", "status", "amount", "currency"],
        "delivery_counts": ["outcome", "count"],
    }
    for method, columns in expected.items():
        frame = getattr(log, method)()
        assert list(frame.columns) == columns, method
        assert frame.empty, method
    assert str(log.events().occurred_at.dtype).endswith("UTC]")
    assert log.count() == 0


def test_concurrent_writers_store_each_event_once(log):
    ids = [f"chrg_{i % 150}" for i in range(600)]  # 150 unique, each sent 4 times

    with ThreadPoolExecutor(24) as pool:
        results = list(pool.map(lambda pid: log.record(payment_event(pid)), ids))

    assert sum(results) == 150
    assert log.count() == 150
    assert log.events().payment_id.nunique() == 150


def test_two_instances_on_one_database_share_the_uniqueness(db_url):
    with EventLog(db_url) as one, EventLog(db_url) as two:
        assert one.record(payment_event("chrg_shared")) is True
        assert two.record(payment_event("chrg_shared")) is False
        assert two.count() == 1


def test_deliveries_newest_first(log):
    log.record_delivery(
        "rejected", "payment.amount must be an integer", event="x", remote="10.0.0.1"
    )
    assert log.record(payment_event("chrg_1", link_id=7), remote="10.0.0.2") is True
    assert log.record(payment_event("chrg_1", link_id=7), remote="10.0.0.3") is False
    frame = log.deliveries()
    assert frame.outcome.tolist() == ["duplicate", "accepted", "rejected"]
    assert frame.remote.tolist() == ["10.0.0.3", "10.0.0.2", "10.0.0.1"]
    assert frame.reason.iloc[2] == "payment.amount must be an integer"
    assert pd.isna(frame.reason.iloc[1])  # an accepted delivery has no reason
    assert frame.link_id.iloc[0] == 7 and pd.isna(frame.link_id.iloc[2])
    assert log.deliveries(limit=1).outcome.tolist() == ["duplicate"]
    assert log.deliveries(limit=2).outcome.tolist() == ["duplicate", "accepted"]
    with pytest.raises(ValueError):
        log.record_delivery("maybe")
    with pytest.raises(ValueError, match="record the event"):
        log.record_delivery("accepted", event="payment.completed", payment_id="chrg_2")


def test_health(log):
    log.record(payment_event())
    health = log.health()
    assert health == {"ok": True, "backend": log.backend, "events": 1}


def test_health_of_an_unreachable_database_is_not_ok():
    with EventLog(f"postgresql+psycopg://nobody:pw@127.0.0.1:{free_port()}/none") as log:
        health = log.health()
    assert health["ok"] is False and health["backend"] == "postgresql"
    assert "pw" not in health["error"]


@pytest.mark.parametrize(("query", "synchronous"), [("", 1), ("?synchronous=full", 2)])
def test_sqlite_is_a_wal_file_in_a_new_folder(sqlite_url, tmp_path, query, synchronous):
    with EventLog(sqlite_url + query) as log:
        log.record(payment_event())
        with log.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            # NORMAL (1) by default: in WAL mode a commit survives SIGKILL; FULL (2) on ask.
            assert conn.execute(text("PRAGMA synchronous")).scalar() == synchronous
    assert (tmp_path / "eventlog" / "events.db").exists()


def test_batches_with_repeated_events_tell_new_from_duplicate(log):
    # Many concurrent deliveries land in one group-commit batch, repeats included.
    batch = [event_write(payment_event(f"p{i % 3}"), remote="10.0.0.9") for i in range(9)]
    results = log._writer.submit_many(batch).result()
    assert results == [True, True, True] + [False] * 6
    assert log.count() == 3
    assert sorted(log.deliveries().outcome) == ["accepted"] * 3 + ["duplicate"] * 6


def test_schema_version_is_recorded_and_a_newer_one_refused(db_url):
    with EventLog(db_url) as log:
        log.count()
        with log.engine.begin() as conn:
            assert conn.execute(schema_version.select()).one().version == SCHEMA_VERSION
            conn.execute(update(schema_version).values(version=99))
    with EventLog(db_url) as log, pytest.raises(SchemaError):
        log.count()


# -- report reads, against totals worked out by hand -------------------------------------

KNOWN = [
    # payment, link, amount, currency, status, occurred_at (UTC)
    ("p1", 1, 100000, "thb", "successful", "2026-02-14T10:00:00Z"),
    ("p2", 1, 50000, "thb", "successful", "2026-02-14T23:30:00Z"),
    ("p3", 2, 20000, "thb", "failed", "2026-02-15T01:00:00Z"),
    ("p4", 2, 1500, "jpy", "successful", "2026-02-15T12:00:00Z"),
    ("p5", 3, 700, "jpy", "failed", "2026-02-16T09:00:00Z"),
    ("p6", 3, 2000, "jpy", "successful", "2026-02-16T15:00:00Z"),
]


@pytest.fixture
def known(log):
    for pid, link, amount, currency, status, ts in KNOWN:
        log.record(
            payment_event(
                pid, link_id=link, amount=amount, currency=currency, status=status, timestamp=ts
            )
        )
    # p7: one payment announced twice, pending then successful; counted once, as the
    # payment.completed event (the other is stored, not counted).
    log.record(
        payment_event(
            "p7",
            event="payment.pending",
            link_id=1,
            amount=30000,
            status="pending",
            timestamp="2026-02-16T08:00:00Z",
        )
    )
    log.record(
        payment_event(
            "p7", link_id=1, amount=30000, status="successful", timestamp="2026-02-16T08:05:00Z"
        )
    )
    # Deliveries of the same events again must change nothing.
    log.record(payment_event("p1", link_id=1, timestamp="2026-02-14T10:00:00Z"))
    return log


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(r) for r in frame.itertuples(index=False)]


def test_totals_by_currency_never_mix_currencies(known):
    frame = known.totals_by_currency()
    assert rows(frame.drop(columns="success_rate")) == [
        ("jpy", 3500, 2, 1, 3),
        ("thb", 180000, 3, 1, 4),
    ]
    assert frame.success_rate.tolist() == pytest.approx([2 / 3, 0.75])
    assert frame.successful_amount.dtype == "int64"


def test_totals_by_status(known):
    assert rows(known.totals_by_status()) == [
        ("jpy", "failed", 1, 700),
        ("jpy", "successful", 2, 3500),
        ("thb", "failed", 1, 20000),
        ("thb", "successful", 3, 180000),
    ]


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (
            0,
            [
                (date(2026, 2, 14), "thb", 150000, 2),
                (date(2026, 2, 15), "jpy", 1500, 1),
                (date(2026, 2, 16), "jpy", 2000, 1),
                (date(2026, 2, 16), "thb", 30000, 1),
            ],
        ),
        (
            7 * 60,
            [
                (date(2026, 2, 14), "thb", 100000, 1),
                (date(2026, 2, 15), "jpy", 1500, 1),
                (date(2026, 2, 15), "thb", 50000, 1),
                (date(2026, 2, 16), "jpy", 2000, 1),
                (date(2026, 2, 16), "thb", 30000, 1),
            ],
        ),
        (
            -10 * 60,
            [
                (date(2026, 2, 14), "thb", 150000, 2),
                (date(2026, 2, 15), "jpy", 1500, 1),
                (date(2026, 2, 15), "thb", 30000, 1),
                (date(2026, 2, 16), "jpy", 2000, 1),
            ],
        ),
    ],
)
def test_daily_totals_in_the_viewers_offset(known, offset, expected):
    frame = known.daily_totals(utc_offset_minutes=offset)
    assert rows(frame) == expected
    assert all(type(day) is date for day in frame.day)


def test_totals_by_link(known):
    assert rows(known.totals_by_link()) == [
        (1, "thb", 3, 180000, 0),
        (2, "jpy", 1, 1500, 0),
        (2, "thb", 0, 0, 1),
        (3, "jpy", 1, 2000, 1),
    ]
    assert rows(known.totals_by_link(link_ids=[2])) == [(2, "jpy", 1, 1500, 0), (2, "thb", 0, 0, 1)]
    assert known.totals_by_link(link_ids=[]).empty


def test_time_range_includes_start_and_excludes_end(known):
    start = datetime(2026, 2, 15, 1, 0, tzinfo=UTC)  # p3's instant
    end = datetime(2026, 2, 16, 16, 0, tzinfo=timezone(timedelta(hours=7)))  # 09:00Z, p5
    assert known.events(start, end).payment_id.tolist() == ["p3", "p4", "p7", "p7"]
    assert len(known.export(start, end)) == 4
    assert rows(known.totals_by_currency(start, end).drop(columns="success_rate")) == [
        ("jpy", 1500, 1, 0, 1),
        ("thb", 30000, 1, 1, 2),
    ]
    assert rows(known.totals_by_link(start, end)) == [
        (1, "thb", 1, 30000, 0),
        (2, "jpy", 1, 1500, 0),
        (2, "thb", 0, 0, 1),
    ]
    assert rows(known.daily_totals(start, end)) == [
        (date(2026, 2, 15), "jpy", 1500, 1),
        (date(2026, 2, 16), "thb", 30000, 1),
    ]
    # Ending between p7's two events: only its payment.pending event is in that window,
    # which is stored but not counted (only payment.completed is a payment).
    before = datetime(2026, 2, 16, 8, 1, tzinfo=UTC)
    assert "pending" not in set(known.totals_by_status(start, before).status)
    assert "p7" in set(known.events(start, before).payment_id)
    assert known.events(start=datetime(2027, 1, 1, tzinfo=UTC)).empty


# -- reads of some links only (a team's), bound as one parameter ---------------------------


def test_every_read_can_be_limited_to_some_links(known):
    # Links 2 and 3: p3, p4, p5, p6 (link 1's p1, p2 and p7 are left out).
    team = [2, 3, 404]
    assert known.events(link_ids=team).payment_id.tolist() == ["p3", "p4", "p5", "p6"]
    assert known.export(link_ids=team).payment_id.tolist() == ["p3", "p4", "p5", "p6"]
    assert rows(known.totals_by_currency(link_ids=team).drop(columns="success_rate")) == [
        ("jpy", 3500, 2, 1, 3),
        ("thb", 0, 0, 1, 1),
    ]
    assert rows(known.totals_by_status(link_ids=team)) == [
        ("jpy", "failed", 1, 700),
        ("jpy", "successful", 2, 3500),
        ("thb", "failed", 1, 20000),
    ]
    assert rows(known.daily_totals(link_ids=team)) == [
        (date(2026, 2, 15), "jpy", 1500, 1),
        (date(2026, 2, 16), "jpy", 2000, 1),
    ]
    assert rows(known.totals_by_link(link_ids=team)) == [
        (2, "jpy", 1, 1500, 0),
        (2, "thb", 0, 0, 1),
        (3, "jpy", 1, 2000, 1),
    ]
    for method in (
        "events",
        "export",
        "payments",
        "totals_by_currency",
        "totals_by_status",
        "daily_totals",
        "totals_by_link",
    ):
        assert getattr(known, method)(link_ids=[]).empty, method
        assert getattr(known, method)(link_ids=[999]).empty, method


def test_payments_of_one_link_one_row_each_newest_first(known):
    frame = known.payments(link_ids=[1])
    assert rows(frame.drop(columns="occurred_at")) == [
        (1, "p7", "successful", 30000, "thb"),  # reported pending, then successful: once
        (1, "p2", "successful", 50000, "thb"),
        (1, "p1", "successful", 100000, "thb"),
    ]
    assert frame.occurred_at.iloc[0] == pd.Timestamp("2026-02-16T08:05:00Z")
    # The rows are what the totals count.
    totals = known.totals_by_currency(link_ids=[1]).iloc[0]
    assert totals.payments == len(frame)
    assert totals.successful_amount == frame.amount[frame.status == "successful"].sum()


def test_a_team_of_70000_links_is_one_parameter(known):
    # More ids than SQLite (32,766) or PostgreSQL (65,535) take as separate parameters.
    team = list(range(2, 70_002))  # links 2 and 3 among 70,000 ids
    assert len(known.events(link_ids=team)) == 4
    assert rows(known.totals_by_currency(link_ids=team).drop(columns="success_rate")) == [
        ("jpy", 3500, 2, 1, 3),
        ("thb", 0, 0, 1, 1),
    ]
    assert len(known.totals_by_link(link_ids=team)) == 3
    assert len(known.daily_totals(link_ids=team)) == 2
    assert len(known.totals_by_status(link_ids=team)) == 3
    assert len(known.payments(link_ids=team)) == 4
    assert len(known.export(link_ids=team)) == 4


def test_delivery_counts_count_every_delivery(log):
    assert log.delivery_counts().empty
    assert list(log.delivery_counts().columns) == ["outcome", "count"]
    for payment_id in ["a", "b", "c", "a", "b"]:
        log.record(payment_event(payment_id), remote="10.0.0.1")
    log.record_delivery("rejected", "bad signature")
    assert rows(log.delivery_counts()) == [("accepted", 3), ("duplicate", 2), ("rejected", 1)]


def test_a_version_1_log_is_upgraded_and_its_delivery_log_kept(db_url):
    # Version 1's layout: no events.remote, and a deliveries row for each accepted event.
    with EventLog(db_url) as log:
        log.count()
        with log.engine.begin() as conn:
            conn.execute(text("ALTER TABLE events DROP COLUMN remote"))
            conn.execute(update(schema_version).values(version=1))
    base = datetime(2026, 2, 14, 10, 0, tzinfo=UTC)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        for i, payment_id in enumerate(["chrg_a", "chrg_b"]):
            conn.execute(
                events.insert().values(
                    event="payment.completed",
                    link_id=7,
                    payment_id=payment_id,
                    amount=100,
                    currency="thb",
                    status="successful",
                    occurred_at=base,
                    received_at=base + timedelta(minutes=i),
                    payload="{}",
                )
            )
        for minute, outcome, payment_id, remote, reason in [
            (0, "accepted", "chrg_a", "10.0.0.1", None),
            (1, "accepted", "chrg_b", "10.0.0.2", None),
            (2, "duplicate", "chrg_a", "10.0.0.3", None),
            (3, "rejected", None, "10.0.0.4", "bad signature"),
        ]:
            conn.execute(
                deliveries.insert().values(
                    received_at=base + timedelta(minutes=minute),
                    outcome=outcome,
                    reason=reason,
                    event="payment.completed",
                    payment_id=payment_id,
                    link_id=7,
                    remote=remote,
                )
            )
    engine.dispose()

    for _ in range(2):  # the second opening finds version 2 and changes nothing
        with EventLog(db_url) as log:
            frame = log.deliveries()
            assert frame.outcome.tolist() == ["rejected", "duplicate", "accepted", "accepted"]
            assert frame.remote.tolist() == ["10.0.0.4", "10.0.0.3", "10.0.0.2", "10.0.0.1"]
            assert frame.payment_id.tolist()[1:] == ["chrg_a", "chrg_b", "chrg_a"]
            assert rows(log.delivery_counts()) == [
                ("accepted", 2),
                ("duplicate", 1),
                ("rejected", 1),
            ]
            with log.engine.connect() as conn:
                assert conn.execute(schema_version.select()).one().version == SCHEMA_VERSION
                logged = conn.execute(text("SELECT outcome FROM deliveries")).scalars().all()
            assert sorted(logged) == ["duplicate", "rejected"]
    with EventLog(db_url) as log:  # and it takes new deliveries as before
        assert log.record(payment_event("chrg_c"), remote="10.0.0.5") is True
        assert log.deliveries(limit=1).remote.tolist() == ["10.0.0.5"]
