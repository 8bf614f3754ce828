"""Benchmark: `LinksPlusClient.list_links` against a plain sequential `requests` loop.

Seeds one sandbox team with 10,000 links, then times, alternating in one run, the client's
`list_links` (bounded concurrent paging, typed models) and a naive loop fetching the same
100-link pages one after another with `requests`. Prints both medians and their ratio
(target <= 0.6, never above 1.1).

    .venv/bin/python bench/client_list.py [--links 10000] [--rounds 7] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from linksplus import LinksPlusClient
from linksplus.devserver import ServerProcess, free_port

API_KEY = "skey_test_bench_key"
TEAM = 4242


def sequential_loop(url: str, team: int) -> list[dict]:
    """The baseline: one page after another, as a first script would do it."""
    items: list[dict] = []
    with requests.Session() as session:
        offset = 0
        while True:
            page = session.get(
                f"{url}/external/{team}/links",
                auth=(API_KEY, ""),
                params={"limit": 100, "offset": offset},
                timeout=30,
            ).json()
            items.extend(page["data"])
            offset += 100
            if offset >= page["total"]:
                return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkdtemp()) / "sandbox.log"
    with ServerProcess(
        ["sandbox", "--port", str(port), "--data", "empty", "--api-key", API_KEY],
        health_url=f"{url}/_sandbox/health",
        log_path=log,
    ):
        requests.post(
            f"{url}/_sandbox/teams/{TEAM}/links/seed", json={"count": args.links}, timeout=120
        ).raise_for_status()
        client = LinksPlusClient(API_KEY, base_url=url, max_concurrency=args.concurrency)
        assert len(client.list_links(TEAM)) == len(sequential_loop(url, TEAM)) == args.links

        client_times, loop_times = [], []
        for _ in range(args.rounds):
            started = time.perf_counter()
            client.list_links(TEAM)
            client_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            sequential_loop(url, TEAM)
            loop_times.append(time.perf_counter() - started)

    c, s = statistics.median(client_times), statistics.median(loop_times)
    pages = -(-args.links // 100)
    print(f"list_links, {args.links} links in {pages} pages, median of {args.rounds} rounds")
    print(f"  LinksPlusClient.list_links (concurrency {args.concurrency}): {c * 1000:8.1f} ms")
    print(f"  sequential requests loop (baseline):        {s * 1000:8.1f} ms")
    print(f"  ratio client / baseline: {c / s:.2f}  (target <= 0.6, never above 1.1)")


if __name__ == "__main__":
    main()
