"""Typed Links+ objects. Unknown fields are kept in `extra`, never dropped or refused."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any


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
        return cls(
            get("id"),
            get("team_id"),
            get("template_id"),
            get("name") or "",
            get("amount") or 0,
            (get("currency") or "").lower(),
            bool(get("multiple_usage")),
            get("additional"),
            get("custom_webhook"),
            # The brief calls the payer's URL payment_url; client code in the wild reads
            # transaction_url. Accept either (the other stays in extra).
            get("payment_url") or get("transaction_url"),
            get("status") or "",
            parse_timestamp(get("created_at")),
            parse_timestamp(get("updated_at")),
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
            get("id"),
            get("team_id"),
            get("created_by"),
            get("name") or "",
            get("language"),
            get("status") or "",
            list(get("features") or []),
            currency.lower() if isinstance(currency, str) else None,
            get("amount"),
            parse_timestamp(get("created_at")),
            parse_timestamp(get("updated_at")),
            {} if _TEMPLATE_FIELDS.issuperset(data) else _extra(data, _TEMPLATE_FIELDS),
        )

    def to_dict(self) -> dict[str, Any]:
        """The template as the API's JSON shape again, unknown fields included."""
        return _to_dict(self)


def _field_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls)) - {"extra"} | {"object"}


_LINK_FIELDS = _field_names(Link)
_TEMPLATE_FIELDS = _field_names(Template)
