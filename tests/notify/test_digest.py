"""The manager's daily digest: yesterday's payments per currency (never summed across
currencies), links paid per salesperson, Still owed by age, the last reconciliation, sent
once a day at the manager's time in their timezone, however many notifiers run."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from notify.notify_helpers import TEAM, Clock, clocked_notifier
from sqlalchemy import update
from webhooks.webhook_helpers import payment_event

from linksplus.config import Settings
from linksplus.notify import Notifier, Timing
from linksplus.notify.digest import (
    DigestData,
    DigestPrefs,
    DigestPrefsError,
    compose_digest,
    save_digest_prefs,
    summarise_owed,
)
from linksplus.workspace import UserPrefs
from linksplus.workspace.customers import void_link
from linksplus.workspace.schema import voids

# 08:30 in Bangkok on 8 December: "yesterday" is 7 December, Bangkok time.
NOW = datetime(2026, 12, 8, 1, 30, tzinfo=UTC)


def notifier_for(shop, users_file, smtp, clock: Clock, name: str = "test") -> Notifier:
    return clocked_notifier(shop, users_file, smtp, clock, name)


def pay(shop, link_id, owner, payment_id, amount, at, currency="thb", team=TEAM):
    if shop.workspace.owner(link_id) is None:
        shop.workspace.record_link(link_id, team, owner, "form")
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    shop.log.record(
        payment_event(
            payment_id, link_id=link_id, amount=amount, currency=currency, timestamp=stamp
        )
    )


def yesterdays_payments(shop):
    y = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)  # 10:00 on 7 December in Bangkok
    pay(shop, 8001, "sales", "chrg_d1", 125_000, y)
    pay(shop, 8001, "sales", "chrg_d1", 125_000, y)  # the same payment delivered twice
    pay(shop, 8002, "somsri", "chrg_d2", 50_000, y + timedelta(hours=5))
    pay(shop, 8003, "sales", "chrg_d3", 2_000, y, currency="usd")
    pay(shop, 8004, "somsri", "chrg_d4", 10_000, y, team=102)  # the manager's other team
    pay(shop, 8005, "other", "chrg_d5", 99_900, y, team=999)  # not the manager's team
    # 23:30 on 6 December in Bangkok (16:30 UTC): the day before yesterday.
    pay(shop, 8006, "sales", "chrg_d6", 70_000, datetime(2026, 12, 6, 16, 30, tzinfo=UTC))
    # 00:30 on 8 December in Bangkok (17:30 UTC on the 7th): today, not yesterday.
    pay(shop, 8007, "sales", "chrg_d7", 80_000, datetime(2026, 12, 7, 17, 30, tzinfo=UTC))


def test_the_digest_has_yesterdays_payments_per_currency_and_salesperson(shop, users_file, smtp):
    yesterdays_payments(shop)
    save_digest_prefs(shop.workspace, "manager", DigestPrefs("08:00", "Asia/Bangkok"))
    notifier = notifier_for(shop, users_file, smtp, Clock(NOW))
    notifier.turn()
    (mail,) = smtp.handler.to("manager@example.com")
    body = mail.get_content().replace("\r\n", "\n")
    assert mail["Subject"] == "Links+ daily digest: 7 Dec 2026"
    assert "1,850.00 THB (3 payments)" in body  # 1,250 + 500 + 100 (team 102)
    assert "20.00 USD (1 payment)" in body  # beside, never added to the baht
    assert "999" not in body and "700.00" not in body and "800.00" not in body
    assert "  sales: 2\n" in body and "  somsri: 2\n" in body
    assert "Not available: Links+ could not be asked" in body  # no API key here
    assert "No reconciliation has been run yet." in body
    assert "https://console.example.com/payments?team=101" in body
    assert "https://console.example.com/payments?team=102" in body
    assert "voided" not in body
    notifier.close()


def test_the_digest_goes_at_the_chosen_time_in_the_managers_timezone_once_a_day(
    sqlite_shop, users_file, smtp
):
    shop = sqlite_shop
    save_digest_prefs(shop.workspace, "manager", DigestPrefs("08:00", "Europe/London"))
    save_digest_prefs(shop.workspace, "sales", DigestPrefs("08:00", "Asia/Bangkok"))  # no role
    clock = Clock(datetime(2026, 12, 8, 7, 59, tzinfo=UTC))  # 07:59 in London
    notifier = notifier_for(shop, users_file, smtp, clock)
    notifier.turn()
    assert smtp.handler.messages == []
    clock.at = datetime(2026, 12, 8, 8, 0, tzinfo=UTC)
    notifier.turn()
    clock.at = datetime(2026, 12, 8, 22, 0, tzinfo=UTC)
    notifier.turn()
    assert [m["To"] for m in smtp.handler.messages] == ["manager@example.com"]
    clock.at = datetime(2026, 12, 9, 8, 5, tzinfo=UTC)
    notifier.turn()
    subjects = [m["Subject"] for m in smtp.handler.messages]
    assert subjects == ["Links+ daily digest: 7 Dec 2026", "Links+ daily digest: 8 Dec 2026"]
    notifier.close()


def test_a_payment_after_void_is_flagged_in_the_digest(sqlite_shop, users_file, smtp):
    shop = sqlite_shop
    shop.workspace.record_link(8101, TEAM, "sales", "form")
    void_link(shop.workspace, 8101, TEAM, "sales", "wrong amount")
    with shop.workspace.engine.begin() as conn:  # voided on 6 December
        conn.execute(update(voids).values(voided_at=datetime(2026, 12, 6, tzinfo=UTC)))
    pay(shop, 8101, "sales", "chrg_v1", 45_000, datetime(2026, 12, 7, 3, 0, tzinfo=UTC))
    save_digest_prefs(shop.workspace, "manager", DigestPrefs("08:00", "Asia/Bangkok"))
    notifier = notifier_for(shop, users_file, smtp, Clock(NOW))
    notifier.turn()
    (mail,) = smtp.handler.to("manager@example.com")
    body = mail.get_content().replace("\r\n", "\n")
    assert "Paid after it was voided: refund it in the Omise dashboard" in body
    assert "  #8101: 450.00 THB\n" in body
    notifier.close()


def test_two_notifiers_send_one_digest(shop, users_file, smtp):
    save_digest_prefs(shop.workspace, "manager", DigestPrefs("08:00", "Asia/Bangkok"))
    save_digest_prefs(shop.workspace, "other", DigestPrefs("07:00", "Asia/Bangkok"))
    clock = Clock(NOW)
    notifiers = [notifier_for(shop, users_file, smtp, clock, name=f"n{i}") for i in (1, 2)]
    start = threading.Barrier(2)

    def run(n):
        start.wait()
        for _ in range(3):
            n.digests.send_due()

    threads = [threading.Thread(target=run, args=(n,)) for n in notifiers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(m["To"] for m in smtp.handler.messages) == [
        "manager@example.com",
        "other@example.com",
    ]
    for n in notifiers:
        n.close()


def test_a_thai_manager_gets_the_digest_in_thai(sqlite_shop, users_file, smtp):
    shop = sqlite_shop
    shop.workspace.set_user_prefs("manager", UserPrefs("th"))
    save_digest_prefs(shop.workspace, "manager", DigestPrefs("08:00", "Asia/Bangkok"))
    notifier = notifier_for(shop, users_file, smtp, Clock(NOW))
    notifier.turn()
    (mail,) = smtp.handler.to("manager@example.com")
    assert mail["Subject"].startswith("สรุปประจำวัน Links+: 7 ")
    assert "ลิงก์ที่ได้รับชำระ แยกตามพนักงานขาย:" in mail.get_content()
    notifier.close()


def test_still_owed_is_counted_per_bucket_and_currency():
    now = datetime(2026, 12, 20, tzinfo=UTC)

    def link(i, days, amount, currency="thb", multiple=False, status="active"):
        made = pd.Timestamp(now - timedelta(days=days))
        return {
            "id": i,
            "multiple_usage": multiple,
            "status": status,
            "created_at": made,
            "amount": amount,
            "currency": currency,
        }

    links = pd.DataFrame(
        [
            link(1, 1, 10_000),
            link(2, 2, 20_000),
            link(3, 2, 500, "usd"),
            link(4, 10, 30_000),
            link(5, 20, 40_000),  # paid
            link(6, 20, 50_000),  # void
            link(7, 20, 60_000, multiple=True),
            link(8, 30, 70_000),
        ]
    )
    owners = pd.DataFrame({"link_id": [1, 2], "made_by": ["sales", "somsri"]})
    data = DigestData(day=now.date(), tz="Asia/Bangkok", teams=[TEAM])
    summarise_owed(data, links, {5}, owners, {6}, now)
    assert data.owed == {
        "0-3": {"thb": (2, 30_000), "usd": (1, 500)},
        "8-14": {"thb": (1, 30_000)},
        "15+": {"thb": (1, 70_000)},
    }
    _subject, body = compose_digest("en", data, "")
    assert "0–3 days: 3 (300.00 THB · 5.00 USD)" in body
    assert "4–7 days: 0 (—)" in body


def test_digest_times_and_timezones_are_checked(sqlite_shop):
    ws = sqlite_shop.workspace
    with pytest.raises(DigestPrefsError, match="like 08:30"):
        save_digest_prefs(ws, "manager", DigestPrefs("8 am", "Asia/Bangkok"))
    with pytest.raises(DigestPrefsError, match="timezone"):
        save_digest_prefs(ws, "manager", DigestPrefs("08:00", "Mars/Olympus"))


def test_still_owed_comes_from_the_teams_links_in_links_plus(
    sqlite_shop, users_file, smtp, sandbox
):
    import re

    shop = sqlite_shop
    sandbox.seed_links(TEAM, 6)
    links = sandbox.client().list_links(TEAM)
    owed = [k for k in links if not k.multiple_usage and k.status == "active"]
    assert owed  # the seed makes some single-use links
    paid = owed[0]
    pay(shop, paid.id, "sales", "chrg_owed", paid.amount, datetime(2026, 12, 1, tzinfo=UTC))
    save_digest_prefs(shop.workspace, "manager", DigestPrefs("00:00", "UTC"))
    s = Settings(
        eventlog_url=shop.url,
        users_file=str(users_file),
        smtp_url=smtp.url,
        api_key=sandbox.api_key,
        api_base_url=sandbox.url,
    )
    notifier = Notifier(s, Timing(daily=0), name="t")
    notifier.digests.clock = Clock(datetime.now(UTC))
    notifier.turn()
    (mail,) = smtp.handler.to("manager@example.com")
    body = mail.get_content()
    counts = re.findall(r"^  (?:0–3|4–7|8–14|15\+) days: (\d+) ", body, re.MULTILINE)
    assert sum(int(n) for n in counts) == len(owed) - 1  # the paid one is owed no more
    notifier.close()
