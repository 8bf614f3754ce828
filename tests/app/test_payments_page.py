"""The Payments page: tiles per currency equal the event log's sums, team-scoped."""

from __future__ import annotations

from datetime import UTC, datetime

from app_helpers import no_exception, table_rows

from linksplus.eventlog import EventLog
from linksplus.money import format_amount
from linksplus.ui.widgets import md_escape
from linksplus.ui.workspace_data import forget_owners
from linksplus.workspace import Workspace


def _pay(log, link, pid, status="successful"):
    log.record(
        {
            "event": "payment.completed",
            "link_id": link.id,
            "payment": {
                "id": pid,
                "amount": link.amount,
                "currency": link.currency,
                "status": status,
            },
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )


def _tiles(at) -> dict[str, dict[str, str]]:
    """Metric label -> values, per currency tile (in page order)."""
    out: dict[str, list[str]] = {}
    for m in at.metric:
        out.setdefault(m.label, []).append(m.value)
    return out


def test_tiles_equal_the_event_log(make_app, sandbox, secrets):
    sandbox.seed_links(101, 12)
    mine = sandbox.client().list_links(101)
    log = EventLog(secrets["eventlog_url"])
    for i, link in enumerate(mine[:8]):
        _pay(log, link, f"chrg_{i}", "failed" if i % 4 == 3 else "successful")
    _pay(log, mine[0], "chrg_0")  # the same payment again: counted once
    at = make_app("sales").run().switch_page("pages/payments.py").run()
    no_exception(at)
    tiles = _tiles(at)
    totals = log.totals_by_currency(None, None)
    assert len(tiles["Successful volume"]) == len(totals)
    headings = [m.value for m in at.markdown if m.value.startswith("#### ")]
    for row in totals.itertuples():
        # Each tile is headed by its currency; its volume is that currency's exact sum.
        i = next(i for i, h in enumerate(headings) if h.startswith(f"#### {row.currency.upper()}"))
        assert tiles["Successful volume"][i] == format_amount(
            int(row.successful_amount), row.currency
        )
        assert tiles["Successful payments"][i] == f"{int(row.successful_count):,}"
        assert tiles["Failed"][i] == f"{int(row.failed_count):,}"
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert sorted(table_rows(at, "payments_table")["payment_id"]) == sorted(
        f"chrg_{i}" for i in range(8)
    )


def test_other_teams_payments_are_not_counted(make_app, sandbox, secrets):
    sandbox.seed_links(101, 2)
    sandbox.seed_links(102, 2)
    other = sandbox.client().list_links(102)[0]
    _pay(EventLog(secrets["eventlog_url"]), other, "chrg_other")
    at = make_app("manager").run().switch_page("pages/payments.py").run()
    no_exception(at)
    assert not at.metric  # team 101 (the default) had no payment
    assert "No payment in this period" in "\n".join(i.value for i in at.info)


def test_a_hostile_team_name_is_shown_as_text(make_app, sandbox, secrets):
    team = "[Pay here](https://evil.example/pay) ![t](http://host/x.png)"
    sandbox.control("POST", "/teams", json={"id": 101, "name": team})
    sandbox.seed_links(101, 2)
    _pay(EventLog(secrets["eventlog_url"]), sandbox.client().list_links(101)[0], "chrg_1")
    at = make_app("sales").run().switch_page("pages/payments.py").run()
    no_exception(at)
    captions = [c.value for c in at.caption]
    assert any(f"**{md_escape(team)}**" in c for c in captions)
    assert not any("](http" in c for c in captions)


def _many(log, links, count):
    """`count` payments over `links`, one a minute back from now (newest: index 0)."""
    from datetime import timedelta

    from linksplus.eventlog.ingest import event_write

    now = datetime.now(UTC).replace(microsecond=0)
    writes = []
    for i in range(count):
        link = links[i % len(links)]
        when = (now - timedelta(minutes=i + 1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        payment = {"id": f"chrg_{i:04d}", "amount": link.amount, "currency": link.currency}
        writes.append(
            event_write(
                {
                    "event": "payment.completed",
                    "link_id": link.id,
                    "payment": {**payment, "status": "successful"},
                    "timestamp": when,
                }
            )
        )
    log._writer.submit_many(writes).result()


def test_the_payments_table_is_a_page_newest_first_with_older_and_newer(make_app, sandbox, secrets):
    sandbox.seed_links(101, 4)
    log = EventLog(secrets["eventlog_url"])
    _many(log, sandbox.client().list_links(101), 120)
    at = make_app("sales").run().switch_page("pages/payments.py").run()
    no_exception(at)
    first = list(table_rows(at, "payments_table")["payment_id"])
    assert first == [f"chrg_{i:04d}" for i in range(50)]  # a page, not all 120
    assert any("Payments 1–50 of 120, newest first" in c.value for c in at.caption)
    at.button(key="pay_older").click().run()
    assert list(table_rows(at, "payments_table")["payment_id"]) == [
        f"chrg_{i:04d}" for i in range(50, 100)
    ]
    at.button(key="pay_older").click().run()
    assert list(table_rows(at, "payments_table")["payment_id"]) == [
        f"chrg_{i:04d}" for i in range(100, 120)
    ]
    assert at.button(key="pay_older").disabled
    at.button(key="pay_newer").click().run()
    assert table_rows(at, "payments_table")["payment_id"].iloc[0] == "chrg_0050"


def test_a_new_payment_shows_at_once_and_nothing_is_recomputed_without_one(
    make_app, sandbox, secrets, monkeypatch
):
    sandbox.seed_links(101, 2)
    link = sandbox.client().list_links(101)[0]
    log = EventLog(secrets["eventlog_url"])
    _pay(log, link, "chrg_a")
    at = make_app("sales").run().switch_page("pages/payments.py").run()
    assert _tiles(at)["Successful payments"] == ["1"]
    computed = []
    original = EventLog.report
    monkeypatch.setattr(
        EventLog,
        "report",
        lambda self, *a, **k: computed.append(1) or original(self, *a, **k),
    )
    at.run()  # nothing new: the figures come from the cache
    assert computed == []
    _pay(log, link, "chrg_b")
    at.run()  # within the old 5-second cache: the new payment is there all the same
    no_exception(at)
    assert _tiles(at)["Successful payments"] == ["2"]
    assert computed == [1]


def test_custom_dates_start_as_the_last_30_days_on_both_pages(make_app, sandbox):
    # One period picker: on Payments and on Team performance, choosing Custom first shows
    # the last 30 days, the period each page opens with (Payments used to jump to 7 days).
    import pandas as pd

    sandbox.seed_links(101, 2)
    today = pd.Timestamp.now(tz="Asia/Bangkok").date()
    for page, period, dates in (
        ("pages/payments.py", "pay_period", "pay_dates"),
        ("pages/team_performance.py", "perf_period", "perf_dates"),
    ):
        at = make_app("manager").run().switch_page(page).run()
        assert at.segmented_control(key=period).value == "30"
        at.segmented_control(key=period).set_value("custom").run()
        no_exception(at)
        assert at.date_input(key=dates).value == (today - pd.Timedelta(days=29), today)


def test_a_link_made_on_another_instance_counts_its_payment_here_before_the_list_expires(
    make_app, sandbox, secrets
):
    """Two app instances share the database; each keeps the team's link list from Links+
    for minutes. A link another instance just made (Links+ has it, the shared records name
    its maker) counts its payment here at once: a failover or a manager on the other
    instance sees what the salesperson sees."""
    sandbox.seed_links(101, 2)
    log = EventLog(secrets["eventlog_url"])
    at = make_app("sales").run().switch_page("pages/payments.py").run()
    no_exception(at)
    known = {k.id for k in sandbox.client().list_links(101)}
    sandbox.seed_links(101, 1)  # the other instance's create, as Links+ answers it
    (new,) = [k for k in sandbox.client().list_links(101) if k.id not in known]
    Workspace(secrets["eventlog_url"]).record_link(new.id, 101, "sales", "form")
    _pay(log, new, "chrg_made_elsewhere")
    # (Another process sees the records within their 5-second cache; no wait here.)
    forget_owners()
    at.run()
    no_exception(at)
    assert _tiles(at)["Successful payments"] == ["1"]
