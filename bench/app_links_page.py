"""Benchmark: the Links page (AppTest) for a team with 20,000 links, against a bare page.

Seeds a sandbox team with 20,000 links, then in one run times with AppTest:
  * the Links page's first load (a big team: its newest links, while all of them load),
    and the time until the whole table is shown, with the process's peak RSS,
  * a filter change on it (must be served from cache: the API calls are counted),
  * a bare page doing only ``st.dataframe(df)`` on the same 20,000-row frame.
Filter changes and bare-page runs alternate. Prints the medians and the ratio
filter-change / bare (target <= 1.5) and the number of
API requests made during the filter changes (target 0).

    .venv/bin/python bench/app_links_page.py [--links 20000] [--rounds 15]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness import logged_in_app, sandbox, seed_links, timed_run
from streamlit.testing.v1 import AppTest

from linksplus.client import LinksPlusClient
from linksplus.console.users import UserRecord, hash_password, save_users

API_KEY = "skey_test_bench_app_key"
TEAM = 101

BARE_PAGE = """
import pandas as pd
import streamlit as st

@st.cache_resource
def frame():
    return pd.read_pickle({path!r})

st.dataframe(frame())
"""


class RequestCounter:
    """Counts every call LinksPlusClient sends (the app runs in this process)."""

    def __init__(self) -> None:
        self.count = 0
        self._orig = LinksPlusClient._request

    def install(self) -> None:
        orig = self._orig
        counter = self

        def counted(client, *args, **kwargs):
            counter.count += 1
            return orig(client, *args, **kwargs)

        LinksPlusClient._request = counted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-app-"))
    with sandbox(tmp, API_KEY) as url:
        started = time.perf_counter()
        seed_links(url, TEAM, args.links)
        print(f"seeded {args.links:,} links in {time.perf_counter() - started:.1f} s")
        users = tmp / "users.yaml"
        save_users(
            users,
            [UserRecord("sales", "Sales", "", ["sales"], [TEAM], hash_password("bench-password"))],
        )
        counter = RequestCounter()
        counter.install()

        at = logged_in_app(url, API_KEY, users, f"sqlite:///{tmp}/events.db", timeout=120)
        at.query_params["view"] = "team"  # the team's links (a sales user lands on My links)
        started_app = time.perf_counter()
        first = timed_run(at)
        first_calls = counter.count
        rows = len(at.dataframe[-1].value)
        print(f"first load: {first * 1000:.0f} ms, {first_calls} API requests, {rows:,} rows")
        # A big team's first run shows its newest links while all of them load; the page
        # then reruns itself (every second) until they are in. Here: every 50 ms.
        while "links_table" not in {d.key for d in at.dataframe if d.key}:
            time.sleep(0.05)
            timed_run(at)
        whole = time.perf_counter() - started_app
        print(
            f"whole table: {whole * 1000:.0f} ms after the first run began, "
            f"{counter.count} API requests; peak RSS "
            f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        )

        # The bare page gets the same 20,000-row frame the Links page shows unfiltered.
        frame_path = tmp / "frame.pkl"
        at_frame = at.dataframe(key="links_table").value
        at_frame.to_pickle(frame_path)
        page = tmp / "bare_page.py"
        page.write_text(BARE_PAGE.format(path=str(frame_path)))
        bare = AppTest.from_file(str(page), default_timeout=120)
        timed_run(bare)  # warm the cache_resource read

        # Filter changes: a status filter (keeps about a quarter of the rows) alternating
        # with none (all 20,000 rows back), so every run really changes the table. Each is
        # followed by a bare-page run, so both see the same machine at the same moment.
        counter.count = 0
        filter_times, bare_times = [], []
        for i in range(args.rounds * 2):
            at.multiselect(key="lf_status").set_value(["active"] if i % 2 == 0 else [])
            filter_times.append(timed_run(at))
            bare_times.append(timed_run(bare))
        filter_calls = counter.count

        f_med = statistics.median(filter_times)
        b_med = statistics.median(bare_times)
        print(
            f"filter change (median of {len(filter_times)}): {f_med * 1000:.0f} ms "
            f"(max {max(filter_times) * 1000:.0f} ms)"
        )
        print(
            f"bare st.dataframe page, {len(at_frame):,} rows (median of {len(bare_times)}): "
            f"{b_med * 1000:.0f} ms"
        )
        print(f"ratio filter change / bare: {f_med / b_med:.2f}  (target <= 1.5)")
        print(f"API requests during the filter changes: {filter_calls}  (target 0)")
        return 0 if f_med / b_med <= 1.5 and filter_calls == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
