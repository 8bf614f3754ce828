"""Reconciliation: what Links+ says about a team's links against what the webhooks said.

Kinds (`KINDS`): ``missed_webhook``, Links+ marks a single-use link paid (``used``) but the
log has no successful payment of it; ``unknown_link``, the log has a payment of a link no
checked team has and Links+ answers "not found" for (ids it knows elsewhere, or could not
be asked about, are only counted); ``amount_differs``/``currency_differs``, a payment that
is not the link's amount or currency. Multiple-use links stay active when paid, so Links+
says nothing to compare about them. The log has no team: README, "Reconciliation".

A `Difference` holds facts only (ids, minor units, currencies, statuses); the sentences
come from `what_to_do` and its neighbours, in the language current when shown, so a stored check
reads right in Thai and English alike.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from linksplus.client import LinksPlusClient
from linksplus.errors import NotFoundError
from linksplus.eventlog import EventLog, audit
from linksplus.eventlog.audit import LoggedPayment
from linksplus.i18n import _, format_datetime, format_number, ngettext
from linksplus.models import Link, as_bool
from linksplus.money import display_amount

MISSED_WEBHOOK = "missed_webhook"
UNKNOWN_LINK = "unknown_link"
AMOUNT_DIFFERS = "amount_differs"
CURRENCY_DIFFERS = "currency_differs"
KINDS = (MISSED_WEBHOOK, UNKNOWN_LINK, AMOUNT_DIFFERS, CURRENCY_DIFFERS)
# Link statuses that mean "paid": the sandbox's (and, we expect, Links+'s) ``used`` for a
# paid single-use link; the others are read too because the docs do not name the status.
PAID_STATUSES = frozenset({"used", "paid", "completed"})
SUCCESSFUL = "successful"
# Link ids asked of Links+ one by one for the unknown-link kind; more are left unconfirmed.
CONFIRM_MAX = 50
# Differences kept and listed; beyond, only counted (a broken webhook setup can make
# thousands, and one sentence says what to do about all of them).
LISTED_MAX = 1000


@dataclass(frozen=True, slots=True)
class Difference:
    """One difference: its kind, where (team, link, payment), and each side's facts."""

    kind: str
    team_id: int | None
    link_id: int
    payment_id: str | None = None
    api_status: str | None = None
    api_amount: int | None = None
    api_currency: str | None = None
    log_status: str | None = None
    log_amount: int | None = None
    log_currency: str | None = None


@dataclass(frozen=True)
class Reconciliation:
    """One check's result: when, by whom, over what, and every difference found."""

    checked_at: datetime
    checked_by: str | None
    teams: tuple[int, ...]
    links: int
    payments: int
    differences: tuple[Difference, ...]
    more: int = 0  # differences found beyond LISTED_MAX, counted but not listed
    unconfirmed: int = 0  # link ids not in any checked team that Links+ was not asked about
    elsewhere: int = 0  # link ids not in any checked team that Links+ knows in another
    counts: dict[str, int] = field(default_factory=dict)  # per kind, listed or not

    @property
    def total(self) -> int:
        """How many differences were found, listed or not."""
        return len(self.differences) + self.more

    def to_json(self) -> str:
        data = asdict(self)
        data["checked_at"] = self.checked_at.isoformat()
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Reconciliation:
        data = json.loads(text)
        data["checked_at"] = datetime.fromisoformat(data["checked_at"])
        data["teams"] = tuple(data["teams"])
        data["differences"] = tuple(Difference(**d) for d in data["differences"])
        return cls(**data)


def marked_paid(link: Link) -> bool:
    """Whether Links+ says `link` was paid: a paid status, or a ``used``/``paid`` flag
    among its fields this console does not model."""
    if link.status.lower() in PAID_STATUSES:
        return True
    return any(as_bool(link.extra.get(name)) for name in ("used", "paid"))


# Why a link of the API differs from the links mirror (`workspace.links_mirror`): the
# mirror has not seen it yet, or saw an older status (its full pass has not come by).
MIRROR_NEW, MIRROR_CHANGED = "not_in_mirror_yet", "status_changed_since"


