"""Team performance on constructed frames, and its per-link SQL on a real event log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from linksplus.console.performance import (
    paid_by_link,
    paid_frame,
    shown_table,
    sort_table,
    table_csv,
    team_members,
    team_performance,
    time_to_pay_bins,
    time_to_pay_chart,
)
from linksplus.console.users import UserRecord
from linksplus.eventlog import EventLog
from linksplus.workspace import OUTSIDE

T0 = datetime(2026, 3, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
START, END = T0, T0 + timedelta(days=30)
PW = "$2b$12$" + "a" * 53


def _links(rows):
    """rows: (id, template, currency, amount, created_at)."""
    frame = pd.DataFrame(rows, columns=["id", "template", "currency", "amount", "created_at"])
    frame["name"] = [f"Link {i}" for i in frame["id"]]
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame


def _owners(pairs):
    return pd.DataFrame(pairs, columns=["link_id", "made_by"])


def _paid(rows):
    """rows: (link_id, currency, count, amount, first_paid_at)."""
    return paid_frame(rows)


def _team():
    # alice: 10 links made in the period, each paid i hours after creation (i = 1..10) in
    # THB; link 10 also paid in USD. bob: 2 links, one paid in USD. One link of alice's
    # made before the period (paid) and one made outside the console (unpaid).
    rows = [(i, "Coffee", "thb", 10_000, T0 + i * HOUR) for i in range(1, 11)]
    rows += [(11, "Tea", "usd", 500, T0), (12, "", "usd", 700, T0), (13, "Coffee", "thb", 1, T0)]
    rows += [(20, "Coffee", "thb", 5_000, T0 - timedelta(days=2))]
    links = _links(rows)
    owners = _owners(
        [(i, "alice") for i in range(1, 11)] + [(11, "bob"), (12, "bob"), (20, "alice")]
    )
    paid = [(i, "thb", 1, 10_000, T0 + i * HOUR + i * HOUR) for i in range(1, 11)]
    paid += [(10, "usd", 2, 300, T0 + 30 * HOUR), (11, "usd", 1, 500, T0 + 48 * HOUR)]
    paid += [(20, "thb", 1, 5_000, T0)]
    members = {"alice": "Alice", "bob": "Bob", "carol": "Carol"}
    return links, owners, _paid(paid), members


def test_per_salesperson_counts_conversion_times_and_volume_per_currency():
    links, owners, paid, members = _team()
    perf = team_performance(links, owners, paid, START, END, members)
    rows = perf.table.set_index("username")
    assert rows.loc["alice", ["made", "paid"]].tolist() == [10, 10]
    assert rows.loc["alice", "conversion"] == 1.0
    # Paid 1..10 hours after creation: median 5.5, p90 by linear interpolation 9.1.
    assert rows.loc["alice", "median_hours"] == 5.5
    assert round(rows.loc["alice", "p90_hours"], 6) == 9.1
    # Two currencies side by side, never added together.
    assert rows.loc["alice", "paid_thb"] == 100_000
    assert rows.loc["alice", "paid_usd"] == 300
    assert rows.loc["bob", ["made", "paid", "paid_thb", "paid_usd"]].tolist() == [2, 1, 0, 500]
    assert rows.loc["bob", "conversion"] == 0.5
    assert rows.loc["bob", "median_hours"] == 48.0
    # Link 13, made outside the console, is its own row; link 20 (before the period) is out.
    assert rows.loc[OUTSIDE, ["made", "paid"]].tolist() == [1, 0]
    assert perf.currencies == ("thb", "usd")


def test_a_salesperson_with_no_links_appears_with_zeros():
    links, owners, paid, members = _team()
    rows = team_performance(links, owners, paid, START, END, members).table.set_index("username")
    carol = rows.loc["carol"]
    assert [carol["made"], carol["paid"], carol["conversion"]] == [0, 0, 0.0]
    assert [carol["paid_thb"], carol["paid_usd"]] == [0, 0]
    assert pd.isna(carol["median_hours"]) and pd.isna(carol["p90_hours"])
    shown = shown_table(rows.reset_index().loc[lambda f: f["username"] == "carol"], ("thb",))
    assert shown.iloc[0].tolist() == ["Carol", 0, 0, "0%", "—", "—", "0.00"]


def test_an_empty_period_has_no_cohort_but_keeps_the_team():
    links, owners, paid, members = _team()
    perf = team_performance(links, owners, paid, END, END + timedelta(days=7), members)
    assert perf.empty
    assert perf.table["username"].tolist() == ["alice", "bob", "carol"]
    assert perf.table["made"].tolist() == [0, 0, 0]
    assert perf.templates.empty and perf.times.empty


def test_sales_staff_get_only_their_own_row():
    links, owners, paid, members = _team()
    perf = team_performance(links, owners, paid, START, END, members, only="bob")
    assert perf.table["username"].tolist() == ["bob"]
    assert set(perf.cohort["made_by"]) == {"bob"}
    assert perf.times["made_by"].tolist() == ["bob"]
    assert perf.currencies == ("usd",)


def test_conversion_by_template_and_time_to_pay_distribution():
    links, owners, paid, members = _team()
    perf = team_performance(links, owners, paid, START, END, members)
    templates = perf.templates.set_index("template")
    assert templates.loc["Coffee", ["made", "paid"]].tolist() == [11, 10]
    assert templates.loc["Tea", ["made", "paid"]].tolist() == [1, 1]
    assert templates.loc["No template", ["made", "paid"]].tolist() == [1, 0]
    assert sorted(perf.times["hours"]) == [*range(1, 11), 48]


def test_sorting_and_the_csv_of_what_is_shown():
    links, owners, paid, members = _team()
    table = team_performance(links, owners, paid, START, END, members).table
    fastest = sort_table(table, "median_hours")
    assert fastest["username"].tolist()[:2] == ["alice", "bob"]
    assert sort_table(table, "paid_usd")["username"].tolist()[0] == "bob"
    evil = table.assign(name=table["name"].where(table["username"] != "bob", "=HYPERLINK(1)"))
    csv = table_csv(sort_table(evil, "paid_usd"), ("thb", "usd")).decode("utf-8-sig")
    lines = csv.splitlines()
    assert lines[0].startswith("salesperson,username,links_made,links_paid,conversion")
    assert lines[0].split(",")[5:7] == ["median_days_to_pay", "p90_days_to_pay"]
    assert lines[1].startswith("'=HYPERLINK(1),bob,2,1,0.5,2.0,2.0,0.00,5.00")  # 48 h: 2 days


def test_huge_amounts_stay_exact():
    links, owners, _, members = _team()
    big = 10**15
    paid = _paid([(i, "thb", 1, big, T0 + 2 * i * HOUR) for i in range(1, 11)] * 1000)
    perf = team_performance(links, owners, paid, START, END, members)
    # first_paid per link is the min, the volume every row: 10,000 rows of 10^15.
    assert perf.table.set_index("username").loc["alice", "paid_thb"] == 10_000 * big


def test_team_members_are_the_salespeople_listed_on_the_team():
    users = [
        UserRecord("alice", "Alice", "", ["sales"], [101], PW),
        UserRecord("bob", "Bob", "", ["sales"], [102], PW),
        UserRecord("boss", "Boss", "", ["manager"], [101], PW),
        UserRecord("root", "Root", "", ["admin", "sales"], "*", PW),
    ]
    assert team_members(users, 101) == {"alice": "Alice"}


def test_paid_by_link_aggregates_in_sql(tmp_path):
    log = EventLog(f"sqlite:///{tmp_path}/events.db")

    def pay(link, pid, amount, currency, status, when):
        log.record(
            {
                "event": "payment.completed",
                "link_id": link,
                "payment": {"id": pid, "amount": amount, "currency": currency, "status": status},
                "timestamp": when.isoformat(),
            }
        )

    now = datetime.now(UTC).replace(microsecond=0)
    pay(1, "p1", 1000, "thb", "successful", now - 3 * HOUR)
    pay(1, "p2", 2000, "thb", "successful", now - HOUR)
    pay(1, "p3", 700, "usd", "successful", now - 2 * HOUR)
    pay(1, "p4", 9999, "thb", "failed", now - 5 * HOUR)
    pay(2, "p5", 5000, "thb", "failed", now - HOUR)
    pay(3, "p6", 4000, "thb", "successful", now - HOUR)
    frame = paid_by_link(log, [1, 2]).sort_values(["link_id", "currency"], ignore_index=True)
    log.close()
    assert frame[["link_id", "currency", "paid_count", "paid_amount"]].values.tolist() == [
        [1, "thb", 2, 3000],
        [1, "usd", 1, 700],
    ]
    assert frame["first_paid_at"].tolist() == [
        pd.Timestamp(now - 3 * HOUR),
        pd.Timestamp(now - 2 * HOUR),
    ]


def test_the_time_to_pay_histogram_is_counted_before_it_is_drawn():
    times = pd.DataFrame({"made_by": ["a"] * 4, "hours": [1.0, 12.0, 30.0, 240.0]})
    bins = time_to_pay_bins(times, bins=4)  # 0 to 10 days in four bars
    assert bins.values.tolist() == [[0, 2.5, 3], [2.5, 5, 0], [5, 7.5, 0], [7.5, 10, 1]]
    # 20,000 paid links make 20 rows for the browser, not 20,000 (Altair refuses > 5,000).
    many = pd.DataFrame({"made_by": "a", "hours": [float(h % 500) for h in range(20_000)]})
    assert len(time_to_pay_bins(many)) == 20 and time_to_pay_bins(many)["links"].sum() == 20_000
    assert time_to_pay_chart(many).to_dict()["mark"]["type"] == "bar"
