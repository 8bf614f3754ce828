"""`linksplus demo`: the whole product on one machine, wired together.

Starts the webhook receiver (SQLite event log in the data folder), the sandbox with demo
data (signing its webhooks to the receiver), replays the sandbox's 90 days of payments as
webhooks so reports have history from the first start, writes the demo users file and
starts the Streamlit app. Ctrl-C stops all of it.
"""

from __future__ import annotations

import os
import random
import secrets
import signal
import sys
import time
from pathlib import Path

from linksplus.client import LinksPlusClient
from linksplus.devserver import ServerProcess, port_in_use
from linksplus.errors import LinksPlusError
from linksplus.sandbox.controls_client import SandboxControls
from linksplus.simulate import simulate_payment
from linksplus.webhooks.signing import generate_secret

APP_FILE = Path(__file__).resolve().parent.parent / "app.py"


def app_file() -> Path | None:
    """The app's entrypoint: beside the package in a checkout, else in the current folder
    (an installed package, `pip install .`, is run from the project folder)."""
    for candidate in (APP_FILE, Path.cwd() / "app.py"):
        if candidate.is_file():
            return candidate
    return None


LIVE_INTERVAL_SECONDS = 4.0


def demo_users(password_hash: str) -> list:
    """The three demo users: one per role."""
    from linksplus.console.users import UserRecord

    return [
        UserRecord(
            username="sales",
            name="Somchai (Sales)",
            email="sales@example.com",
            roles=["sales"],
            teams=[101],
            password_hash=password_hash,
        ),
        UserRecord(
            username="manager",
            name="Malee (Manager)",
            email="manager@example.com",
            roles=["manager"],
            teams=[101, 102],
            password_hash=password_hash,
        ),
        UserRecord(
            username="admin",
            name="Arun (Admin)",
            email="admin@example.com",
            roles=["admin"],
            teams="*",
            password_hash=password_hash,
        ),
    ]


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class ServerStopped(RuntimeError):
    """One of the demo's servers stopped after the demo had started."""

    def __init__(self, name: str, server: ServerProcess):
        self.name, self.server = name, server
        tail = "\n".join(f"    {line}" for line in server.log_tail())
        super().__init__(
            f"The demo stopped: the {name} {server.exit_reason()}.\n"
            f"  The last lines of its log ({server.log_path}):\n{tail or '    (empty)'}"
        )


def _say(text: str) -> None:
    print(text, flush=True)


