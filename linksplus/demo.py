"""`linksplus demo`: the whole product on one machine, wired together.

Starts the webhook receiver (SQLite event log in the data folder), the sandbox with demo
data (signing its webhooks to the receiver), replays the sandbox's 90 days of payments as
webhooks so reports have history from the first start, writes the demo users file and
starts the Streamlit app, then a notifier (paid-link alerts) with a mail server of the
demo's own that saves each alert in the data folder's ``mail/`` and prints it. Ctrl-C stops
all of it.
"""

from __future__ import annotations

import os
import random
import re
import secrets
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy import select

from linksplus.client import LinksPlusClient
from linksplus.config import Settings
from linksplus.console.users import UserRecord, hash_password, save_users
from linksplus.devserver import ServerProcess, free_port, port_in_use
from linksplus.errors import LinksPlusError
from linksplus.eventlog.schema import events
from linksplus.notify.digest import DigestPrefs, save_digest_prefs
from linksplus.sandbox.controls_client import SandboxControls
from linksplus.simulate import simulate_payment
from linksplus.webhooks.signing import generate_secret
from linksplus.workspace.customers import Customer, save_customer
from linksplus.workspace.reminders import LinkReminder, set_link_reminder

APP_FILE = Path(__file__).resolve().parent.parent / "app.py"


def app_file() -> Path | None:
    """The app's entrypoint: beside the package in a checkout, else in the current folder
    (an installed package, `pip install .`, is run from the project folder)."""
    for candidate in (APP_FILE, Path.cwd() / "app.py"):
        if candidate.is_file():
            return candidate
    return None


LIVE_INTERVAL_SECONDS = 4.0
DEMO_MAIL_FROM = "Links+ Console <alerts@example.com>"


def demo_users(password_hash: str) -> list:
    """The three demo users: one per role."""
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
    problem = _cannot_start(host, app_port, api_port, webhook_port)
    app_path = app_file()
    if problem is None and app_path is None:
        problem = (
            "app.py was not found. Run `linksplus demo` from the Links+ Console folder (the "
            "one with app.py and pages/)."
        )
    if problem is not None or app_path is None:
        _say(f"Cannot start the demo: {problem}")
        return 1
    # SIGTERM (a service manager, `timeout`, a test) stops the demo like Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    plan = DemoPlan(host, app_port, api_port, webhook_port, _fresh_data_folder(data_dir))
    password = _write_users(plan.users_file)
    servers = {
        "webhook receiver": _receiver(plan),
        "sandbox": _sandbox(plan),
        "app": _app(plan, app_path),
    }
    return _run(plan, servers, password, live)


def _cannot_start(host: str, app_port: int, api_port: int, webhook_port: int) -> str | None:
    """Why the demo cannot listen where it was asked to (ports in use), or None."""
    busy = [
        f"{name} port {port}"
        for name, port in (("app", app_port), ("API", api_port), ("webhook", webhook_port))
        if port_in_use(port, host)
    ]
    if not busy:
        return None
    verb = "is" if len(busy) == 1 else "are"
    return (
        f"the {' and '.join(busy)} {verb} already in use (another demo running?). Stop it, or "
        "choose other ports with --app-port, --api-port and --webhook-port."
    )


@dataclass(frozen=True)
class DemoPlan:
    """Where the demo's three servers listen, the folder they keep their files in, and the
    key and webhook secret they share (new for each run)."""

    host: str
    app_port: int
    api_port: int
    webhook_port: int
    data: Path
    api_key: str = field(default_factory=lambda: "skey_test_" + secrets.token_hex(12))
    webhook_secret: str = field(default_factory=generate_secret)
    smtp_port: int = field(default_factory=free_port)  # the demo's own mail server
    # Shared by the app and the demo's notifier: a reminder's unsubscribe address is signed
    # with it, and the app's page checks it.
    cookie_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    @property
    def smtp_url(self) -> str:
        return f"smtp://{self.host}:{self.smtp_port}"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def receiver_url(self) -> str:
        return f"http://{self.host}:{self.webhook_port}"

    @property
    def eventlog_url(self) -> str:
        return f"sqlite:///{self.data / 'events.db'}"

    @property
    def logs(self) -> Path:
        return self.data / "logs"

    @property
    def users_file(self) -> Path:
        return self.data / "users.yaml"

    @property
    def mail(self) -> Path:
        return self.data / "mail"

    @property
    def secret_env(self) -> dict[str, str]:
        # Secrets travel in the environment, not on command lines other users can read.
        return {
            "LINKSPLUS_SANDBOX_API_KEY": self.api_key,
            "LINKSPLUS_WEBHOOK_SECRET": self.webhook_secret,
        }


