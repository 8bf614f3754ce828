"""Messages to send a payment link, and the addresses that open them in an app.

Each share address carries the message percent-encoded as UTF-8 (Thai included), so LINE,
WhatsApp, a mail client or the phone's SMS app opens with the text filled in.
"""

from __future__ import annotations

from urllib.parse import quote

from linksplus.money import format_amount

LANGUAGES = {"th": "ไทย", "en": "English"}
# Thai ends a polite sentence with the speaker's particle: ค่ะ (a woman), ครับ (a man).
# Each salesperson chooses theirs; ค่ะ until they do.
PARTICLES = {"ka": "ค่ะ", "krap": "ครับ"}
DEFAULT_PARTICLE = "ka"

_PAYMENT = {
    "en": "Hello, here is the payment link for {name}: {amount}.\nPay here: {url}\nThank you!",
    "th": "สวัสดี{p} ลิงก์ชำระเงินสำหรับ {name} ยอด {amount}\nชำระได้ที่: {url}\nขอบคุณ{p}",
}
_REMINDER = {
    "en": "Hello, a friendly reminder: {name} ({amount}) is still waiting for payment.\n"
    "Pay here: {url}\nThank you!",
    "th": "สวัสดี{p} ขอแจ้งเตือนว่า {name} ยอด {amount} ยังรอการชำระเงินอยู่{p}\nชำระได้ที่: {url}\nขอบคุณ{p}",
}
_SUBJECT = {"en": "Payment link: {name}", "th": "ลิงก์ชำระเงิน: {name}"}


def _fill(
    texts: dict[str, str],
    lang: str,
    link: tuple[str, int, str, str],
    particle: str = DEFAULT_PARTICLE,
) -> str:
    if lang not in texts:
        raise ValueError(f"language must be one of {', '.join(texts)}, not {lang!r}")
    if particle not in PARTICLES:
        raise ValueError(f"particle must be one of {', '.join(PARTICLES)}, not {particle!r}")
    name, amount, currency, url = link
    shown = format_amount(int(amount), currency, code=True)
    return texts[lang].format(
        name=" ".join(name.split()), amount=shown, url=url, p=PARTICLES[particle]
    )


def payment_message(
    name: str,
    amount: int,
    currency: str,
    url: str,
    lang: str = "en",
    particle: str = DEFAULT_PARTICLE,
) -> str:
    """A ready message sending a link: its name, amount with currency and address; in
    Thai, polite with the sender's `particle` ("ka" or "krap")."""
    return _fill(_PAYMENT, lang, (name, amount, currency, url), particle)


def reminder_message(
    name: str,
    amount: int,
    currency: str,
    url: str,
    lang: str = "en",
    particle: str = DEFAULT_PARTICLE,
) -> str:
    """A polite reminder that a link is still unpaid, with its address."""
    return _fill(_REMINDER, lang, (name, amount, currency, url), particle)


def subject(name: str, lang: str = "en") -> str:
    """An email subject for a link's message."""
    return _SUBJECT.get(lang, _SUBJECT["en"]).format(name=" ".join(name.split()))


def share_urls(message: str, email_subject: str = "") -> dict[str, str]:
    """App -> the address that opens `message` there: LINE, WhatsApp, email and SMS."""
    text = quote(message, safe="")
    return {
        "LINE": f"https://line.me/R/share?text={text}",
        "WhatsApp": f"https://wa.me/?text={text}",
        "Email": f"mailto:?subject={quote(email_subject, safe='')}&body={text}",
        "SMS": f"sms:?&body={text}",
    }