def run_demo(
    *,
    app_port: int = 8501,
    api_port: int = 8765,
    webhook_port: int = 8766,
    live: bool = False,
    data_dir: str | Path = ".linksplus/demo",
    host: str = "127.0.0.1",
) -> int:
    """Run the demo until interrupted; the exit code."""
    from linksplus.console.users import hash_password, save_users

    busy = [
        f"{name} port {port}"
        for name, port in (("app", app_port), ("API", api_port), ("webhook", webhook_port))
        if port_in_use(port, host)
    ]
    if busy:
        verb = "is" if len(busy) == 1 else "are"
        _say(
            f"Cannot start the demo: the {' and '.join(busy)} {verb} already in use (another demo "
            "running?). Stop it, or choose other ports with --app-port, --api-port and "
            "--webhook-port."
        )
        return 1
    app_path = app_file()
    if app_path is None:
        _say(
            "Cannot start the demo: app.py was not found. Run `linksplus demo` from the "
            "Links+ Console folder (the one with app.py and pages/)."
        )
        return 1
    # SIGTERM (a service manager, `timeout`, a test) stops the demo like Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    data = Path(data_dir).resolve()
    data.mkdir(parents=True, exist_ok=True)
    # The sandbox's demo payments get new ids each start, so the event log starts afresh
    # with them instead of counting a previous run's history twice.
    for leftover in data.glob("events.db*"):
        leftover.unlink()
    logs = data / "logs"
    api_key = "skey_test_" + secrets.token_hex(12)
    webhook_secret = generate_secret()
    password = os.environ.get("LINKSPLUS_DEMO_PASSWORD") or secrets.token_urlsafe(9)
    users_file = data / "users.yaml"
    save_users(users_file, demo_users(hash_password(password)))

    api_url = f"http://{host}:{api_port}"
    receiver_url = f"http://{host}:{webhook_port}"
    eventlog_url = f"sqlite:///{data / 'events.db'}"
    # Secrets travel in the environment, not on command lines other users can read.
    secret_env = {"LINKSPLUS_SANDBOX_API_KEY": api_key, "LINKSPLUS_WEBHOOK_SECRET": webhook_secret}
    receiver = ServerProcess(
        ["webhooks", "--host", host, "--port", str(webhook_port), "--db", eventlog_url],
        health_url=f"{receiver_url}/healthz",
        env=secret_env,
        log_path=logs / "receiver.log",
    )
    sandbox = ServerProcess(
        [
            "sandbox",
            "--host",
            host,
            "--port",
            str(api_port),
            "--data",
            "demo",
            "--webhook-url",
            f"{receiver_url}/webhooks/linksplus",
        ],
        health_url=SandboxControls(api_url).health_url,
        env=secret_env,
        log_path=logs / "sandbox.log",
    )
    app_env = {
        "LINKSPLUS_API_BASE_URL": api_url,
        "LINKSPLUS_API_KEY": api_key,
        "LINKSPLUS_API_AUTH": "raw",
        "LINKSPLUS_EVENTLOG_URL": eventlog_url,
        "LINKSPLUS_SANDBOX_URL": api_url,
        "LINKSPLUS_USERS_FILE": str(users_file),
        "LINKSPLUS_COOKIE_KEY": secrets.token_urlsafe(32),
    }
    app = ServerProcess(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(app_path),
            "--server.address",
            host,
            "--server.port",
            str(app_port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        python_module=False,
        health_url=f"http://{host}:{app_port}/_stcore/health",
        env=app_env,
        log_path=logs / "app.log",
        timeout=60,
    )

    started: dict[str, ServerProcess] = {}
    try:
        for name, proc in (("webhook receiver", receiver), ("sandbox", sandbox)):
            _say(f"Starting the {name}…")
            started[name] = proc.start()
        _say("Sending 90 days of demo payments to the receiver…")
        sent = SandboxControls(api_url, timeout=300).replay_webhooks()
        _say(f"  {sent} payment events delivered.")
        _say("Starting the app…")
        started["app"] = app.start()
        _banner(app_port, api_url, receiver_url, host, password, logs, live)
        _keep_running(started, LinksPlusClient(api_key, base_url=api_url), api_url, live)
    except KeyboardInterrupt:
        _say("\nStopping…")
    except ServerStopped as exc:
        _say(str(exc))
        _say("Stopping the rest of the demo…")
        return 1
    except RuntimeError as exc:
        _say(f"The demo could not start: {exc}")
        return 1
    finally:
        for proc in reversed(started.values()):
            proc.stop()
    return 0


def _banner(
    app_port: int, api_url: str, receiver_url: str, host: str, password: str, logs: Path, live: bool
) -> None:
    _say(f"""
Links+ Console demo is running.

  App               http://{host}:{app_port}
  Links+ sandbox    {api_url}   (API docs at {api_url}/docs)
  Webhook receiver  {receiver_url}/webhooks/linksplus
  Logs              {logs}

  Sign in as one of these users, all with the password: {password}
    sales     Sales, team Bangkok Retail
    manager   Manager, teams Bangkok Retail and Online Sales
    admin     Admin, all teams, plus Webhook log and Settings
{"  A payment is simulated every few seconds (--live)." if live else ""}
Press Ctrl-C to stop.""")


def _keep_running(
    servers: dict[str, ServerProcess], client: LinksPlusClient, api_url: str, live: bool
) -> None:
    """Wait for Ctrl-C; with `live`, simulate a payment every few seconds meanwhile.
    ServerStopped when one of the `servers` (by name) stops."""
    rng = random.Random()
    active: list = []
    next_payment = time.monotonic() + LIVE_INTERVAL_SECONDS
    while True:
        time.sleep(1.0)
        for name, server in servers.items():
            if server.exit_reason() is not None:
                raise ServerStopped(name, server)
        if not live or time.monotonic() < next_payment:
            continue
        next_payment += LIVE_INTERVAL_SECONDS
        try:
            if not active:  # refreshed only when used up: single-use links leave it as paid
                active = [link for link in client.list_all_links() if link.status == "active"]
            if active:
                link = rng.choice(active)
                status = "successful" if rng.random() < 0.85 else "failed"
                simulate_payment(api_url, link.id, status=status)
                if status == "successful" and not link.multiple_usage:
                    active.remove(link)
        except LinksPlusError as exc:
            active = []
            _say(f"(live payment skipped: {exc})")
