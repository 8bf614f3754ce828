"""The payment event: what one `payment.completed` webhook says, checked and normalised.

`validate` checks a decoded payload (a dict) and answers a `PaymentEvent` with the fields
the event log stores, else raises `PayloadError`, whose ``field`` names the culprit. The
limits here are the event log's column sizes and the amount ceiling. The webhook side reads
the body into that dict (`linksplus.webhooks.payload`); the event log stores the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from linksplus import models

# Column sizes of the event log; longer values are refused here rather than failing in SQL.
MAX_EVENT_LEN = 100
MAX_PAYMENT_ID_LEN = 255
MAX_STATUS_LEN = 50
MAX_BIGINT = 2**63 - 1
# The largest payment.amount taken, in minor units: 10^15 is ten trillion baht (or yen, a
# hundred billion dollars), far above any real charge, so it refuses only nonsense, and a
# report can add up thousands of ceiling amounts before a 64-bit total would overflow.
MAX_AMOUNT = 10**15
_CURRENCY = re.compile(r"[A-Za-z]{3}")


class PayloadError(ValueError):
    """A payload that cannot be recorded; `field` is the dotted name of the culprit."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(slots=True)
class PaymentEvent:
    """The checked, normalised fields of one delivery (currency lower case, time in UTC).

    Not frozen: a frozen dataclass sets each field through object.__setattr__, which made
    building one the dearest step of `validate`. Treat it as read-only all the same.
    """

    event: str
    link_id: int
    payment_id: str
    amount: int
    currency: str
    status: str
    occurred_at: datetime
    payload: dict[str, Any]


def _text(data: dict, key: str, field: str, max_len: int) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(f"{field} must be a non-empty string", field)
    if len(value) > max_len:
        raise PayloadError(f"{field} is longer than {max_len} characters", field)
    if "\x00" in value:
        # PostgreSQL text cannot hold NUL; refuse it the same way on every backend.
        raise PayloadError(f"{field} contains a NUL character", field)
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            # JSON's "\ud800" escape reads as a lone surrogate, which no database can
            # store: refused here, before it reaches one.
            raise PayloadError(
                f"{field} contains an escaped lone surrogate (\\ud800-\\udfff), "
                "which is not a character",
                field,
            ) from None
    return value


def _integer(data: dict, key: str, field: str, maximum: int = MAX_BIGINT) -> int:
    value = data.get(key)
    # bool is an int subclass in Python, but true/false is not a number in JSON terms.
    if not isinstance(value, int) or isinstance(value, bool):
        raise PayloadError(f"{field} must be an integer", field)
    if not 0 <= value <= maximum:
        raise PayloadError(f"{field} must be between 0 and {maximum}", field)
    return value


def parse_timestamp(value: Any, field: str = "timestamp") -> datetime:
    """An ISO 8601 string as an aware UTC datetime; one without an offset is taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(f"{field} must be an ISO 8601 string", field)
    try:
        return models.parse_timestamp(value.strip())
    except (ValueError, OverflowError):  # overflow: 9999-12-31T23:59-01:00 is past year 9999
        raise PayloadError(
            f"{field} is not an ISO 8601 date and time: {value[:40]!r}", field
        ) from None


def validate(data: Any) -> PaymentEvent:
    """Check a decoded payload; the `PaymentEvent` to record, else PayloadError."""
    if not isinstance(data, dict):
        raise PayloadError("the payload must be a JSON object")
    event = _text(data, "event", "event", MAX_EVENT_LEN)
    link_id = _integer(data, "link_id", "link_id")
    payment = data.get("payment")
    if not isinstance(payment, dict):
        raise PayloadError("payment must be an object", "payment")
    payment_id = _text(payment, "id", "payment.id", MAX_PAYMENT_ID_LEN)
    amount = _integer(payment, "amount", "payment.amount", MAX_AMOUNT)
    currency = payment.get("currency")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise PayloadError(
            "payment.currency must be a three-letter currency code", "payment.currency"
        )
    status = _text(payment, "status", "payment.status", MAX_STATUS_LEN)
    occurred_at = parse_timestamp(data.get("timestamp"))
    return PaymentEvent(
        event=event,
        link_id=link_id,
        payment_id=payment_id,
        amount=amount,
        currency=currency.lower(),
        status=status,
        occurred_at=occurred_at,
        payload=data,
    )


def summary(data: Any) -> dict[str, Any]:
    """Best-effort event, payment_id and link_id of any payload, for the delivery log.

    Used for rejected deliveries, so nothing here may raise; values are shortened.
    """
    if not isinstance(data, dict):
        return {}
    out: dict[str, Any] = {}
    if isinstance(data.get("event"), str):
        out["event"] = data["event"][:MAX_EVENT_LEN]
    link_id = data.get("link_id")
    if isinstance(link_id, int) and not isinstance(link_id, bool) and 0 <= link_id <= MAX_BIGINT:
        out["link_id"] = link_id
    payment = data.get("payment")
    if isinstance(payment, dict) and isinstance(payment.get("id"), str):
        out["payment_id"] = payment["id"][:MAX_PAYMENT_ID_LEN]
    return {k: storable(v) if isinstance(v, str) else v for k, v in out.items()}


def storable(text: str) -> str:
    """`text` as every database can store it: NULs dropped, lone surrogates as "?"."""
    text = text.replace("\x00", "")
    return text if text.isascii() else text.encode("utf-8", "replace").decode("utf-8")
