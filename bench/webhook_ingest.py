"""Webhook ingest benchmark: events/s of the receiver against a no-op on the same stack.

Starts two servers as subprocesses with the same uvicorn settings (`receiver.run`): the real
receiver (``linksplus webhooks``, SQLite in a temporary folder, signatures checked) and a
no-op app that reads the body and answers 200. One load generator sends the same signed
events to each over keep-alive connections and prints events/s and the ratio
(target: receiver >= 0.5 x no-op), and each server's CPU time per event: for the receiver,
its own and its worker process's together.

    .venv/bin/python bench/webhook_ingest.py [--events 5000] [--concurrency 20] [--db URL]

The load generator speaks minimal HTTP/1.1 over asyncio streams: general-purpose Python
clients (httpx, requests) top out near 1,000 requests/s here and would measure themselves.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from linksplus.devserver import ServerProcess, free_port
from linksplus.webhooks.receiver import WEBHOOK_PATH, run
from linksplus.webhooks.signing import generate_secret, sign_headers

TARGET_RATIO = 0.5


def noop_app():
    """The baseline: same framework and server, reads the body, stores nothing."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def noop(request):
        await request.body()
        return Response(b'{"status":"accepted"}', media_type="application/json")

    return Starlette(
        routes=[
            Route(WEBHOOK_PATH, noop, methods=["POST"]),
            Route("/healthz", noop, methods=["GET"]),
        ]
    )


def payloads(count: int, prefix: str) -> list[bytes]:
    """`count` distinct events in two currencies, as JSON bodies."""
    return [
        json.dumps(
            {
                "event": "payment.completed",
                "link_id": 1000 + i % 50,
                "payment": {
                    "id": f"chrg_{prefix}_{i:07d}",
                    "amount": 10_000 + i,
                    "currency": "thb" if i % 3 else "jpy",
                    "status": "successful" if i % 10 else "failed",
                },
                "timestamp": "2026-02-14T10:35:00Z",
            }
        ).encode()
        for i in range(count)
    ]


