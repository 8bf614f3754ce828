"""Bulk links for tests and benchmarks: N links on a team, made as fast as the store allows."""

from __future__ import annotations

from typing import Any

from linksplus.money import AmountError, get_currency
from linksplus.sandbox.errors import bad_request
from linksplus.sandbox.state import Item, Store, now_stamp

# A team seeded without a template gets this one: THB with 500.00 as the default amount.
DEFAULT_TEMPLATE = {"name": "Seeded template", "currency": "thb", "amount": 50_000}


def _seed_template(store: Store, team_id: int, template_id: int | None) -> Item:
    if template_id is not None:
        template = store.template(template_id)
        if template.data["team_id"] != team_id:
            raise bad_request(
                f"Template {template_id} belongs to another team, not to team {team_id}."
            )
        return template
    team = store.ensure_team(team_id)
    if team.templates.items:
        return team.templates.items[0]
    return store.add_template(team_id, **DEFAULT_TEMPLATE)


def seed_links(
    store: Store,
    team_id: int,
    count: int,
    *,
    currency: str | None = None,
    template_id: int | None = None,
) -> dict[str, Any]:
    """Make the team (and a template) if missing, then `count` active single-use links."""
    if count < 0:
        raise bad_request('"count" must be at least 0')
    with store.lock:
        template = _seed_template(store, team_id, template_id).data
        try:
            cur = get_currency(currency or template["currency"])
        except AmountError as exc:
            raise bad_request(str(exc)) from None
        amount = template["amount"] if cur.code == template["currency"] else None
        amount = amount or max(cur.min_amount, 100 * cur.factor)
        stamp = now_stamp()
        add = store.add_link
        first = len(store.teams[team_id].links.items) + 1
        for n in range(first, first + count):
            add(
                team_id,
                template["id"],
                name=f"Seeded link {n}",
                amount=amount,
                currency=cur.code,
                created_at=stamp,
            )
        return {
            "team_id": team_id,
            "template_id": template["id"],
            "created": count,
            "total": len(store.teams[team_id].links.items),
        }