def _fresh_data_folder(data_dir: str | Path) -> Path:
    """The data folder, made if missing, without a previous run's event log: the sandbox's
    demo payments get new ids each start, so the log starts afresh with them instead of
    counting a previous run's history twice."""
    data = Path(data_dir).resolve()
    data.mkdir(parents=True, exist_ok=True)
    for leftover in data.glob("events.db*"):
        leftover.unlink()
    return data


def _write_users(users_file: Path) -> str:
    """Write the demo users file; their password (LINKSPLUS_DEMO_PASSWORD, else a new one)."""
    password = os.environ.get("LINKSPLUS_DEMO_PASSWORD") or secrets.token_urlsafe(9)
    save_users(users_file, demo_users(hash_password(password)))
    return password


def _receiver(plan: DemoPlan) -> ServerProcess:
    """The webhook receiver, writing to the SQLite event log in the data folder."""
    return ServerProcess(
        [
            "webhooks",
            *("--host", plan.host, "--port", str(plan.webhook_port)),
            *("--db", plan.eventlog_url),
        ],
        health_url=f"{plan.receiver_url}/healthz",
        env=plan.secret_env,
        log_path=plan.logs / "receiver.log",
    )


def _sandbox(plan: DemoPlan) -> ServerProcess:
    """The sandbox with the demo data, signing its webhooks to the receiver."""
    return ServerProcess(
        [
            "sandbox",
            *("--host", plan.host, "--port", str(plan.api_port), "--data", "demo"),
            *("--webhook-url", f"{plan.receiver_url}/webhooks/linksplus/system"),
        ],
        health_url=SandboxControls(plan.api_url).health_url,
        env=plan.secret_env,
        log_path=plan.logs / "sandbox.log",
    )


def _app(plan: DemoPlan, app_path: Path) -> ServerProcess:
    """The Streamlit app, configured through its environment to use the sandbox."""
    env = {
        "LINKSPLUS_API_BASE_URL": plan.api_url,
        "LINKSPLUS_API_KEY": plan.api_key,
        "LINKSPLUS_API_AUTH": "raw",
        "LINKSPLUS_EVENTLOG_URL": plan.eventlog_url,
        "LINKSPLUS_SANDBOX_URL": plan.api_url,
        "LINKSPLUS_USERS_FILE": str(plan.users_file),
        "LINKSPLUS_COOKIE_KEY": plan.cookie_key,
        # What the demo's notifier uses, so that My settings says email alerts are on.
        "LINKSPLUS_SMTP_URL": plan.smtp_url,
        "LINKSPLUS_MAIL_FROM": DEMO_MAIL_FROM,
        "LINKSPLUS_CONSOLE_URL": f"http://{plan.host}:{plan.app_port}",
    }
    streamlit = [sys.executable, "-m", "streamlit", "run", str(app_path)]
    options = {
        "--server.address": plan.host,
        "--server.port": str(plan.app_port),
        "--server.headless": "true",
        "--browser.gatherUsageStats": "false",
        "--server.fileWatcherType": "none",
    }
    return ServerProcess(
        streamlit + [part for option in options.items() for part in option],
        python_module=False,
        health_url=f"http://{plan.host}:{plan.app_port}/_stcore/health",
        env=env,
        log_path=plan.logs / "app.log",
        timeout=60,
    )


def _run(plan: DemoPlan, servers: dict[str, ServerProcess], password: str, live: bool) -> int:
    """Start the receiver and the sandbox, fill the event log with the sandbox's payments,
    start the app and wait for Ctrl-C; stop whatever started. The exit code."""
    started: dict[str, ServerProcess] = {}
    try:
        for name in ("webhook receiver", "sandbox"):
            _say(f"Starting the {name}…")
            started[name] = servers[name].start()
        _say("Sending 90 days of demo payments to the receiver…")
        sent = SandboxControls(plan.api_url, timeout=300).replay_webhooks()
        _say(f"  {sent} payment events delivered.")
        # The alerts first: once the app answers, the demo is up and says so at once.
        alerts = DemoAlerts(plan).start()
        try:
            _say("Starting the app…")
            started["app"] = servers["app"].start()
            _banner(plan, password, live)
            client = LinksPlusClient(plan.api_key, base_url=plan.api_url)
            _keep_running(started, client, plan.api_url, live)
        finally:
            alerts.stop()
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


