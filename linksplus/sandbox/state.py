"""The sandbox's memory: teams, templates, links, payments, deliveries and idempotency keys.

Everything lives in one `Store` guarded by one re-entrant lock. Links and templates are kept
as their API dicts, each in lists in creation order (every object, and per team), so a list
page is a slice. Each object caches its JSON text until it changes, so answering a page of
100 links joins 100 ready strings instead of serialising them again.
"""

from __future__ import annotations

import json
import secrets
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from linksplus.models import format_timestamp
from linksplus.sandbox.errors import bad_request, not_found

FIRST_TEAM_ID = 101
FIRST_TEMPLATE_ID = 3650
FIRST_LINK_ID = 1001
LINK_STATUSES = ("active", "used", "expired", "disabled")
PAYMENT_STATUSES = ("successful", "failed")


def now_stamp() -> str:
    """The current time as the API writes it (``2026-02-14T10:35:00Z``)."""
    return format_timestamp(datetime.now(UTC))


class Item:
    """One API object: its dict and, until the dict changes, its JSON text."""

    __slots__ = ("_json", "data")

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self._json: str | None = None

    @property
    def id(self) -> int:
        return self.data["id"]

    @property
    def json(self) -> str:
        if self._json is None:
            self._json = json.dumps(self.data, ensure_ascii=False, separators=(",", ":"))
        return self._json

    def update(self, **changes: Any) -> None:
        self.data.update(changes)
        self._json = None


class Collection:
    """Items in creation order with their created_at keys, for slicing list pages."""

    __slots__ = ("items", "keys", "sorted")

    def __init__(self) -> None:
        self.items: list[Item] = []
        self.keys: list[str] = []
        self.sorted = True

    def append(self, item: Item) -> None:
        key = item.data["created_at"]
        # ISO 8601 UTC strings of one width sort as the times they name.
        if self.keys and key < self.keys[-1]:
            self.sorted = False
        self.items.append(item)
        self.keys.append(key)

    def window(self, start: str | None, end: str | None) -> list[Item]:
        """The items created between `start` and `end` (both inclusive; None is open)."""
        if start is None and end is None:
            return self.items
        if self.sorted:
            lo = bisect_left(self.keys, start) if start else 0
            hi = bisect_right(self.keys, end) if end else len(self.items)
            return self.items[lo:hi]
        return [
            i
            for i, k in zip(self.items, self.keys, strict=True)
            if (start is None or k >= start) and (end is None or k <= end)
        ]


@dataclass
class Team:
    """A team: links and templates belong to one."""

    id: int
    name: str
    templates: Collection
    links: Collection

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


@dataclass
class IdempotentResult:
    """The first answer given under an Idempotency-Key, and what was asked."""

    fingerprint: str
    status: int
    body: str