def mirror_behind(api_links: Iterable[Link], mirrored: Iterable[Link]) -> dict[int, str]:
    """The links where the mirror the console's views read is behind what Links+ answers
    now (reconciliation reads the API): per link id, `MIRROR_NEW` (made since the mirror's
    last look) or `MIRROR_CHANGED` (its status changed since the mirror's last pass). A
    difference on such a link in a mirror-based view came from the mirror being behind,
    not from a missed webhook."""
    seen = {link.id: link.status for link in mirrored}
    out: dict[int, str] = {}
    for link in api_links:
        status = seen.get(link.id)
        if status is None:
            out[link.id] = MIRROR_NEW
        elif status != link.status:
            out[link.id] = MIRROR_CHANGED
    return out


def compare_team(
    team_id: int, links: Iterable[Link], logged: Iterable[LoggedPayment]
) -> list[Difference]:
    """The missed-webhook and amount/currency differences of one team's links."""
    by_link: dict[int, list[LoggedPayment]] = defaultdict(list)
    for payment in logged:
        by_link[payment.link_id].append(payment)
    found: list[Difference] = []
    for link in links:
        mine = by_link.get(link.id, ())
        if marked_paid(link) and not any(p.status == SUCCESSFUL for p in mine):
            found.append(
                Difference(
                    MISSED_WEBHOOK,
                    team_id,
                    link.id,
                    api_status=link.status,
                    api_amount=link.amount,
                    api_currency=link.currency,
                    log_status=mine[0].status if mine else None,
                )
            )
        for p in mine:
            currency = str(p.currency).lower()
            kind = (
                CURRENCY_DIFFERS
                if currency != link.currency
                else AMOUNT_DIFFERS
                if int(p.amount) != link.amount
                else None
            )
            if kind:
                found.append(
                    Difference(
                        kind,
                        team_id,
                        link.id,
                        p.payment_id,
                        link.status,
                        link.amount,
                        link.currency,
                        p.status,
                        int(p.amount),
                        currency,
                    )
                )
    return found


def reconcile(
    client: LinksPlusClient,
    log: EventLog,
    team_ids: Sequence[int],
    *,
    checked_by: str | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Reconciliation:
    """Compare every team of `team_ids` (its links read through the client's paging) with
    the event log, then keep the result in the log (`audit.save_check`) and return it."""
    teams = tuple(dict.fromkeys(int(t) for t in team_ids))
    found: list[Difference] = []
    known: set[int] = set()
    links_seen = payments_seen = 0
    for team in teams:
        links = client.list_links(team)
        ids = [link.id for link in links]
        known.update(ids)
        logged = audit.link_payments(log, ids) if ids else []
        links_seen += len(links)
        payments_seen += len(logged)
        found += compare_team(team, links, logged)
    candidates = sorted(audit.logged_link_ids(log) - known)
    unknown, elsewhere, unasked = _confirm_unknown(client, candidates[:CONFIRM_MAX])
    if unknown:
        orphans = audit.link_payments(log, unknown)
        payments_seen += len(orphans)
        found += [
            Difference(
                UNKNOWN_LINK,
                None,
                p.link_id,
                p.payment_id,
                log_status=p.status,
                log_amount=int(p.amount),
                log_currency=str(p.currency).lower(),
            )
            for p in sorted(orphans, key=lambda p: (p.link_id, p.occurred_at, p.payment_id))
        ]
    counts: dict[str, int] = {}
    for diff in found:
        counts[diff.kind] = counts.get(diff.kind, 0) + 1
    result = Reconciliation(
        checked_at=now(),
        checked_by=checked_by,
        teams=teams,
        links=links_seen,
        payments=payments_seen,
        differences=tuple(found[:LISTED_MAX]),
        more=max(0, len(found) - LISTED_MAX),
        unconfirmed=max(0, len(candidates) - CONFIRM_MAX) + unasked,
        elsewhere=elsewhere,
        counts=counts,
    )
    audit.save_check(log, result.checked_at, checked_by, result.total, result.to_json())
    return result


def _confirm_unknown(client: LinksPlusClient, link_ids: list[int]) -> tuple[list[int], int, int]:
    """The ids Links+ answers "not found" for, how many it knows (in a team not checked),
    and how many it could not be asked about (an error: never reported as unknown)."""

    def ask(link_id: int) -> str:
        try:
            client.get_link(link_id)
        except NotFoundError:
            return "unknown"
        except Exception:  # not confirmed either way: never reported as unknown
            return "unconfirmed"
        return "elsewhere"

    if not link_ids:
        return [], 0, 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(ask, link_ids))
    unknown = [i for i, a in zip(link_ids, answers, strict=True) if a == "unknown"]
    return unknown, answers.count("elsewhere"), answers.count("unconfirmed")


