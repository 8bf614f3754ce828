"""What an alert says, in the recipient's language: the link, the amount, the customer (when
known) and the way back to the console."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from linksplus.i18n import _, format_datetime, use_language
from linksplus.money import display_amount
from linksplus.workspace import Workspace
from linksplus.workspace.customers import PAID_AFTER_VOID, customer_labels, void_of

BANGKOK = "Asia/Bangkok"


@dataclass(frozen=True)
class Alert:
    """A paid-link alert's text: `subject` (email) and `body` (email and LINE)."""

    subject: str
    body: str


def customer_of(workspace: Workspace, link_id: int) -> str | None:
    """The link's customer in a few words (noted in the console; Links+ payments carry no
    customer), or None. The alert goes to the link's own team, which may see it."""
    return customer_labels(workspace, [link_id]).get(int(link_id)) or None


def voided_before(workspace: Workspace, link_id: int, paid_at: datetime) -> bool:
    """Whether the link was void when it was paid."""
    void = void_of(workspace, link_id)
    return void is not None and void.voided_at <= paid_at


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
    voided: bool = False,
) -> Alert:
    """The alert in `language` ("en", "th"); names and ids are not translated. `voided`:
    the link was void when paid, which the alert says first."""
    use_language(language)
    money = display_amount(amount, currency, code=True)
    subject = _("Paid: {name}, {amount}").format(name=link_name, amount=money)
    lines = [
        _("{name} was paid {amount}.").format(name=link_name, amount=money),
        _("When: {time}").format(time=format_datetime(paid_at, BANGKOK)),
    ]
    if customer:
        lines.append(_("Customer: {customer}").format(customer=customer))
    if voided:
        subject = _("Paid after void: {name}, {amount}").format(name=link_name, amount=money)
        lines.insert(0, _(PAID_AFTER_VOID))
    if link_url:
        lines.append(_("See it in Links+ Console: {url}").format(url=link_url))
    return Alert(subject, "\n".join(lines) + "\n")
