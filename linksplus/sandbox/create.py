"""Making a link from a create request's JSON, with the checks the real service makes.

The parameter rules are `linksplus.validation.link_param_errors`, the same the client
applies before sending, so the sandbox and the client never disagree. On top come the
checks only the service can make: the raw JSON's types, whether the team and template
exist, and whether the template belongs to the team.
"""

from __future__ import annotations

from typing import Any

from linksplus.sandbox.errors import ApiError, bad_request
from linksplus.sandbox.state import Item, Store
from linksplus.validation import link_param_errors

OPTIONAL_FIELDS = ("multiple_usage", "additional", "custom_webhook")


def parse_id(value: Any, name: str) -> int:
    """A JSON id as an int; numeric strings like ``"12"`` are accepted, as Links+ does."""
    if value is None:
        raise bad_request(f'"{name}" is required')
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdecimal():
        return int(value.strip())
    raise bad_request(f'"{name}" must be a number')


def create_link(store: Store, body: Any) -> Item:
    """The new link `body` asks for, or an `ApiError` saying why not (400 or 404)."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    template_id = parse_id(body.get("template_id"), "template_id")
    team_id = parse_id(body.get("team_id"), "team_id")
    with store.lock:
        team = store.team(team_id)
        template = store.template(template_id).data
        if template["team_id"] != team.id:
            raise bad_request(
                f"Template {template_id} belongs to another team, not to team {team_id}."
            )
        if template["status"] != "active":
            raise bad_request(f"Template {template_id} is inactive; links cannot use it.")
        currency = body.get("currency")
        if currency is None:
            currency = template["currency"]
        params: dict[str, Any] = {
            "template_id": template_id,
            "team_id": team_id,
            "name": body.get("name"),
            "amount": body.get("amount"),
            "currency": currency.lower() if isinstance(currency, str) else currency,
        }
        params.update({k: body[k] for k in OPTIONAL_FIELDS if body.get(k) is not None})
        if params.get("custom_webhook") == "":
            del params["custom_webhook"]
        errors = link_param_errors(params)
        if errors:
            raise ApiError(400, " ".join(errors.values()))
        return store.add_link(
            team_id,
            template_id,
            name=params["name"],
            amount=params["amount"],
            currency=params["currency"],
            multiple_usage=params.get("multiple_usage", False),
            additional=params.get("additional"),
            custom_webhook=params.get("custom_webhook"),
        )
