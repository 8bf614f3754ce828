"""What the receiver's OpenAPI promises about its input is what it does: a NUL in a text
field is refused, and the signature's timestamp is plain digits (int() alone also took
"1_765_123_456", "+1765123456", " 1765123456" and fullwidth digits)."""

from __future__ import annotations

import json
import re
import time

import jsonschema
import pytest
import requests
from webhooks.conftest import sqlite_url, start_receiver  # noqa: F401
from webhooks.webhook_helpers import SECRET, payment_event

from linksplus.webhooks.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    compute_signature,
    verify,
)


def schema_of(server) -> dict:
    return requests.get(f"{server.base}/openapi.json", timeout=10).json()


def test_a_nul_in_a_text_field_is_refused_by_the_receiver_and_by_its_openapi(
    start_receiver,  # noqa: F811
    sqlite_url,  # noqa: F811
):
    server = start_receiver(sqlite_url)
    operation = schema_of(server)["paths"]["/webhooks/linksplus"]["post"]
    body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
    cases = {
        "event": payment_event("chrg_nul_event", event="payment\x00completed"),
        "payment.id": payment_event("chrg\x00nul"),
        "payment.status": payment_event("chrg_nul_status", status="succ\x00essful"),
    }
    for field, payload in cases.items():
        answer = requests.post(server.url, json=payload, timeout=10)
        assert (answer.status_code, answer.json()["field"]) == (400, field)
        assert "NUL" in answer.json()["reason"]
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(payload, body_schema)  # the description says so too
    accepted = payment_event("chrg_plain")
    jsonschema.validate(accepted, body_schema)
    assert requests.post(server.url, json=accepted, timeout=10).status_code == 200


@pytest.mark.parametrize("written", ["{:_}", "+{}"], ids=["underscores", "plus"])
def test_a_signature_timestamp_that_is_not_plain_digits_is_refused(
    start_receiver,  # noqa: F811
    sqlite_url,  # noqa: F811
    written,
):
    server = start_receiver(sqlite_url, secret=SECRET)
    body = json.dumps(payment_event("chrg_odd_timestamp")).encode()
    now = int(time.time())
    # Signed over the timestamp's value, so only its spelling is wrong.
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: written.format(now),
        SIGNATURE_HEADER: compute_signature(SECRET, now, body),
    }
    answer = requests.post(server.url, data=body, headers=headers, timeout=10)
    assert answer.status_code == 401
    assert "digits 0-9 only" in answer.json()["reason"]
    # The OpenAPI says the same.
    (param,) = [
        p
        for p in schema_of(server)["paths"]["/webhooks/linksplus"]["post"]["parameters"]
        if p["name"] == TIMESTAMP_HEADER
    ]
    assert not re.search(param["schema"]["pattern"], written.format(now))
    headers[TIMESTAMP_HEADER] = str(now)
    assert requests.post(server.url, data=body, headers=headers, timeout=10).status_code == 200


FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize(
    "spell",
    [
        lambda ts: f" {ts}",
        lambda ts: f"{ts} ",
        lambda ts: f"{ts:_}",
        lambda ts: f"+{ts}",
        lambda ts: str(ts).translate(FULLWIDTH),
    ],
    ids=["leading space", "trailing space", "underscores", "plus", "fullwidth"],
)
def test_verify_takes_only_ascii_digits(spell):
    now = 1765123456
    body = b"{}"
    headers = {
        TIMESTAMP_HEADER: spell(now),
        SIGNATURE_HEADER: compute_signature(SECRET, now, body),
    }
    assert int(spell(now)) == now  # what int() alone would have taken
    with pytest.raises(SignatureError, match="digits 0-9 only"):
        verify(body, headers, SECRET, now=now)
    headers[TIMESTAMP_HEADER] = str(now)
    assert verify(body, headers, SECRET, now=now) == now
