"""Reading a Links+ payment webhook's body: the bytes on the wire into the payload dict.

The brief's payload::

    {"event": "payment.completed", "link_id": 789,
     "payment": {"id": "chrg_test_xxx", "amount": 100000, "currency": "thb",
                 "status": "successful"},
     "timestamp": "2026-02-14T10:35:00Z"}

`parse_body` turns raw bytes into a dict; `linksplus.events.validate` checks that dict into
the `PaymentEvent` to store (re-exported here with its limits, as the webhook's checks).
Both raise `PayloadError`, whose ``field`` names the offending field (None for the body as
a whole). Unknown fields are not errors: they stay in the payload.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from linksplus.events import (
    MAX_AMOUNT,
    MAX_BIGINT,
    MAX_EVENT_LEN,
    MAX_PAYMENT_ID_LEN,
    MAX_STATUS_LEN,
    PayloadError,
    PaymentEvent,
    parse_timestamp,
    storable,
    summary,
    validate,
)

__all__ = [
    "MAX_AMOUNT",
    "MAX_BIGINT",
    "MAX_BODY_BYTES",
    "MAX_EVENT_LEN",
    "MAX_PAYMENT_ID_LEN",
    "MAX_STATUS_LEN",
    "PayloadError",
    "PaymentEvent",
    "parse_body",
    "parse_timestamp",
    "storable",
    "summary",
    "validate",
]

MAX_BODY_BYTES = 64 * 1024


def _reads_differently(data: Any) -> bool:
    # orjson reads an integer beyond 64 bits as a float; json keeps it an int. Where that
    # changes what validate says (link_id, payment.amount), the stdlib reading is used.
    if type(data.get("link_id")) is float:
        return True
    payment = data.get("payment")
    return isinstance(payment, dict) and type(payment.get("amount")) is float


def parse_body(body: bytes) -> dict[str, Any]:
    """The JSON object in `body`; PayloadError when it is not JSON or not an object.

    orjson reads well-formed UTF-8 JSON five times faster than json; whatever it refuses
    (NaN, a BOM, UTF-16, lone surrogates, malformed text) is read by json, so what is
    accepted and the error message are json's.
    """
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    if type(data) is not dict or _reads_differently(data):
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PayloadError(f"malformed JSON: {exc}") from None
        except RecursionError:
            raise PayloadError("malformed JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise PayloadError("the body must be a JSON object")
    return data
