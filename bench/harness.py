"""What the app benches share: a sandbox of their own, a team seeded with links, payments
written to an event log through the product's write path, the app in AppTest with a user
already logged in, and a timed run of it."""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from linksplus.devserver import ServerProcess, free_port  # noqa: E402
from linksplus.sandbox.controls_client import SandboxControls  # noqa: E402

COOKIE_KEY = "bench-cookie-key-0123456789abcdef"
SEED_CHUNK = 5000  # links the sandbox seeds per request


@contextmanager
def sandbox(tmp: Path, api_key: str) -> Iterator[str]:
    """An empty sandbox on a free port for the bench's run; yields its base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = ServerProcess(
        ["sandbox", "--port", str(port), "--api-key", api_key, "--data", "empty"],
        health_url=SandboxControls(url).health_url,
        log_path=tmp / "sandbox.log",
    ).start()
    try:
        yield url
    finally:
        server.stop()


def seed_links(url: str, team: int, count: int) -> None:
    """`count` links in `team`, made by the sandbox in chunks."""
    controls = SandboxControls(url, timeout=300)
    left = count
    while left > 0:
        n = min(left, SEED_CHUNK)
        controls.call("POST", f"/teams/{team}/links/seed", json={"count": n})
        left -= n


def logged_in_app(
    url: str,
    api_key: str,
    users: Path,
    eventlog_url: str,
    *,
    username: str = "sales",
    role: str = "sales",
    timeout: float = 300,
):
    """The whole app (app.py) in AppTest against the sandbox at `url`, `username` (with
    `role`) already logged in."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.secrets["linksplus"] = {
        "api_base_url": url,
        "api_key": api_key,
        "users_file": str(users),
        "cookie_key": COOKIE_KEY,
        "eventlog_url": eventlog_url,
    }
    for key, value in {
        "authentication_status": True,
        "username": username,
        "name": username.title(),
        "roles": [role],
    }.items():
        at.session_state[key] = value
    return at


def write_payments(db: str, payments: Iterable[tuple], batch: int) -> float:
    """Writes `payments`, (link_id, payment_id, amount, currency, status, when) each, to the
    event log at `db` as ``payment.completed`` webhooks would be (the receiver's worker's
    group-commit writer and bulk statements, without HTTP), `batch` per transaction;
    seconds taken."""
    from concurrent.futures import Future

    from linksplus.eventlog.engine import backend_name, make_engine
    from linksplus.eventlog.ingest import BulkWriter, EventWrite
    from linksplus.eventlog.schema import SchemaOnce
    from linksplus.eventlog.writer import GroupCommitWriter

    engine = make_engine(db)
    writer = GroupCommitWriter(
        engine, BulkWriter(backend_name(db)).apply, prepare=SchemaOnce(engine)
    )
    started = time.perf_counter()
    rows = iter(payments)
    while chunk := list(itertools.islice(rows, batch)):
        writes = []
        for link, pid, amount, currency, status, when in chunk:
            payload = (
                f'{{"event":"payment.completed","link_id":{link},"payment":{{"id":"{pid}",'
                f'"amount":{amount},"currency":"{currency}","status":"{status}"}}}}'
            )
            row = ("payment.completed", link, pid, amount, currency, status, when, when)
            writes.append(EventWrite((*row, payload, "10.0.0.1")))
        future: Future = Future()
        writer.write_batch([(writes, future)])
        if isinstance(future.result()[0], BaseException):
            raise future.result()[0]
    writer.close()
    engine.dispose()
    return time.perf_counter() - started


def timed_run(at) -> float:
    """Seconds one run of `at` takes; an exception in the app stops the bench."""
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    return elapsed
