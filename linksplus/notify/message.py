"""What an alert says, in the recipient's language: the link, the amount, the customer (when
known) and the way back to the console."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from linksplus.i18n import _, format_datetime, use_language
from linksplus.money import display_amount

BANGKOK = "Asia/Bangkok"


@dataclass(frozen=True)
class Alert:
    """A paid-link alert's text: `subject` (email) and `body` (email and LINE)."""

    subject: str
    body: str


def customer_of(payment_id: str) -> str | None:
    """The customer who paid, for the alert. A hook: Links+ payments carry no customer field
    yet (another part of issue 21 adds one); until then no customer is named."""
    return None


def console_link(console_url: str, link_id: int, team_id: int | None) -> str | None:
    """The link's detail in the console (the Links page opens it from ``?link=``)."""
    if not console_url:
        return None
    query = f"team={team_id}&link={link_id}" if team_id else f"link={link_id}"
    return f"{console_url.rstrip('/')}/?{query}"


def compose(
    language: str,
    *,
    link_name: str,
    amount: int,
    currency: str,
    paid_at: datetime,
    customer: str | None,
    link_url: str | None,
) -> Alert:
    """The alert in `language` ("en", "th"); names and ids are not translated."""
    use_language(language)
    money = display_amount(amount, currency, code=True)
    subject = _("Paid: {name}, {amount}").format(name=link_name, amount=money)
    lines = [
        _("{name} was paid {amount}.").format(name=link_name, amount=money),
        _("When: {time}").format(time=format_datetime(paid_at, BANGKOK)),
    ]
    if customer:
        lines.append(_("Customer: {customer}").format(customer=customer))
    if link_url:
        lines.append(_("See it in Links+ Console: {url}").format(url=link_url))
    return Alert(subject, "\n".join(lines) + "\n")
