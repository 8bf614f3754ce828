"""Typed Links+ objects. Unknown fields are kept in `extra`, never dropped or refused."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, ClassVar, Self


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO 8601 string (or datetime) as a timezone-aware UTC datetime; None stays None."""
    if value is None or value == "":
        return None
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def format_timestamp(dt: datetime) -> str:
    """A datetime as the API's ISO 8601 UTC form, ``2026-02-14T10:35:00Z``."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class _Resource:
    """Common parsing: declared fields are typed, the rest go to `extra`."""

    _timestamps: ClassVar[tuple[str, ...]] = ("created_at", "updated_at")
    _known: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Self:
        known = cls._known or frozenset(f.name for f in fields(cls)) - {"extra"}
        values = {k: v for k, v in data.items() if k in known}
        for name in cls._timestamps:
            if name in values:
                values[name] = parse_timestamp(values[name])
        values["extra"] = {k: v for k, v in data.items() if k not in known and k != "object"}
        return cls._normalise(values)

    @classmethod
    def _normalise(cls, values: dict[str, Any]) -> Self:
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The object as the API's JSON shape again, unknown fields included."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "extra":
                continue
            value = getattr(self, f.name)
            out[f.name] = format_timestamp(value) if isinstance(value, datetime) else value
        out.update(self.extra)
        return out


@dataclass(slots=True)
class Link(_Resource):
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
    def _normalise(cls, values: dict[str, Any]) -> Link:
        # The brief calls the payer's URL payment_url; client code in the wild reads
        # transaction_url. Accept either, keep the other in extra.
        if not values.get("payment_url"):
            values["payment_url"] = values["extra"].get("transaction_url")
        if values.get("currency"):
            values["currency"] = str(values["currency"]).lower()
        return cls(**values)


@dataclass(slots=True)
class Template(_Resource):
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
