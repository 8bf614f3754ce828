"""Benchmark: reconciliation of a team of 20,000 links beside the Links page's first load.

Seeds a sandbox team with 20,000 links, pays a share of them (their links become used) with
a matching event log (each payment recorded as its webhook would, a few left out and a few
with another amount, so there are differences to find), then injects 40 ms of latency per
request as bench/client_list.py does and times, alternating in one run:
  * the Links page's first load (AppTest of app.py with every cache cleared: API fetch,
    frame build, render), the budget the issue sets;
  * `reconcile.reconcile` of the team (links through the client's paging, the log's
    payments of those links, the comparison, the result stored).
Prints the medians side by side and the ratio reconciliation / first load (target <= 1.0).

    .venv/bin/python bench/reconcile.py [--links 20000] [--paid 4000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import streamlit as st
from harness import logged_in_app, sandbox, seed_links, timed_run

from linksplus.client import LinksPlusClient
from linksplus.console import reconcile
from linksplus.console.users import UserRecord, hash_password, save_users
from linksplus.eventlog import EventLog
from linksplus.sandbox.controls_client import SandboxControls

API_KEY = "skey_test_bench_reconcile_key"
TEAM = 101
MISSED, OTHER_AMOUNT = 10, 10  # differences planted among the paid links


def pay_and_log(url: str, log: EventLog, client: LinksPlusClient, paid: int) -> None:
    """Pay `paid` links in the sandbox; record each payment's webhook in the log, except
    MISSED of them, and OTHER_AMOUNT of them with an amount one unit less."""
    links = client.list_links(TEAM)[:paid]

    def one(i: int) -> None:
        link = links[i]
        with requests.Session() as session:
            payment = session.post(f"{url}/_sandbox/links/{link.id}/payments", json={}, timeout=30)
        payment.raise_for_status()
        body = payment.json()
        if i < MISSED:
            return
        amount = body["amount"] - (1 if i < MISSED + OTHER_AMOUNT else 0)
        log.record(
            {
                "event": "payment.completed",
                "link_id": link.id,
                "payment": {
                    "id": body["id"],
                    "amount": amount,
                    "currency": body["currency"],
                    "status": "successful",
                },
                "timestamp": body["created_at"],
            }
        )

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, range(len(links))))


def first_load(url: str, users: Path, eventlog_url: str) -> float:
    """The Links page's first load, every cache cleared first: until the team's whole table
    is shown (a big team's first run shows its newest links while the rest load)."""
    st.cache_data.clear()
    st.cache_resource.clear()
    at = logged_in_app(url, API_KEY, users, eventlog_url)
    at.query_params["view"] = "team"  # the team's links (a sales user lands on My links)
    started = time.perf_counter()
    timed_run(at)
    while "links_table" not in {d.key for d in at.dataframe if d.key}:
        time.sleep(0.05)
        timed_run(at)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=20_000)
    parser.add_argument("--paid", type=int, default=4_000)
    parser.add_argument("--latency-ms", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-reconcile-"))
    with sandbox(tmp, API_KEY) as url:
        eventlog_url = f"sqlite:///{tmp}/events.db"
        client = LinksPlusClient(API_KEY, base_url=url)
        started = time.perf_counter()
        seed_links(url, TEAM, args.links)
        with EventLog(eventlog_url) as log:
            pay_and_log(url, log, client, args.paid)
        print(
            f"seeded {args.links:,} links, paid {args.paid:,} (logged {log_count(eventlog_url):,})"
            f" in {time.perf_counter() - started:.1f} s"
        )
        users = tmp / "users.yaml"
        save_users(
            users,
            [UserRecord("sales", "Sales", "", ["sales"], [TEAM], hash_password("bench-password"))],
        )
        SandboxControls(url).call("POST", "/faults", json={"latency_ms": args.latency_ms})

        page_times, check_times = [], []
        with EventLog(eventlog_url) as log:
            for _ in range(args.rounds):
                page_times.append(first_load(url, users, eventlog_url))
                started = time.perf_counter()
                result = reconcile.reconcile(client, log, [TEAM], checked_by="bench")
                check_times.append(time.perf_counter() - started)
        expected = MISSED + OTHER_AMOUNT
        assert result.total == expected, f"found {result.total} differences, planted {expected}"

        page, check = statistics.median(page_times), statistics.median(check_times)
        print(
            f"team of {args.links:,} links, {args.latency_ms} ms per request; medians of "
            f"{args.rounds}, alternating in one run"
        )
        print(f"  Links page first load:   {page * 1000:>8.0f} ms")
        print(
            f"  reconciliation:          {check * 1000:>8.0f} ms  ({result.links:,} links, "
            f"{result.payments:,} payments, {result.total} differences found)"
        )
        ratio = check / page
        print(f"  ratio reconciliation / first load: {ratio:.2f}  (target <= 1.0)")
        return 0 if ratio <= 1.0 else 1


def log_count(url: str) -> int:
    with EventLog(url) as log:
        return log.count()


if __name__ == "__main__":
    sys.exit(main())
