"""`linksplus notifier` processes: two at once send nothing twice; one killed in the middle of
an SMTP send resends only the message it had not recorded; SIGTERM stops it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from notify.notify_helpers import wait_for
from sqlalchemy import select

from linksplus.notify.outbox import SENT, Outbox
from linksplus.notify.prefs import save_alert_prefs
from linksplus.workspace.schema import notify_cursor

ROOT = Path(__file__).resolve().parents[2]


def start_notifier(shop, users_file, smtp, tmp_path: Path, name: str, *args: str):
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LINKSPLUS_SMTP_URL": smtp.url,
        "LINKSPLUS_USERS_FILE": str(users_file),
        "LINKSPLUS_MAIL_FROM": "alerts@example.com",
    }
    log = open(tmp_path / f"{name}.log", "ab")  # noqa: SIM115 - the process holds it
    return subprocess.Popen(
        [sys.executable, "-m", "linksplus", "notifier", "--db", shop.url, "--poll", "0.1", *args],
        cwd=tmp_path,  # no secrets.toml of the checkout's
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def cursor_made(shop) -> bool:
    with shop.workspace.engine.connect() as conn:
        return conn.execute(select(notify_cursor)).first() is not None


def per_payment(smtp) -> Counter:
    return Counter((m["To"], m["Subject"]) for m in smtp.handler.messages)


def test_two_notifiers_at_once_send_each_message_exactly_once(shop, users_file, smtp, tmp_path):
    save_alert_prefs(shop.workspace, "manager", team_alerts=True)
    procs = [start_notifier(shop, users_file, smtp, tmp_path, f"n{i}") for i in (1, 2)]
    try:
        wait_for(lambda: cursor_made(shop), what="the notifiers to start")
        for i in range(60):
            shop.pay(shop.link(6000 + i, "sales"), f"chrg_two_{i}", amount=10_000 + i)
        outbox = Outbox(shop.workspace.engine)
        wait_for(lambda: outbox.counts() == {SENT: 120}, timeout=60, what="120 messages sent")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        codes = [p.wait(20) for p in procs]
    counts = per_payment(smtp)
    assert len(smtp.handler.messages) == 120
    assert set(counts.values()) == {1}
    assert len(counts) == 120  # 60 payments, each to sales and to the subscribed manager
    assert codes == [0, 0]  # SIGTERM stops a notifier cleanly
    senders = Counter(row.claimed_by for row in outbox.rows())
    print("messages sent per notifier:", dict(senders))


def test_a_notifier_killed_mid_send_resends_only_the_message_it_held(
    sqlite_shop, users_file, smtp, tmp_path
):
    shop = sqlite_shop
    smtp.handler.hold_first = True  # the first message is kept, its answer held back
    first = start_notifier(shop, users_file, smtp, tmp_path, "killed", "--lease", "3")
    try:
        wait_for(lambda: cursor_made(shop), what="the notifier to start")
        for i in range(5):
            shop.pay(shop.link(7000 + i, "sales"), f"chrg_kill_{i}", amount=10_000 + i)
        assert smtp.handler.held.wait(30), "the notifier never sent"
        first.kill()  # SIGKILL: between the server taking the message and the notifier
        first.wait(10)  # recording it
    finally:
        smtp.handler.release.set()
    (held,) = smtp.handler.messages
    second = start_notifier(shop, users_file, smtp, tmp_path, "second", "--lease", "3")
    try:
        outbox = Outbox(shop.workspace.engine)
        wait_for(lambda: outbox.counts() == {SENT: 5}, timeout=30, what="5 messages sent")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(20)
    counts = per_payment(smtp)
    assert len(counts) == 5
    assert counts[(held["To"], held["Subject"])] == 2  # the one message it had not recorded
    assert sorted(counts.values()) == [1, 1, 1, 1, 2]
