"""Automatic reminders to a link's customer: after N unpaid days, at most K, never once the
link is paid or voided, once however many notifiers run, one a day per customer email, and
an unsubscribe address the console honours."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from notify.notify_helpers import TEAM, Clock, clocked_notifier, wait_for

from linksplus.notify import Notifier
from linksplus.notify.reminders import optout_url, read_optout_token
from linksplus.workspace.customers import Customer, save_customer, void_link
from linksplus.workspace.reminders import (
    LinkReminder,
    ReminderSettings,
    opt_out,
    reminders_sent_of,
    set_link_reminder,
    set_team_reminder_settings,
    team_reminder_settings,
)

MADE = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
KEY = "a-cookie-key-for-tests-0123456789"


def notifier_for(shop, users_file, smtp, clock: Clock, name: str = "test") -> Notifier:
    return clocked_notifier(shop, users_file, smtp, clock, name, cookie_key=KEY)


def reminded_link(shop, link_id: int, email: str = "somsak@example.com", **kw) -> int:
    shop.workspace.record_link(link_id, TEAM, "sales", "form", made_at=MADE)
    save_customer(shop.workspace, link_id, TEAM, Customer.of(name="Somsak", email=email), "sales")
    reminder = LinkReminder(
        link_id=link_id,
        team_id=TEAM,
        after_days=kw.get("after_days", 2),
        max_count=kw.get("max_count", 2),
        language=kw.get("language", "en"),
        name=f"Order {link_id}",
        amount=150_000,
        currency="thb",
        payment_url=f"https://pay.example.com/{link_id}",
    )
    set_link_reminder(shop.workspace, reminder, "sales")
    return link_id


def test_reminders_go_after_n_days_at_most_k_and_show_on_the_link(shop, users_file, smtp):
    link = reminded_link(shop, 7001)
    clock = Clock(MADE + timedelta(days=1, hours=23))
    notifier = notifier_for(shop, users_file, smtp, clock)
    notifier.turn()
    assert smtp.handler.to("somsak@example.com") == []  # not two days yet
    for day in (2, 3, 4, 5, 6, 7):
        clock.at = MADE + timedelta(days=day, hours=1)
        notifier.turn()
    mails = smtp.handler.to("somsak@example.com")
    assert len(mails) == 2  # on day 2 and day 4, then no more
    body = mails[0].get_content()
    assert mails[0]["Subject"] == "Reminder: Order 7001"
    assert "Order 7001 (1,500.00 THB) is still waiting for payment." in body
    assert "https://pay.example.com/7001" in body
    assert "https://console.example.com/?unsubscribe=" in body
    sent = reminders_sent_of(shop.workspace, link, TEAM)
    assert [(n, at) for n, at in sent] == [
        (1, MADE + timedelta(days=2, hours=1)),
        (2, MADE + timedelta(days=4, hours=1)),
    ]
    owner = shop.workspace.owner(link)  # Needs follow-up counts it as a reminder
    assert owner.reminded_by == "automatic reminder"
    assert owner.reminded_at == MADE + timedelta(days=4, hours=1)
    notifier.close()


def test_a_thai_reminder_uses_the_salespersons_particle(sqlite_shop, users_file, smtp):
    shop = sqlite_shop
    reminded_link(shop, 7002, language="th")
    shop.workspace.set_thai_particle("sales", "krap")
    notifier = notifier_for(shop, users_file, smtp, Clock(MADE + timedelta(days=3)))
    notifier.turn()
    (mail,) = smtp.handler.to("somsak@example.com")
    assert mail["Subject"] == "แจ้งเตือนการชำระเงิน: Order 7002"
    assert "ยังรอการชำระเงินอยู่ครับ" in mail.get_content()
    notifier.close()


def test_no_reminder_once_paid_or_voided_or_without_an_email(shop, users_file, smtp):
    shop.pay(reminded_link(shop, 7003, email="paid@example.com"), "chrg_rem_paid")
    void_link(
        shop.workspace, reminded_link(shop, 7004, email="void@example.com"), TEAM, "sales", "x"
    )
    shop.workspace.record_link(7005, TEAM, "sales", "form", made_at=MADE)  # no customer email
    notifier = notifier_for(shop, users_file, smtp, Clock(MADE + timedelta(days=5)))
    notifier.reminders.send_due()
    assert smtp.handler.messages == []
    notifier.close()


def test_one_reminder_a_day_per_customer_email(sqlite_shop, users_file, smtp):
    shop = sqlite_shop
    for link_id in (7010, 7011, 7012):
        reminded_link(shop, link_id, email="Same@Example.com", max_count=1)
    clock = Clock(MADE + timedelta(days=3))
    notifier = notifier_for(shop, users_file, smtp, clock)
    notifier.turn()
    notifier.turn()
    assert len(smtp.handler.to("same@example.com")) == 1
    clock.at += timedelta(days=1)
    notifier.turn()
    assert len(smtp.handler.to("same@example.com")) == 2
    notifier.close()


def test_two_notifiers_at_once_send_each_reminder_once(shop, users_file, smtp):
    for i in range(30):
        reminded_link(shop, 7100 + i, email=f"c{i}@example.com", max_count=1)
    clock = Clock(MADE + timedelta(days=3))
    notifiers = [notifier_for(shop, users_file, smtp, clock, name=f"n{i}") for i in (1, 2)]
    start = threading.Barrier(2)

    def run(n):
        start.wait()
        for _ in range(3):
            n.reminders.send_due()

    threads = [threading.Thread(target=run, args=(n,)) for n in notifiers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(m["To"] for m in smtp.handler.messages) == sorted(
        f"c{i}@example.com" for i in range(30)
    )
    for n in notifiers:
        n.close()


def test_the_unsubscribe_address_is_signed_and_opting_out_stops_reminders(
    sqlite_shop, users_file, smtp
):
    shop = sqlite_shop
    reminded_link(shop, 7020, email="stop@example.com")
    url = optout_url("https://console.example.com", KEY, TEAM, "Stop@example.com")
    token = url.split("unsubscribe=")[1]
    assert read_optout_token(KEY, token) == (TEAM, "stop@example.com")
    assert read_optout_token("another key", token) is None
    assert read_optout_token(KEY, token[:-2] + "xx") is None
    opt_out(shop.workspace, TEAM, "stop@example.com")
    notifier = notifier_for(shop, users_file, smtp, Clock(MADE + timedelta(days=5)))
    notifier.turn()
    assert smtp.handler.messages == []
    notifier.close()


def test_a_reminder_whose_sender_died_is_sent_again_after_the_lease(sqlite_shop, users_file, smtp):
    shop = sqlite_shop
    reminded_link(shop, 7030, max_count=1)
    clock = Clock(MADE + timedelta(days=3))
    dead = notifier_for(shop, users_file, smtp, clock, name="dead")
    (due,) = dead.reminders.due()
    assert dead.reminders.claim(due)  # then killed before sending
    alive = notifier_for(shop, users_file, smtp, clock, name="alive")
    alive.turn()
    assert smtp.handler.messages == []  # held by the dead one's lease
    clock.at += timedelta(seconds=6)
    alive.turn()
    assert len(smtp.handler.to("somsak@example.com")) == 1
    dead.close()
    alive.close()


def test_team_defaults_are_two_days_and_two_and_checked(sqlite_shop):
    ws = sqlite_shop.workspace
    assert team_reminder_settings(ws, TEAM) == ReminderSettings(2, 2)
    set_team_reminder_settings(ws, TEAM, ReminderSettings(3, 1))
    assert team_reminder_settings(ws, TEAM) == ReminderSettings(3, 1)
    try:
        set_team_reminder_settings(ws, TEAM, ReminderSettings(0, 1))
    except ValueError as exc:
        assert "days" in str(exc)
    else:
        raise AssertionError("0 days was accepted")


def test_a_link_made_outside_the_console_counts_from_when_reminders_were_turned_on(
    sqlite_shop, users_file, smtp
):
    shop = sqlite_shop
    save_customer(shop.workspace, 7040, TEAM, Customer.of(email="out@example.com"), "sales")
    reminder = LinkReminder(7040, TEAM, 2, 1, "en", "Outside", 10_000, "thb", "https://p/7040")
    set_link_reminder(shop.workspace, reminder, "manager")
    clock = Clock(datetime.now(UTC) + timedelta(days=1))
    notifier = notifier_for(shop, users_file, smtp, clock)
    notifier.turn()
    assert smtp.handler.messages == []
    clock.at += timedelta(days=1, minutes=1)
    notifier.turn()
    assert len(smtp.handler.to("out@example.com")) == 1
    notifier.close()


def test_two_notifier_processes_send_each_reminder_once(
    shop, users_file, smtp, tmp_path, monkeypatch
):
    from notify.test_processes import start_notifier

    monkeypatch.setenv("LINKSPLUS_COOKIE_KEY", KEY)
    monkeypatch.setenv("LINKSPLUS_CONSOLE_URL", "https://console.example.com")
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    for i in range(20):
        link_id = 7200 + i
        shop.workspace.record_link(link_id, TEAM, "sales", "form", made_at=three_days_ago)
        customer = Customer.of(email=f"p{i}@example.com")
        save_customer(shop.workspace, link_id, TEAM, customer, "sales")
        reminder = LinkReminder(link_id, TEAM, 2, 1, "en", f"O{i}", 1_000, "thb", "https://p")
        set_link_reminder(shop.workspace, reminder, "sales")
    procs = [start_notifier(shop, users_file, smtp, tmp_path, f"r{i}") for i in (1, 2)]
    try:
        wait_for(lambda: len(smtp.handler.messages) >= 20, timeout=60, what="20 reminders")
        time.sleep(2)  # time enough for a second copy to arrive, were one sent
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(20)
    assert sorted(m["To"] for m in smtp.handler.messages) == sorted(
        f"p{i}@example.com" for i in range(20)
    )
