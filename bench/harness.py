"""What the app benches share: a sandbox of their own, a team seeded with links, the app in
AppTest with a user already logged in, and a timed run of it."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
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


def timed_run(at) -> float:
    """Seconds one run of `at` takes; an exception in the app stops the bench."""
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    return elapsed
