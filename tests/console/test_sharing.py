"""Share messages and the addresses that open them in LINE, WhatsApp, email and SMS."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from linksplus.console.sharing import (
    payment_message,
    reminder_message,
    share_urls,
    subject,
)

URL = "https://pay.example.com/l/abc?x=1&y=2"


def test_the_message_has_the_name_the_amount_with_currency_and_the_address():
    en = payment_message("Deposit  for\norder 1042", 125050, "thb", URL, "en")
    assert "Deposit for order 1042" in en and "1,250.50 THB" in en and URL in en
    th = payment_message("มัดจำ ห้อง 12", 1000, "jpy", URL, "th")
    assert "มัดจำ ห้อง 12" in th and "1,000 JPY" in th and URL in th and "ชำระ" in th
    reminder = reminder_message("Class fee", 50000, "thb", URL, "en")
    assert "reminder" in reminder and "500.00 THB" in reminder and URL in reminder
    with pytest.raises(ValueError, match="language"):
        payment_message("x", 100, "thb", URL, "fr")


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True, strict_parsing=False)


@pytest.mark.parametrize("lang", ["en", "th"])
def test_every_share_address_carries_the_whole_message_intact(lang):
    message = payment_message("A&B = #1 + 50% ภาษาไทย", 125050, "thb", URL, lang)
    urls = share_urls(message, subject("A&B = #1", lang))
    assert urls["LINE"].startswith("https://line.me/R/share?text=")
    assert urls["WhatsApp"].startswith("https://wa.me/?text=")
    assert urls["Email"].startswith("mailto:?subject=")
    assert urls["SMS"].startswith("sms:?&body=")
    assert _query(urls["LINE"])["text"] == [message]
    assert _query(urls["WhatsApp"])["text"] == [message]
    assert _query(urls["Email"])["body"] == [message]
    assert _query(urls["Email"])["subject"][0].endswith("A&B = #1")
    assert _query(urls["SMS"])["body"] == [message]
    for url in urls.values():
        # Nothing of the message is raw in the address: no spaces, newlines, &, # or Thai.
        assert not any(c in url.split("?", 1)[1] for c in " \n#+ภ"), url


def test_a_thai_message_takes_the_senders_particle():
    ka = payment_message("มัดจำ", 1000, "thb", URL, "th")
    krap = payment_message("มัดจำ", 1000, "thb", URL, "th", "krap")
    assert ka.startswith("สวัสดีค่ะ") and ka.endswith("ขอบคุณค่ะ") and "ครับ" not in ka
    assert krap.startswith("สวัสดีครับ") and krap.endswith("ขอบคุณครับ") and "ค่ะ" not in krap
    reminder = reminder_message("มัดจำ", 1000, "thb", URL, "th", "krap")
    assert "ยังรอการชำระเงินอยู่ครับ" in reminder and "ค่ะ" not in reminder
    assert payment_message("x", 100, "thb", URL, "en", "krap").startswith("Hello")
    with pytest.raises(ValueError, match="particle"):
        payment_message("x", 100, "thb", URL, "th", "na")
