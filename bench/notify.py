"""Paid-link alerts under load: payments at a steady rate through the receiver, alerts by
email to a local SMTP server, and the delay from each payment's commit to the SMTP server
accepting its message.

Runs the product's processes: `linksplus webhooks` (the receiver, SQLite event log by
default, `--db` for PostgreSQL) and `linksplus notifier`, with aiosmtpd in this process as
the mail server. Each payment's link is the salesperson's, and a manager subscribes to the
team, so every payment makes two messages. A payment's commit time is taken as the moment
the receiver's 200 arrives: it answers only after the commit, so this is at most one
loopback round trip late. Prints the median and 95th percentile of the delays and checks
that every payment produced exactly one message per recipient.

    python bench/notify.py                 # 50 payments a second for a minute
    python bench/notify.py --seconds 10    # a shorter run
    python bench/notify.py --notifiers 2   # two notifier processes sharing the outbox
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

import httpx
from aiosmtpd.controller import Controller
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from linksplus.console.users import UserRecord, hash_password, save_users  # noqa: E402
from linksplus.devserver import ServerProcess, free_port  # noqa: E402
from linksplus.notify.channels import message_key  # noqa: E402
from linksplus.webhooks.signing import generate_secret, sign_headers  # noqa: E402
from linksplus.workspace import AlertPrefs, Workspace  # noqa: E402
from linksplus.workspace.schema import notify_cursor  # noqa: E402

TEAM = 101
LINKS = 200
RECIPIENTS = ("sales", "manager")
TARGET_P95 = 2.0


class Mailbox:
    """aiosmtpd handler: when each message (by Message-ID) was accepted."""

    def __init__(self) -> None:
        self.accepted: list[tuple[str, str, float]] = []  # (message id, to, time)

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.accepted.append((message["Message-ID"], message["To"], time.time()))
        return "250 Message accepted for delivery"


def setup(tmp: Path, db_url: str) -> Path:
    """The users file and the console's records: links of `sales`, a subscribed manager."""
    digest = hash_password("bench")
    users = tmp / "users.yaml"
    save_users(
        users,
        [
            UserRecord("sales", "Sales", "sales@example.com", ["sales"], [TEAM], digest),
            UserRecord("manager", "Manager", "manager@example.com", ["manager"], [TEAM], digest),
        ],
    )
    ws = Workspace(db_url)
    for i in range(LINKS):
        ws.record_link(5000 + i, TEAM, "sales", "form")
    ws.set_alert_prefs("manager", AlertPrefs(team_alerts=True))
    ws.close()
    return users


def wait_for_cursor(db_url: str, timeout: float = 120) -> None:
    """Until a notifier has started: its first run sets the cursor."""
    ws = Workspace(db_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with ws.engine.connect() as conn:
                if conn.execute(select(notify_cursor)).first() is not None:
                    return
            time.sleep(0.2)
        raise RuntimeError("no notifier started")
    finally:
        ws.close()


def send(url: str, secret: str, rate: float, seconds: float) -> dict[str, float]:
    """Payments at `rate` a second for `seconds`; payment id -> when its 200 arrived."""
    acked: dict[str, float] = {}
    total = int(rate * seconds)
    start = time.monotonic()
    with httpx.Client(timeout=30) as client:
        for i in range(total):
            wait = start + i / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            payment_id = f"chrg_bench_{i:06d}"
            body = json.dumps(
                {
                    "event": "payment.completed",
                    "link_id": 5000 + i % LINKS,
                    "payment": {
                        "id": payment_id,
                        "amount": 10_000 + i,
                        "currency": "thb",
                        "status": "successful",
                    },
                    "timestamp": "2026-12-07T10:00:00Z",
                }
            ).encode()
            headers = {"Content-Type": "application/json", **sign_headers(body, secret)}
            answer = client.post(url, content=body, headers=headers)
            if answer.status_code == 200:
                acked[payment_id] = time.time()
            else:
                print(f"  payment {payment_id}: HTTP {answer.status_code}", file=sys.stderr)
    elapsed = time.monotonic() - start
    print(f"sent {total} payments in {elapsed:.1f} s ({total / elapsed:.1f} a second)")
    return acked


def report(acked: dict[str, float], mailbox: Mailbox) -> bool:
    """Print the delays; True when every payment made exactly one message per recipient."""
    expected = {
        f"<{message_key(p, who, 'email')}@linksplus.alerts>": (p, who)
        for p in acked
        for who in RECIPIENTS
    }
    copies = Counter(mid for mid, _to, _at in mailbox.accepted)
    delays = sorted(
        at - acked[expected[mid][0]] for mid, _to, at in mailbox.accepted if mid in expected
    )
    missing = [expected[mid] for mid in expected if copies[mid] == 0]
    twice = [expected[mid] for mid, n in copies.items() if n > 1 and mid in expected]
    stray = [mid for mid in copies if mid not in expected]
    p50 = statistics.median(delays) if delays else float("nan")
    p95 = delays[max(0, int(len(delays) * 0.95) - 1)] if delays else float("nan")
    print(f"messages: {len(mailbox.accepted)} for {len(acked)} payments x {len(RECIPIENTS)}")
    print(
        f"commit -> SMTP accepted: median {p50 * 1000:.0f} ms, 95th percentile {p95 * 1000:.0f} ms"
    )
    print(f"  max {delays[-1] * 1000:.0f} ms" if delays else "  no messages")
    print(f"95th percentile target {TARGET_P95:.1f} s: {'met' if p95 < TARGET_P95 else 'MISSED'}")
    print(f"missing {len(missing)}, sent twice {len(twice)}, unexpected {len(stray)}")
    return not missing and not twice and not stray


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="payments a second")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to send")
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary folder)")
    parser.add_argument("--notifiers", type=int, default=1, help="notifier processes at once")
    args = parser.parse_args(argv)
    secret = generate_secret()
    mailbox = Mailbox()
    smtp_port, r_port = free_port(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    with tempfile.TemporaryDirectory(prefix="notify-bench-") as name:
        tmp = Path(name)
        db_url = args.db or f"sqlite:///{tmp}/events.db"
        users = setup(tmp, db_url)
        receiver = ServerProcess(
            ["webhooks", "--port", str(r_port), "--db", db_url, "--secret", secret],
            health_url=f"http://127.0.0.1:{r_port}/healthz",
            log_path=tmp / "receiver.log",
        ).start()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "LINKSPLUS_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
            "LINKSPLUS_USERS_FILE": str(users),
        }
        log = (tmp / "notifier.log").open("ab")
        notifiers = [
            subprocess.Popen(
                [sys.executable, "-m", "linksplus", "notifier", "--db", db_url],
                cwd=tmp,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            for _ in range(args.notifiers)
        ]
        try:
            wait_for_cursor(db_url)  # payments before it would give no alerts
            url = f"http://127.0.0.1:{r_port}/webhooks/linksplus"
            acked = send(url, secret, args.rate, args.seconds)
            want = len(acked) * len(RECIPIENTS)
            deadline = time.monotonic() + 60
            while len(mailbox.accepted) < want and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1)  # a duplicate would arrive now
            ok = report(acked, mailbox)
            if not ok:
                warnings = [
                    line
                    for line in (tmp / "notifier.log").read_text().splitlines()
                    if "WARNING" in line
                ]
                print(f"notifier warnings: {len(warnings)}", *warnings[-5:], sep="\n  ")
        finally:
            for notifier in notifiers:
                notifier.send_signal(signal.SIGTERM)
                notifier.wait(20)
            receiver.stop()
            controller.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