class Store:
    """Every object of one sandbox. Hold `lock` across a read-then-write sequence."""

    def __init__(self, base_url: str = "http://127.0.0.1:8765"):
        self.base_url = base_url.rstrip("/")
        self.lock = threading.RLock()
        self.clear()

    def clear(self) -> None:
        """Forget everything: the state of a freshly started empty sandbox."""
        with self.lock:
            self.teams: dict[int, Team] = {}
            self.templates: dict[int, Item] = {}
            self.all_templates = Collection()
            self.links: dict[int, Item] = {}
            self.all_links = Collection()
            self.links_by_token: dict[str, Item] = {}
            self.payments: list[dict[str, Any]] = []
            self.payments_by_link: dict[int, list[dict[str, Any]]] = {}
            self.deliveries: list[dict[str, Any]] = []
            self.idempotency: dict[str, IdempotentResult] = {}
            self._next_template_id = FIRST_TEMPLATE_ID
            self._next_link_id = FIRST_LINK_ID

    # -- teams and templates -----------------------------------------------------------

    def add_team(self, name: str, team_id: int | None = None) -> Team:
        """A new team, or the existing one with this id renamed."""
        with self.lock:
            if team_id is None:
                team_id = max([FIRST_TEAM_ID - 1, *self.teams]) + 1
            team = self.teams.get(team_id)
            if team is None:
                team = Team(team_id, name, Collection(), Collection())
                self.teams[team_id] = team
            else:
                team.name = name
            return team

    def ensure_team(self, team_id: int) -> Team:
        """The team, made with a placeholder name when it does not exist yet."""
        with self.lock:
            return self.teams.get(team_id) or self.add_team(f"Team {team_id}", team_id)

    def team(self, team_id: int) -> Team:
        """The team, or a 404 `ApiError`."""
        team = self.teams.get(team_id)
        if team is None:
            raise not_found(f"No team {team_id} is visible to this key.")
        return team

    def add_template(
        self,
        team_id: int,
        *,
        name: str,
        currency: str,
        amount: int | None,
        language: str = "en",
        features: Iterable[str] = ("card",),
        status: str = "active",
        created_by: int = 1,
        created_at: str | None = None,
    ) -> Item:
        """A new template of the team (made if missing); `amount` may be None."""
        with self.lock:
            team = self.ensure_team(team_id)
            stamp = created_at or now_stamp()
            item = Item(
                {
                    "object": "template",
                    "id": self._next_template_id,
                    "team_id": team_id,
                    "created_by": created_by,
                    "name": name,
                    "language": language,
                    "status": status,
                    "features": list(features),
                    "currency": currency.lower(),
                    "amount": amount,
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
            self._next_template_id += 1
            self.templates[item.id] = item
            self.all_templates.append(item)
            team.templates.append(item)
            return item

    def template(self, template_id: int) -> Item:
        """The template, or a 404 `ApiError`."""
        item = self.templates.get(template_id)
        if item is None:
            raise not_found(f"No template {template_id} is visible to this key.")
        return item

    # -- links ---------------------------------------------------------------------------

    def add_link(
        self,
        team_id: int,
        template_id: int,
        *,
        name: str,
        amount: int,
        currency: str,
        multiple_usage: bool = False,
        additional: str | None = None,
        custom_webhook: str | None = None,
        status: str = "active",
        created_at: str | None = None,
        updated_at: str | None = None,
        token: str | None = None,
    ) -> Item:
        """A new link; the caller has checked its parameters."""
        with self.lock:
            team = self.ensure_team(team_id)
            stamp = created_at or now_stamp()
            token = token or secrets.token_urlsafe(12)
            item = Item(
                {
                    "object": "link",
                    "id": self._next_link_id,
                    "team_id": team_id,
                    "template_id": template_id,
                    "name": name,
                    "amount": amount,
                    "currency": currency.lower(),
                    "multiple_usage": multiple_usage,
                    "additional": additional,
                    "custom_webhook": custom_webhook,
                    "payment_url": f"{self.base_url}/pay/{token}",
                    "status": status,
                    "created_at": stamp,
                    "updated_at": updated_at or stamp,
                }
            )
            self._next_link_id += 1
            self.links[item.id] = item
            self.links_by_token[token] = item
            self.all_links.append(item)
            team.links.append(item)
            return item

    def link(self, link_id: int) -> Item:
        """The link, or a 404 `ApiError`."""
        item = self.links.get(link_id)
        if item is None:
            raise not_found(f"No link {link_id} is visible to this key.")
        return item

    def set_link_status(self, link: Item, status: str, at: str | None = None) -> None:
        """Change a link's status (expired, disabled...), as the service would."""
        if status not in LINK_STATUSES:
            raise bad_request(f'"status" must be one of {", ".join(LINK_STATUSES)}.')
        with self.lock:
            link.update(status=status, updated_at=at or now_stamp())

    # -- payments ------------------------------------------------------------------------

    def add_payment(
        self,
        link: Item,
        *,
        status: str,
        amount: int | None = None,
        created_at: str | None = None,
        payment_id: str | None = None,
    ) -> dict[str, Any]:
        """Record a payment on `link` as a payer made it; a paid single-use link is used.

        Refuses (400) a link that is not active: used, expired or disabled links take no
        payment, successful or not.
        """
        if status not in PAYMENT_STATUSES:
            raise bad_request(f'"status" must be one of {", ".join(PAYMENT_STATUSES)}.')
        with self.lock:
            data = link.data
            if data["status"] != "active":
                reason = {
                    "used": "it was already paid",
                    "expired": "it has expired",
                    "disabled": "it is disabled",
                }.get(data["status"], data["status"])
                raise bad_request(f"Link {data['id']} cannot take a payment: {reason}.")
            stamp = created_at or now_stamp()
            payment = {
                "object": "payment",
                "id": payment_id or "chrg_test_" + secrets.token_hex(10)[:19],
                "link_id": data["id"],
                "team_id": data["team_id"],
                "amount": data["amount"] if amount is None else amount,
                "currency": data["currency"],
                "status": status,
                "created_at": stamp,
            }
            self.payments.append(payment)
            self.payments_by_link.setdefault(data["id"], []).append(payment)
            if status == "successful" and not data["multiple_usage"]:
                link.update(status="used", updated_at=stamp)
            return payment

    # -- idempotency ---------------------------------------------------------------------

    def remember(self, key: str, fingerprint: str, status: int, body: str) -> None:
        """Keep the answer given under an Idempotency-Key, to answer its repeats."""
        with self.lock:
            self.idempotency[key] = IdempotentResult(fingerprint, status, body)

    # -- deliveries ----------------------------------------------------------------------

    def record_delivery(self, attempt: dict[str, Any]) -> None:
        """Append one webhook attempt to the delivery log."""
        with self.lock:
            self.deliveries.append(attempt)
