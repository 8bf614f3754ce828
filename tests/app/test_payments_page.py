"""The Payments page: tiles per currency equal the event log's sums, team-scoped."""

from __future__ import annotations

from datetime import UTC, datetime

from app_helpers import no_exception, table_rows

from linksplus.eventlog import EventLog
from linksplus.money import format_amount
from linksplus.ui.widgets import md_escape


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
