"""The receiver's OpenAPI description, served at /openapi.json (for people and for
schemathesis, which checks the running receiver against it)."""

from __future__ import annotations

from linksplus.events import (
    MAX_AMOUNT,
    MAX_BIGINT,
    MAX_EVENT_LEN,
    MAX_PAYMENT_ID_LEN,
    MAX_STATUS_LEN,
)
from linksplus.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER

OPENAPI_PATH = "/openapi.json"


def _answer(description: str, statuses: list[str]) -> dict:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {
                        "status": {"type": "string", "enum": statuses},
                        "reason": {"type": "string"},
                        "field": {"type": "string"},
                    },
                }
            }
        },
    }


def _text(max_len: int) -> dict:
    """A string field as `linksplus.events` checks it: not blank, no NUL (PostgreSQL text
    cannot hold one; every backend refuses it alike)."""
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": max_len,
        "pattern": "^[^\\x00]*$",
        "description": "Not only spaces; a NUL character (U+0000) is refused (400).",
    }


_REFUSED = _answer("Refused; `reason` says why (and `field` which field).", ["rejected"])

PAYMENT_EVENT = {
    "type": "object",
    "required": ["event", "link_id", "payment", "timestamp"],
    "properties": {
        "event": _text(MAX_EVENT_LEN),
        "link_id": {"type": "integer", "minimum": 0, "maximum": MAX_BIGINT},
        "payment": {
            "type": "object",
            "required": ["id", "amount", "currency", "status"],
            "properties": {
                "id": _text(MAX_PAYMENT_ID_LEN),
                "amount": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": MAX_AMOUNT,
                    "description": "Minor units (satang, cents, yen).",
                },
                "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$"},
                "status": _text(MAX_STATUS_LEN),
            },
        },
        "timestamp": {"type": "string", "format": "date-time"},
    },
}

OPENAPI = {
    "openapi": "3.0.3",
    "info": {
        "title": "Links+ webhook receiver",
        "version": "1",
        "description": (
            "Records Links+ payment webhooks exactly once. A delivery is acknowledged (200) "
            "only once it is committed; 503 means the sender should retry later."
        ),
    },
    "paths": {
        "/webhooks/linksplus": {
            "post": {
                "summary": "Deliver a payment event",
                "parameters": [
                    {
                        "name": TIMESTAMP_HEADER,
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "pattern": "^[0-9]+$"},
                        "description": (
                            "Unix seconds, ASCII digits only (no sign, space or underscore); "
                            "required when the receiver has a secret, which refuses (401) "
                            "anything else."
                        ),
                    },
                    {
                        "name": SIGNATURE_HEADER,
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "Required when the receiver has a secret.",
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": PAYMENT_EVENT}},
                },
                "responses": {
                    "200": _answer("Stored, or already stored.", ["accepted", "duplicate"]),
                    "400": _REFUSED,
                    "401": _REFUSED,
                    "408": {"description": "Headers or body came too slowly (plain text)."},
                    "413": _REFUSED,
                    "503": _answer("The event log cannot take it now; retry later.", ["error"]),
                },
            }
        },
        "/healthz": {
            "get": {
                "summary": "Can deliveries be stored now?",
                "responses": {
                    "200": {"description": "Reads and writes work."},
                    "503": {"description": "They do not; `database.error` says why."},
                },
            }
        },
    },
}

# The same delivery at one path per webhook, so that the log records which one sent it.
_DELIVER = OPENAPI["paths"]["/webhooks/linksplus"]["post"]
OPENAPI["paths"]["/webhooks/linksplus/{source}"] = {
    "post": {
        **_DELIVER,
        "summary": "Deliver a payment event from the system, dashboard or custom webhook",
        "parameters": [
            {
                "name": "source",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "enum": ["system", "dashboard", "custom"]},
                "description": "Which Links+ webhook points here; recorded with the delivery.",
            },
            *_DELIVER["parameters"],
        ],
        "responses": {**_DELIVER["responses"], "404": _REFUSED},
    }
}
