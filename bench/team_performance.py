"""Benchmark: the Team performance page for a team of 20,000 links and 500,000 payments,
against a team of 1,000 links and 25,000 payments, side by side in one run.

Seeds one sandbox with both teams (team 101 big, team 102 small), records who made each
link (five salespeople per team) and writes the payments (25 per link, 10% failed, some in
JPY) into one SQLite event log through the product's write path (the receiver's worker's
group-commit writer). Then times the page's server time through AppTest, as a manager:

  * cold: empty caches (links from the API, the per-link SQL aggregate, the figures);
  * new payment: one payment of the team stored (the SQL aggregate and figures again);
  * rerun: another period chosen (the figures only; everything read is cached).

Each figure is the median of --rounds runs, the two sizes alternating; the ratio big /
small is printed beside them (the per-link SQL and pandas work grow with the data, the
page's fixed costs do not). Not a pass/fail gate.

    .venv/bin/python bench/team_performance.py [--links 20000] [--payments 500000]
        [--small-links 1000] [--small-payments 25000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness import logged_in_app, sandbox, seed_links, timed_run
from harness import write_payments as write_events

from linksplus.client import LinksPlusClient
from linksplus.console.users import UserRecord, hash_password, save_users

API_KEY = "skey_test_bench_perf_key"
BIG, SMALL = 101, 102
PAGE = "pages/team_performance.py"
BATCH = 2000


def seed(url: str, team: int, count: int) -> list:
    seed_links(url, team, count)
    return LinksPlusClient(API_KEY, base_url=url).list_links(team)


def record_owners(db: str, team: int, links: list, sellers: list[str]) -> None:
    """Who made each link, in one statement (the workspace's own table)."""
    from linksplus.workspace import Workspace
    from linksplus.workspace.schema import link_owners

    ws = Workspace(db)
    now = datetime.now(UTC)
    rows = [
        {
            "link_id": link.id,
            "team_id": team,
            "made_by": sellers[i % len(sellers)],
            "made_at": now,
            "how": "form",
        }
        for i, link in enumerate(links)
    ]
    with ws.engine.begin() as conn:
        conn.execute(link_owners.insert(), rows)
    ws.close()


def write_payments(db: str, links: list, count: int, seed_: int, tag: str) -> float:
    """`count` payments of `links`, dated after the links were made; seconds taken."""
    rnd = random.Random(seed_)
    now = datetime.now(UTC)

    def payments():
        for i in range(count):
            link = rnd.choice(links)
            # The seeded links are made "now": their payments come within the next hours
            # (a payment at most a day ahead of its arrival is counted).
            when = max(now, link.created_at) + timedelta(seconds=rnd.randrange(1, 20 * 3600))
            status = "failed" if rnd.random() < 0.1 else "successful"
            currency = "jpy" if i % 7 == 0 else link.currency
            amount = rnd.randrange(2_000, 5_000_000)
            yield link.id, f"chrg_perf_{tag}_{i:08d}", amount, currency, status, when

    return write_events(db, payments(), BATCH)


def measure(url: str, db: str, users: Path, team: int, links: list, tag: str, n: int) -> dict:
    """The three server times of the page for `team` (round `n`)."""
    import streamlit as st

    from linksplus.eventlog import EventLog

    at = logged_in_app(url, API_KEY, users, db, username="manager", role="manager", timeout=600)
    at.query_params["team"] = str(team)
    at.run()  # app.py opens on Links: start the measured page from empty caches
    st.cache_data.clear()
    st.cache_resource.clear()
    cold = timed_run(at.switch_page(PAGE))
    assert at.dataframe, "the page drew no table"
    log = EventLog(db)
    link = links[n % len(links)]
    log.record(
        {
            "event": "payment.completed",
            "link_id": link.id,
            "payment": {
                "id": f"chrg_perf_new_{tag}_{n}",
                "amount": link.amount,
                "currency": link.currency,
                "status": "successful",
            },
            "timestamp": datetime.now(UTC).isoformat(),
        }
    )
    log.close()
    new = timed_run(at)
    at.segmented_control(key="perf_period").set_value("7" if n % 2 else "90")
    rerun = timed_run(at)
    return {"cold": cold, "new payment": new, "rerun": rerun}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=20_000)
    parser.add_argument("--payments", type=int, default=500_000)
    parser.add_argument("--small-links", type=int, default=1_000)
    parser.add_argument("--small-payments", type=int, default=25_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-perf-"))
    db = f"sqlite:///{tmp}/events.db"
    with sandbox(tmp, API_KEY) as url:
        started = time.perf_counter()
        big = seed(url, BIG, args.links)
        small = seed(url, SMALL, args.small_links)
        print(
            f"seeded {len(big):,} + {len(small):,} links in {time.perf_counter() - started:.1f} s"
        )
        pw = hash_password("bench-password")
        people = [UserRecord("manager", "Manager", "", ["manager"], [BIG, SMALL], pw)]
        for team in (BIG, SMALL):
            sellers = [f"s{team}_{i}" for i in range(5)]
            people += [UserRecord(s, s.title(), "", ["sales"], [team], pw) for s in sellers]
            record_owners(db, team, big if team == BIG else small, sellers)
        users = tmp / "users.yaml"
        save_users(users, people)
        took = write_payments(db, big, args.payments, 1, "big")
        took += write_payments(db, small, args.small_payments, 2, "small")
        print(f"wrote {args.payments + args.small_payments:,} payments in {took:.1f} s")

        results: dict[str, list[dict]] = {"big": [], "small": []}
        for n in range(args.rounds):
            results["big"].append(measure(url, db, users, BIG, big, "big", n))
            results["small"].append(measure(url, db, users, SMALL, small, "small", n))
        print(
            f"\nTeam performance page, server time (AppTest, median of {args.rounds}); "
            f"big = {args.links:,} links / {args.payments:,} payments, "
            f"small = {args.small_links:,} / {args.small_payments:,}"
        )
        print(f"{'':14}{'big':>10}{'small':>10}{'ratio':>8}")
        for key in ("cold", "new payment", "rerun"):
            b = statistics.median(r[key] for r in results["big"])
            s = statistics.median(r[key] for r in results["small"])
            print(f"{key:14}{b * 1000:>8.0f}ms{s * 1000:>8.0f}ms{b / s:>8.2f}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
