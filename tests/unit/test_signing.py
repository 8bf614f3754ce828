"""Webhook signatures as Omise makes them: HMAC-SHA256 of "{timestamp}.{body}"."""

import base64
import hashlib
import hmac

import pytest

from linksplus.webhooks.signing import (
    SignatureChecker,
    SignatureError,
    generate_secret,
    sign_headers,
    verify,
)

BODY = b'{"event":"payment.completed","link_id":789}'
NOW = 1_771_065_300


def test_signature_is_hmac_of_timestamp_and_body_under_the_decoded_secret():
    secret = generate_secret()
    headers = sign_headers(BODY, secret, timestamp=NOW)
    expected = hmac.new(
        base64.b64decode(secret), f"{NOW}.".encode() + BODY, hashlib.sha256
    ).hexdigest()
    assert headers == {"Omise-Signature": expected, "Omise-Signature-Timestamp": str(NOW)}
    assert verify(BODY, headers, secret, now=NOW) == NOW


def test_either_of_two_signatures_is_enough_during_a_rotation():
    old, new, other = generate_secret(), generate_secret(), generate_secret()
    headers = sign_headers(BODY, [old, new], timestamp=NOW)
    assert "," in headers["Omise-Signature"]
    for secrets in ([old], [new], [other, new]):
        assert (
            SignatureChecker(secrets).check(BODY, str(NOW), headers["Omise-Signature"], now=NOW)
            == NOW
        )
    with pytest.raises(SignatureError, match="does not match"):
        SignatureChecker([other]).check(BODY, str(NOW), headers["Omise-Signature"], now=NOW)


@pytest.mark.parametrize(
    ("timestamp", "signature", "reason"),
    [
        (None, "sig", "missing"),
        (str(NOW), None, "missing"),
        ("soon", "sig", "not a Unix time"),
        (str(NOW - 301), "good", "more than 300 s"),
        (str(NOW + 301), "good", "more than 300 s"),
        (str(NOW), "zz", "does not match"),
        (str(NOW), "good-upper", "does not match"),
    ],
)
def test_bad_deliveries_are_refused_with_the_reason(timestamp, signature, reason):
    secret = generate_secret()
    good = sign_headers(
        BODY, secret, timestamp=int(timestamp) if (timestamp or "").isdigit() else NOW
    )["Omise-Signature"]
    signature = {"good": good, "good-upper": good.upper()}.get(signature, signature)
    headers = {
        k: v
        for k, v in (("Omise-Signature-Timestamp", timestamp), ("omise-signature", signature))
        if v is not None
    }
    with pytest.raises(SignatureError, match=reason):
        verify(BODY, headers, secret, now=NOW)


def test_a_body_changed_after_signing_is_refused():
    secret = generate_secret()
    headers = sign_headers(BODY, secret, timestamp=NOW)
    with pytest.raises(SignatureError, match="does not match"):
        verify(BODY.replace(b"789", b"790"), headers, secret, now=NOW)


def test_a_secret_that_is_not_base64_is_refused_at_once():
    with pytest.raises(ValueError, match="base64"):
        SignatureChecker(["not base64!"])
