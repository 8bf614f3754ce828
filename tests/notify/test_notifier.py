"""Paid-link alerts, one notifier in the test process: who gets what, in which language, by
which channel, and what happens when the mail server fails."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from notify.notify_helpers import LINE_TOKEN
from sqlalchemy import update

from linksplus.config import Settings
from linksplus.notify import Notifier, Timing
from linksplus.notify.outbox import FAILED, PENDING, SENT
from linksplus.notify.prefs import PrefsError, save_alert_prefs
from linksplus.workspace import AlertPrefs, UserPrefs
from linksplus.workspace.schema import outbox

LINE_ID = "U" + "0123456789abcdef" * 2


def notifier_for(shop, users_file, smtp=None, line=None, **settings) -> Notifier:
    s = Settings(
        eventlog_url=shop.url,
        users_file=str(users_file),
        smtp_url=settings.pop("smtp_url", smtp.url if smtp else ""),
        mail_from="Links+ <alerts@example.com>",
        line_channel_token=LINE_TOKEN if line else "",
        line_api_url=line.url if line else "https://api.line.me",
        console_url="https://console.example.com",
        **settings,
    )
    n = Notifier(s, Timing(poll=0.05, lease=5, retry_base=0.2), name="test")
    n.outbox.start_cursor()
    return n


def test_the_owner_gets_one_email_with_the_link_amount_and_a_way_back(shop, users_file, smtp):
    notifier = notifier_for(shop, users_file, smtp)
    shop.pay(shop.link(5001, "sales"), "chrg_1", amount=125_000)
    shop.pay(5001, "chrg_failed", status="failed")  # not paid: no alert
    notifier.turn()
    notifier.turn()  # nothing new: nothing sent again
    (mail,) = smtp.handler.to("sales@example.com")
    body = mail.get_content()
    assert mail["Subject"] == "Paid: Link #5001, 1,250.00 THB"
    assert "Link #5001 was paid 1,250.00 THB." in body
    assert "https://console.example.com/?team=101&link=5001" in body
    assert mail["From"] == "Links+ <alerts@example.com>"
    assert len(smtp.handler.messages) == 1  # the manager did not subscribe
    assert notifier.outbox.counts() == {SENT: 1}
    notifier.close()


def test_alerts_start_after_the_first_run_not_with_the_history(sqlite_shop, users_file, smtp):
    shop = sqlite_shop
    shop.pay(shop.link(5002, "sales"), "chrg_old")
    notifier = notifier_for(shop, users_file, smtp)
    shop.pay(5002, "chrg_new")
    notifier.turn()
    assert len(smtp.handler.messages) == 1
    notifier.close()


def test_a_thai_reader_gets_thai_with_the_name_from_links_plus(
    sqlite_shop, users_file, smtp, sandbox
):
    shop = sqlite_shop
    sandbox.seed_links(7401, 1, name="ผ้าไหม Silk scarf")
    link = sandbox.client().list_links(7401)[0]
    shop.workspace.set_user_prefs("somsri", UserPrefs("th"))
    notifier = notifier_for(
        shop, users_file, smtp, api_key=sandbox.api_key, api_base_url=sandbox.url
    )
    shop.pay(shop.link(link.id, "somsri", team=7401), "chrg_th", amount=89_000)
    notifier.turn()
    (mail,) = smtp.handler.to("somsri@example.com")
    assert mail["Subject"] == f"ชำระแล้ว: {link.name}, 890.00 THB"
    assert f"{link.name} ได้รับชำระ 890.00 THB แล้ว" in mail.get_content()
    notifier.close()


def test_email_turned_off_sends_none_and_line_gets_the_push_line_documents(
    sqlite_shop, users_file, smtp, line_api
):
    shop = sqlite_shop
    save_alert_prefs(shop.workspace, "sales", email_on=False, line_user_id=LINE_ID)
    notifier = notifier_for(shop, users_file, smtp, line=line_api)
    shop.pay(shop.link(5004, "sales"), "chrg_line")
    notifier.turn()
    assert smtp.handler.messages == []
    assert line_api.problems == []
    (push,) = line_api.pushes
    assert push["to"] == LINE_ID
    assert push["messages"][0]["type"] == "text"
    assert "Link #5004 was paid 1,250.00 THB." in push["messages"][0]["text"]
    assert push["retry_key"]  # LINE drops a second push with the same key
    notifier.close()


def test_a_wrong_line_token_is_retried_and_never_logged(sqlite_shop, users_file, line_api, caplog):
    shop = sqlite_shop
    save_alert_prefs(shop.workspace, "sales", email_on=False, line_user_id=LINE_ID)
    notifier = notifier_for(shop, users_file, line=line_api)
    notifier.line._client.configuration.access_token = "wrong-secret-token"
    shop.pay(shop.link(5005, "sales"), "chrg_bad_token")
    with caplog.at_level(logging.WARNING):
        notifier.turn()
    (row,) = notifier.outbox.rows()
    assert row.state == PENDING and row.attempts == 1 and "HTTP 401" in row.error
    assert "wrong-secret-token" not in caplog.text + row.error
    notifier.close()


def test_a_manager_subscribed_to_the_team_gets_every_payment_of_it(sqlite_shop, users_file, smtp):
    shop = sqlite_shop
    save_alert_prefs(shop.workspace, "manager", team_alerts=True)
    save_alert_prefs(shop.workspace, "other", team_alerts=True)  # manager of team 102 only
    notifier = notifier_for(shop, users_file, smtp)
    shop.pay(shop.link(5006, "sales"), "chrg_team")
    notifier.turn()
    assert len(smtp.handler.to("sales@example.com")) == 1
    assert len(smtp.handler.to("manager@example.com")) == 1
    assert smtp.handler.to("other@example.com") == []
    notifier.close()


def test_only_managers_may_subscribe_to_the_team_and_line_ids_are_checked(sqlite_shop):
    with pytest.raises(PrefsError, match="Only managers"):
        save_alert_prefs(sqlite_shop.workspace, "sales", team_alerts=True, roles=["sales"])
    with pytest.raises(PrefsError, match="LINE user id"):
        save_alert_prefs(sqlite_shop.workspace, "sales", line_user_id="@my-line-name")
    assert sqlite_shop.workspace.alert_prefs("sales") == AlertPrefs()


def test_a_failing_mail_server_is_retried_with_backoff_then_sent(sqlite_shop, users_file, smtp):
    shop = sqlite_shop
    smtp.handler.refuse = 2
    notifier = notifier_for(shop, users_file, smtp)
    shop.pay(shop.link(5007, "sales"), "chrg_retry")
    notifier.turn()
    (row,) = notifier.outbox.rows()
    assert (row.state, row.attempts) == (PENDING, 1) and "451" in row.error
    first_wait = row.next_attempt_at - datetime.now(UTC)
    notifier.turn()  # not due yet: nothing is tried
    assert notifier.outbox.rows()[0].attempts == 1
    waits = []
    while notifier.outbox.rows()[0].state == PENDING:
        waits.append(notifier.outbox.rows()[0].next_attempt_at)
        notifier.turn()
    # The second wait (after the second refusal) is twice the first.
    assert len(set(waits)) == 2
    assert timedelta(0) < first_wait <= timedelta(seconds=0.2)
    assert len(smtp.handler.to("sales@example.com")) == 1
    row = notifier.outbox.rows()[0]
    assert (row.state, row.attempts) == (SENT, 2)
    notifier.close()


def test_a_message_failing_for_a_day_is_given_up(sqlite_shop, users_file, caplog):
    shop = sqlite_shop
    notifier = notifier_for(shop, users_file, smtp_url="smtp://user:s3cret-pw@127.0.0.1:9")
    shop.pay(shop.link(5008, "sales"), "chrg_never")
    with caplog.at_level(logging.WARNING):
        notifier.turn()
    with shop.workspace.engine.begin() as conn:
        conn.execute(
            update(outbox).values(
                created_at=datetime.now(UTC) - timedelta(days=1), next_attempt_at=datetime.now(UTC)
            )
        )
    notifier.turn()
    (row,) = notifier.outbox.rows()
    assert (row.state, row.attempts) == (FAILED, 2)
    assert "smtp://user:••••@127.0.0.1:9" in row.error
    assert "s3cret-pw" not in row.error + caplog.text + repr(notifier.email)
    notifier.close()


def test_a_user_without_an_email_address_gets_no_email(sqlite_shop, users_file, smtp):
    shop = sqlite_shop
    notifier = notifier_for(shop, users_file, smtp)
    shop.pay(shop.link(5009, "noemail"), "chrg_noemail")
    notifier.turn()
    assert smtp.handler.messages == [] and notifier.outbox.rows() == []
    notifier.close()


def test_the_alert_names_the_customer_and_flags_a_payment_after_void(shop, users_file, smtp):
    from linksplus.workspace import customers as cust
    from linksplus.workspace.schema import voids

    notifier = notifier_for(shop, users_file, smtp)
    cust.save_customer(
        shop.workspace, shop.link(5101, "sales"), 101, cust.Customer(name="Khun Somsak"), "sales"
    )
    cust.void_link(shop.workspace, shop.link(5102, "sales"), 101, "sales", "wrong amount")
    with shop.workspace.engine.begin() as conn:  # voided before the payment's time
        conn.execute(update(voids).values(voided_at=datetime(2026, 12, 7, 9, tzinfo=UTC)))
    shop.pay(5101, "chrg_c1")
    shop.pay(5102, "chrg_v1")
    notifier.turn()
    mails = {m["Subject"]: m.get_content() for m in smtp.handler.to("sales@example.com")}
    assert "Customer: Khun Somsak" in mails["Paid: Link #5101, 1,250.00 THB"]
    voided = mails["Paid after void: Link #5102, 1,250.00 THB"]
    assert voided.startswith("Paid after it was voided: refund it in the Omise dashboard")
    assert "Customer:" not in voided
    notifier.close()
