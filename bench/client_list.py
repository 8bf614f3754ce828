"""Benchmark: `LinksPlusClient.list_links` against a plain sequential `requests` loop, with
the service tens of milliseconds away as the real one is, and on localhost.

Seeds one sandbox team with 10,000 links, then, with the sandbox's injected latency at
40 ms per request and again at 0 ms, times (alternating, in one run) the client's
`list_links` with its default concurrency (bounded concurrent paging, typed models) and a
naive loop fetching the same 100-link pages one after another with `requests`. Prints the
medians side by side and their ratios. Targets: at most 0.2 of the loop's time at 40 ms
(where users feel it), at most 1.0 at 0 ms (the client's own cost never loses).

    .venv/bin/python bench/client_list.py [--links 10000] [--latency-ms 40]
        [--rounds-slow 3] [--rounds-fast 7] [--concurrency N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from linksplus import LinksPlusClient
from linksplus.client import DEFAULT_CONCURRENCY
from linksplus.devserver import ServerProcess, free_port

API_KEY = "skey_test_bench_key"
TEAM = 4242
TARGETS = {"slow": 0.2, "fast": 1.0}


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


def timed_medians(
    rounds: int, client_run: Callable[[], object], loop_run: Callable[[], object]
) -> tuple[float, float]:
    """Median seconds of each, alternating them so that drift hits both alike."""
    client_times, loop_times = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        client_run()
        client_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        loop_run()
        loop_times.append(time.perf_counter() - started)
    return statistics.median(client_times), statistics.median(loop_times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=int, default=40)
    parser.add_argument("--rounds-slow", type=int, default=3)
    parser.add_argument("--rounds-fast", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    args = parser.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkdtemp()) / "sandbox.log"
    results: dict[str, tuple[float, float]] = {}
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
        for name, latency, rounds in (
            ("slow", args.latency_ms, args.rounds_slow),
            ("fast", 0, args.rounds_fast),
        ):
            requests.post(
                f"{url}/_sandbox/faults", json={"latency_ms": latency}, timeout=10
            ).raise_for_status()
            results[name] = timed_medians(
                rounds, lambda: client.list_links(TEAM), lambda: sequential_loop(url, TEAM)
            )

    pages = -(-args.links // 100)
    print(f"list_links, {args.links} links in {pages} pages; medians, alternating in one run")
    print(
        f"  {'sandbox latency':<18}{'client (conc. ' + str(args.concurrency) + ')':>20}"
        f"{'sequential loop':>18}{'ratio':>8}{'target':>9}"
    )
    for name, latency in (("slow", args.latency_ms), ("fast", 0)):
        c, s = results[name]
        verdict = "ok" if c / s <= TARGETS[name] else "MISSED"
        print(
            f"  {str(latency) + ' ms per request':<18}{c * 1000:>17.0f} ms{s * 1000:>15.0f} ms"
            f"{c / s:>8.2f}{'<= ' + str(TARGETS[name]):>9}  {verdict}"
        )


if __name__ == "__main__":
    main()