def last_check(log: EventLog) -> Reconciliation | None:
    """The newest check kept in the log, or None before the first."""
    text = audit.last_check(log)
    return None if text is None else Reconciliation.from_json(text)


# -- what a person reads ----------------------------------------------------------------


def kind_label(kind: str) -> str:
    """The kind as a short label."""
    return {
        MISSED_WEBHOOK: _("Paid in Links+, no payment in the log"),
        UNKNOWN_LINK: _("Payment for a link Links+ does not know"),
        AMOUNT_DIFFERS: _("Amount differs from the link's"),
        CURRENCY_DIFFERS: _("Currency differs from the link's"),
    }.get(kind, kind)


def _money(amount: int | None, currency: str | None) -> str:
    if amount is None or not currency:
        return "—"
    return display_amount(amount, currency, code=True)


def links_plus_side(diff: Difference) -> str:
    """What Links+ says, in a phrase."""
    if diff.kind == UNKNOWN_LINK:
        return _("No such link (not found)")
    return _("Link {amount}, status {status}").format(
        amount=_money(diff.api_amount, diff.api_currency), status=diff.api_status or "—"
    )


def log_side(diff: Difference) -> str:
    """What the event log says, in a phrase."""
    if diff.kind == MISSED_WEBHOOK:
        if diff.log_status:
            return _("No successful payment (latest: {status})").format(status=diff.log_status)
        return _("No payment at all")
    return _("Payment {amount}, {status}").format(
        amount=_money(diff.log_amount, diff.log_currency), status=diff.log_status or "—"
    )


def what_to_do(diff: Difference) -> str:
    """The sentence saying what to do about `diff`."""
    if diff.kind == MISSED_WEBHOOK:
        return _(
            "Check this link's payment in the Links+ dashboard. If it was paid in the last "
            "two days, Links+ may still be retrying the webhook: check again later. "
            "Otherwise look for a refused delivery in the Webhook log, fix its cause "
            "(often the webhook secret or address), and ask Omise to send the webhook again."
        )
    if diff.kind == UNKNOWN_LINK:
        return _(
            "Links+ has no link with this id for this account. Check that the webhook "
            "belongs to this account (another account or a test setup may be sending to "
            "our receiver); until then, do not count this payment."
        )
    if diff.kind == CURRENCY_DIFFERS:
        return _(
            "The payment is in another currency than the link. Look it up in the Omise "
            "dashboard before counting it, and report it to Omise if the charge is real."
        )
    return _(
        "The payment's amount is not the link's. Look it up in the Omise dashboard (a "
        "partial refund or a changed link can explain it) before counting it."
    )


def summary(result: Reconciliation | None, tz: str = "UTC") -> str:
    """One sentence: what the last check found and when (in the time zone `tz`)."""
    if result is None:
        return _("No reconciliation has been run yet.")
    when = format_datetime(result.checked_at, tz)
    if not result.total:
        return _("Nothing differs: checked at {time}.").format(time=when)
    return ngettext(
        "{count} difference found at {time}.", "{count} differences found at {time}.", result.total
    ).format(count=format_number(result.total), time=when)
