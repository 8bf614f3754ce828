"""Checking a webhook payload: which field is wrong, and what is normalised."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from webhook_helpers import body_of, payment_event

from linksplus.events import PayloadError, summary, validate
from linksplus.webhooks.payload import parse_body


def test_the_briefs_example_is_valid_and_normalised():
    event = validate(payment_event(currency="THB", timestamp="2026-02-14T17:35:00+07:00"))
    assert (
        event.event,
        event.link_id,
        event.payment_id,
        event.amount,
        event.currency,
        event.status,
    ) == ("payment.completed", 789, "chrg_test_1", 100000, "thb", "successful")
    assert event.occurred_at == datetime(2026, 2, 14, 10, 35, tzinfo=UTC)


def _without(key: str) -> dict:
    data = payment_event()
    data.pop(key)
    return data


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (_without("event"), "event"),
        (payment_event(event=5), "event"),
        (payment_event(event=""), "event"),
        (_without("link_id"), "link_id"),
        (payment_event(link_id="789"), "link_id"),
        (payment_event(link_id=False), "link_id"),
        (_without("payment"), "payment"),
        ({**payment_event(), "payment": []}, "payment"),
        (payment_event(payment_id=12), "payment.id"),
        (payment_event(payment_id="a\x00b"), "payment.id"),
        (payment_event(amount="100"), "payment.amount"),
        (payment_event(amount=1.0), "payment.amount"),
        (payment_event(amount=True), "payment.amount"),
        (payment_event(amount=-5), "payment.amount"),
        (payment_event(amount=2**63), "payment.amount"),
        (payment_event(currency="th"), "payment.currency"),
        (payment_event(currency="th1"), "payment.currency"),
        (payment_event(status=None), "payment.status"),
        (payment_event(status="x" * 51), "payment.status"),
        (_without("timestamp"), "timestamp"),
        (payment_event(timestamp=1771065300), "timestamp"),
        (payment_event(timestamp="14/02/2026"), "timestamp"),
    ],
)
def test_invalid_fields_are_named(data, field):
    with pytest.raises(PayloadError) as err:
        validate(data)
    assert err.value.field == field
    assert field in str(err.value)


@pytest.mark.parametrize(
    "body", [b"{", b"", b"[1, 2]", b'"text"', b"\xff\xfe{", b"[" * 100_000, b'{"a":' * 100_000]
)
def test_bodies_that_are_not_a_json_object(body):
    with pytest.raises(PayloadError):
        parse_body(body)


def test_unknown_fields_stay_in_the_payload():
    data = parse_body(body_of(payment_event(extra={"a": [1]})))
    assert validate(data).payload["extra"] == {"a": [1]}


def test_summary_of_a_bad_payload_never_raises():
    assert summary([1]) == {}
    assert summary({"event": "e", "link_id": True, "payment": {"id": "p"}}) == {
        "event": "e",
        "payment_id": "p",
    }
