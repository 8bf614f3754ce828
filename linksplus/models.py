"""Typed Links+ objects. Unknown fields are kept in `extra`, never dropped or refused.

Read defensively: ids, amounts and booleans may arrive as strings (``"12300"``,
``"true"``) and are coerced; the payer's URL may be called ``payment_url`` or
``transaction_url``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

_TRUE = frozenset({"true", "1", "yes", "on", "t", "y"})


def as_int(value: Any) -> int | None:
    """An integer from an int, an integral float or a decimal string (``"12300"``); None
    for anything else (booleans included: they are no numbers)."""
    if value.__class__ is int:
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if digits.isascii() and digits.isdecimal():
            return int(text)
    return None


def as_bool(value: Any) -> bool:
    """A boolean from a bool, a number or a string (``"true"``/``"false"``, ``"1"``/``"0"``);
    anything unrecognised is False, the API's default for its flags."""
    if value.__class__ is bool:
        return value
    if isinstance(value, str):
        return value.strip().lower() in _TRUE
    if isinstance(value, int | float):
        return value != 0
    return False


def _int(value: Any) -> int | None:
    # Inlined fast path: almost every id is already an int.
    return value if value.__class__ is int else as_int(value)


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO 8601 string (or datetime) as a timezone-aware UTC datetime; None stays None."""
    if value.__class__ is str and value:
        dt = datetime.fromisoformat(value)  # C code; the API's "...Z" form gives UTC directly
    elif value is None or value == "":
        return None
    else:
        dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if dt.tzinfo is UTC:  # the API's own "...Z" form: nothing to convert
        return dt
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def format_timestamp(dt: datetime) -> str:
    """A datetime as the API's ISO 8601 UTC form, ``2026-02-14T10:35:00Z``."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _extra(data: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    # Lists parse thousands of objects, so callers skip this call when nothing is unknown.
    return {k: v for k, v in data.items() if k not in known}


def _to_dict(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(obj):
        if f.name != "extra":
            value = getattr(obj, f.name)
            out[f.name] = format_timestamp(value) if isinstance(value, datetime) else value
    out.update(obj.extra)
    return out


@dataclass(slots=True)
class Link:
    """A payment link. `amount` is in minor units of `currency`."""

    id: int
    team_id: int | None = None
    template_id: int | None = None
    name: str = ""
    amount: int = 0
    currency: str = ""
    multiple_usage: bool = False
    additional: str | None = None
    custom_webhook: str | None = None
    payment_url: str | None = None
    status: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Link:
        """A link from the API's JSON object."""
        get = data.get
        id_, team, template = get("id"), get("team_id"), get("template_id")
        amount, multiple = get("amount"), get("multiple_usage")
        created, updated = get("created_at"), get("updated_at")
        # Lists parse thousands of links (~1.5 us each was a tenth of list_links' time on
        # localhost): when the numbers and flag already have their types, as the API sends
        # them, one check of their classes replaces the coercions.
        if not (
            id_.__class__ is int
            and team.__class__ is int
            and template.__class__ is int
            and amount.__class__ is int
            and multiple.__class__ is bool
        ):
            id_, team, template = _int(id_), _int(team), _int(template)
            amount, multiple = _int(amount) or 0, as_bool(multiple)
        created_at = parse_timestamp(created)
        # A link never changed has updated_at == created_at: one datetime serves both.
        updated_at = created_at if updated == created else parse_timestamp(updated)
        return cls(
            id_,
            team,
            template,
            get("name") or "",
            amount,
            str(get("currency") or "").lower(),
            multiple,
            get("additional"),
            get("custom_webhook"),
            # The brief calls the payer's URL payment_url; client code in the wild reads
            # transaction_url. Accept either (the other stays in extra).
            get("payment_url") or get("transaction_url"),
            get("status") or "",
            created_at,
            updated_at,
            {} if _LINK_FIELDS.issuperset(data) else _extra(data, _LINK_FIELDS),
        )

    def to_dict(self) -> dict[str, Any]:
        """The link as the API's JSON shape again, unknown fields included."""
        return _to_dict(self)


@dataclass(slots=True)
class Template:
    """A team's link template; `currency` and `amount` are the defaults for new links."""

    id: int
    team_id: int | None = None
    created_by: int | None = None
    name: str = ""
    language: str | None = None
    status: str = ""
    features: list[Any] = field(default_factory=list)
    currency: str | None = None
    amount: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Template:
        """A template from the API's JSON object."""
        get = data.get
        currency = get("currency")
        return cls(
            _int(get("id")),
            _int(get("team_id")),
            _int(get("created_by")),
            get("name") or "",
            get("language"),
            get("status") or "",
            list(get("features") or []),
            currency.lower() if isinstance(currency, str) else None,
            _int(get("amount")),
            parse_timestamp(get("created_at")),
            parse_timestamp(get("updated_at")),
            {} if _TEMPLATE_FIELDS.issuperset(data) else _extra(data, _TEMPLATE_FIELDS),
        )

    def to_dict(self) -> dict[str, Any]:
        """The template as the API's JSON shape again, unknown fields included."""
        return _to_dict(self)


@dataclass(slots=True)
class Page:
    """One page of an Omise list: its items and the list's envelope.

    `total` is None when the answer did not say (then only a short page tells the end);
    `from_` and `to` are the list's time window as the service wrote it; `location` is the
    list's path. Unknown envelope fields are kept in `extra`.
    """

    data: list[Any]
    total: int | None = None
    limit: int | None = None
    offset: int | None = None
    order: str | None = None
    from_: str | None = None
    to: str | None = None
    location: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_api(cls, body: Any, parse: Callable[[dict], Any] | None = None) -> Page:
        """A page from the API's list JSON; each item passed through `parse` when given."""
        if not isinstance(body, dict):
            body = {}
        items = body.get("data")
        items = items if isinstance(items, list) else []
        order, location = body.get("order"), body.get("location")
        return cls(
            [parse(item) for item in items] if parse else items,
            as_int(body.get("total")),
            as_int(body.get("limit")),
            as_int(body.get("offset")),
            order if isinstance(order, str) else None,
            _text(body.get("from")),
            _text(body.get("to")),
            location if isinstance(location, str) else None,
            {k: v for k, v in body.items() if k not in _PAGE_FIELDS},
        )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


_PAGE_FIELDS = frozenset(
    {"object", "data", "total", "limit", "offset", "order", "from", "to", "location"}
)


def _field_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls)) - {"extra"} | {"object"}


_LINK_FIELDS = _field_names(Link)
_TEMPLATE_FIELDS = _field_names(Template)