def http_requests(port: int, bodies: list[bytes], secret: str) -> list[bytes]:
    """Complete signed HTTP/1.1 requests, built before the clock starts."""
    out = []
    for body in bodies:
        headers = {
            "Host": f"127.0.0.1:{port}",
            "Content-Type": "application/json",
            "Content-Length": str(len(body)),
            **sign_headers(body, secret),
        }
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        out.append(f"POST {WEBHOOK_PATH} HTTP/1.1\r\n{head}\r\n".encode() + body)
    return out


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def _load(port: int, requests: list[bytes], concurrency: int) -> tuple[float, dict]:
    todo = iter(requests)
    answers: dict[str, int] = {}

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for request in todo:
                writer.write(request)
                status, body = await _read_response(reader)
                key = f"{status} {body.decode()}"
                answers[key] = answers.get(key, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return time.perf_counter() - started, answers


def _process_tree(pid: int) -> list[int]:
    """`pid` and every process below it (the receiver's worker is a child)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(child) for child in children.read_text().split())
    return found


def cpu_seconds(pid: int) -> tuple[float, float] | None:
    """User + system CPU time (all threads) of process `pid`, and of the processes below
    it together; None off Linux."""
    own = below = 0.0
    for member in _process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            if member == pid:
                return None
            continue  # a child that just exited
        seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        if member == pid:
            own = seconds
        else:
            below += seconds
    return own, below


def measure(
    port: int, bodies: list[bytes], secret: str, concurrency: int, pid: int | None = None
) -> tuple[float, dict, tuple[float, float] | None]:
    """Events/s for `bodies` sent to the server on `port`, what it answered, and the
    server's CPU µs per event, its own and its children's (when its `pid` is given and
    /proc can tell)."""
    requests = http_requests(port, bodies, secret)
    before = cpu_seconds(pid) if pid else None
    elapsed, answers = asyncio.run(_load(port, requests, concurrency))
    after = cpu_seconds(pid) if pid else None
    cpu = None
    if before is not None and after is not None:
        cpu = tuple((a - b) / len(bodies) * 1e6 for a, b in zip(after, before, strict=True))
    return len(bodies) / elapsed, answers, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000, help="events per measured run")
    parser.add_argument("--concurrency", type=int, default=20, help="keep-alive clients")
    parser.add_argument(
        "--rounds",
        type=int,
        default=9,
        help="measured runs per server, alternating; medians are reported",
    )
    parser.add_argument("--warmup", type=int, default=500, help="unmeasured events first")
    parser.add_argument("--db", help="event-log URL (default: SQLite in a temporary folder)")
    parser.add_argument("--strict", action="store_true", help="exit 1 below the target")
    parser.add_argument("--serve-noop", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve_noop:  # the child process of the baseline
        run(noop_app(), "127.0.0.1", args.serve_noop)
        return 0

    secret = generate_secret()
    with tempfile.TemporaryDirectory(prefix="webhook-bench-") as tmp:
        db_url = args.db or f"sqlite:///{tmp}/events.db"
        r_port, n_port = free_port(), free_port()
        receiver = ServerProcess(
            ["webhooks", "--port", str(r_port), "--db", db_url, "--secret", secret],
            health_url=f"http://127.0.0.1:{r_port}/healthz",
            log_path=Path(tmp) / "receiver.log",
        )
        noop = ServerProcess(
            [sys.executable, __file__, "--serve-noop", str(n_port)],
            python_module=False,
            health_url=f"http://127.0.0.1:{n_port}/healthz",
            log_path=Path(tmp) / "noop.log",
        )
        with receiver, noop:
            for port in (r_port, n_port):
                measure(port, payloads(args.warmup, f"warm{port}"), secret, args.concurrency)
            rates: dict[str, list[float]] = {"receiver": [], "no-op": []}
            cpus: dict[str, list[tuple]] = {"receiver": [], "no-op": []}
            servers = (("no-op", n_port, noop), ("receiver", r_port, receiver))
            for round_no in range(args.rounds):
                bodies = payloads(args.events, f"r{round_no}")
                for name, port, server in servers:
                    rate, answers, cpu = measure(
                        port,
                        bodies,
                        secret,
                        args.concurrency,
                        server.proc.pid if server.proc else None,
                    )
                    rates[name].append(rate)
                    if cpu is not None:
                        cpus[name].append(cpu)
                    if name == "receiver" and answers != {'200 {"status":"accepted"}': args.events}:
                        print(f"unexpected answers from the receiver: {answers}")
                        return 1
        receiver_rate = statistics.median(rates["receiver"])
        noop_rate = statistics.median(rates["no-op"])

    # The machine is shared: compare runs made back to back, then take the median ratio.
    ratio = statistics.median(r / n for r, n in zip(rates["receiver"], rates["no-op"], strict=True))
    backend = make_url(args.db).get_backend_name() if args.db else "sqlite (temporary file)"
    print(
        f"webhook ingest: {args.events} signed events x {args.rounds} rounds, "
        f"{args.concurrency} keep-alive clients, event log: {backend}"
    )
    for name, rate in (("no-op endpoint", noop_rate), ("receiver", receiver_rate)):
        key = "no-op" if name.startswith("no-op") else "receiver"
        cpu = ""
        if cpus[key]:
            below = statistics.median(c[1] for c in cpus[key])
            cpu = f", server CPU {statistics.median(sum(c) for c in cpus[key]):.0f} µs/event" + (
                f", {below:.0f} of it in its worker" if below >= 0.5 else ""
            )
        print(
            f"  {name:15s}: {rate:8.0f} events/s  "
            f"(runs: {', '.join(f'{r:.0f}' for r in rates[key])}{cpu})"
        )
    verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
    print(
        f"  ratio          : {ratio:8.2f}  (median of the back-to-back pairs; target >= "
        f"{TARGET_RATIO}: {verdict})"
    )
    return 1 if args.strict and ratio < TARGET_RATIO else 0


if __name__ == "__main__":
    sys.exit(main())