def _banner(plan: DemoPlan, password: str, live: bool) -> None:
    host, api_url, receiver_url = plan.host, plan.api_url, plan.receiver_url
    _say(f"""
Links+ Console demo is running.

  App               http://{host}:{plan.app_port}
  Links+ sandbox    {api_url}   (API docs at {api_url}/docs)
  Webhook receiver  {receiver_url}/webhooks/linksplus
  Logs              {plan.logs}
  Emails            {plan.mail}   (alerts, a customer's reminder and the manager's
                    digest; each one is printed here too)

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


class DemoMailbox:
    """aiosmtpd handler: the demo's mail server keeps each message as a file and says so."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            self.count += 1
            to = re.sub(r"[^A-Za-z0-9@._-]", "_", ",".join(envelope.rcpt_tos))[:80]
            path = self.folder / f"{self.count:04d}-{to}.eml"
        path.write_bytes(envelope.content)
        message = message_from_bytes(envelope.content, policy=policy.default)
        _say(f"Alert emailed to {message['To']}: {message['Subject']}  ({path})")
        return "250 Message accepted for delivery"


def show_reminder_and_digest(notifier) -> None:
    """So that a newcomer sees them arrive: the manager asks for the daily digest at
    midnight (sent at once, with yesterday's replayed payments), and one unpaid single-use
    link of team 101, made "three days ago" for Khun Somsak, has automatic reminders on
    (the first one is due)."""
    ws = notifier.workspace
    save_digest_prefs(ws, "manager", DigestPrefs("00:00", "Asia/Bangkok"))
    if notifier.client is None:
        return
    try:
        links = notifier.client.list_links(101)
    except LinksPlusError:
        return
    with ws.engine.connect() as conn:
        paid = set(conn.execute(select(events.c.link_id).distinct()).scalars())
    unpaid = [k for k in links if not k.multiple_usage and k.status == "active"]
    link = next((k for k in unpaid if k.id not in paid and k.payment_url), None)
    if link is None or ws.owner(link.id) is not None:
        return
    made = datetime.now(UTC) - timedelta(days=3)
    ws.record_link(link.id, 101, "sales", "form", made_at=made)
    customer = Customer.of(name="Khun Somsak", email="somsak@example.com")
    save_customer(ws, link.id, 101, customer, "sales")
    reminder = LinkReminder(
        link.id, 101, 2, 2, "th", link.name, link.amount, link.currency, link.payment_url
    )
    set_link_reminder(ws, reminder, "sales")


class DemoAlerts:
    """The demo's notifier (a thread of this process) and its local SMTP server."""

    def __init__(self, plan: DemoPlan):
        self.plan = plan
        self.stop_event = threading.Event()
        self.controller = None
        self.thread: threading.Thread | None = None

    def start(self) -> DemoAlerts:
        from aiosmtpd.controller import Controller

        from linksplus.notify import Notifier

        plan = self.plan
        plan.mail.mkdir(parents=True, exist_ok=True)
        for old in plan.mail.glob("*.eml"):
            old.unlink()  # the event log starts afresh, and so do its alerts
        self.controller = Controller(
            DemoMailbox(plan.mail), hostname=plan.host, port=plan.smtp_port
        )
        self.controller.start()
        settings = Settings(
            api_base_url=plan.api_url,
            api_key=plan.api_key,
            api_auth="raw",
            eventlog_url=plan.eventlog_url,
            users_file=str(plan.users_file),
            smtp_url=plan.smtp_url,
            mail_from=DEMO_MAIL_FROM,
            console_url=f"http://{plan.host}:{plan.app_port}",
            cookie_key=plan.cookie_key,
        )
        notifier = Notifier(settings, name="demo")
        notifier.outbox.start_cursor()  # from now on: the replayed history gives no alerts
        show_reminder_and_digest(notifier)
        self.thread = threading.Thread(
            target=self._run, args=(notifier,), name="notifier", daemon=True
        )
        self.thread.start()
        return self

    def _run(self, notifier) -> None:
        try:
            notifier.run(self.stop_event)
        finally:
            notifier.close()

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(10)
        if self.controller is not None:
            self.controller.stop()
