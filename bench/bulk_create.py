"""Benchmark: a bulk upload's creates (`run_upload`, bounded concurrency, every outcome
stored) against the same rows created one by one in a loop, with the sandbox 40 ms away.

Starts a sandbox, makes a template, stores an upload of `--rows` rows in a throw-away
SQLite workspace, then times `run_upload` (default 8 at once) and a plain loop calling
`LinksPlusClient.create_link` for the same rows (a second upload's names), both against
the sandbox with `--latency-ms` of injected latency per request. Prints rows per second
and the ratio of the times. Target: at most 0.25 of the loop's time.

    .venv/bin/python bench/bulk_create.py [--rows 1000] [--latency-ms 40] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from linksplus import LinksPlusClient
from linksplus.console.bulk_run import CONCURRENCY, run_upload
from linksplus.devserver import ServerProcess, free_port
from linksplus.workspace import RowParams, Workspace
from linksplus.workspace.store import upload_id_for

API_KEY = "skey_test_bench_key"
TEAM = 4343
TARGET = 0.25


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    args = parser.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    folder = Path(tempfile.mkdtemp())
    with ServerProcess(
        ["sandbox", "--port", str(port), "--data", "empty", "--api-key", API_KEY],
        health_url=f"{url}/_sandbox/health",
        log_path=folder / "sandbox.log",
    ):
        template = requests.post(
            f"{url}/_sandbox/teams/{TEAM}/templates", json={"name": "Bench"}, timeout=10
        ).json()["id"]
        requests.post(
            f"{url}/_sandbox/faults", json={"latency_ms": args.latency_ms}, timeout=10
        ).raise_for_status()
        client = LinksPlusClient(API_KEY, base_url=url, max_concurrency=args.concurrency)
        ws = Workspace(f"sqlite:///{folder}/workspace.db")

        def rows(tag: str) -> list[RowParams]:
            return [
                RowParams(n + 2, f"{tag} {n + 2}", 10_000 + n, "thb", template)
                for n in range(args.rows)
            ]

        upload = upload_id_for(b"bench", "bench")
        ws.start_upload(upload, username="bench", team_id=TEAM, filename="b.csv", rows=rows("B"))
        started = time.perf_counter()
        result = run_upload(
            ws, client, upload, username="bench", team_id=TEAM, concurrency=args.concurrency
        )
        bulk = time.perf_counter() - started
        assert result.done == args.rows and result.error is None, result

        started = time.perf_counter()
        for p in rows("L"):
            client.create_link(
                template_id=p.template_id,
                team_id=TEAM,
                name=p.name,
                amount=p.amount,
                currency=p.currency,
                multiple_usage=p.multiple_usage,
            )
        loop = time.perf_counter() - started
        assert len(client.list_links(TEAM)) == 2 * args.rows  # each row made once

    ratio = bulk / loop
    print(
        f"bulk create, {args.rows} rows, sandbox latency {args.latency_ms} ms per request "
        "(one run each)"
    )
    print(f"  {'':<34}{'time':>10}{'rows/s':>10}")
    print(
        f"  {'run_upload (' + str(args.concurrency) + ' at once, stored)':<34}"
        f"{bulk:>9.1f}s{args.rows / bulk:>10.1f}"
    )
    print(f"  {'create_link one by one in a loop':<34}{loop:>9.1f}s{args.rows / loop:>10.1f}")
    verdict = "ok" if ratio <= TARGET else "MISSED"
    print(f"  ratio {ratio:.2f} (target <= {TARGET})  {verdict}")


if __name__ == "__main__":
    main()
