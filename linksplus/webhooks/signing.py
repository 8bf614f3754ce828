"""Signing and verifying webhook deliveries, as Omise signs its webhooks.

A delivery carries ``Omise-Signature-Timestamp`` (Unix seconds) and ``Omise-Signature``:
the hex HMAC-SHA256 of ``"{timestamp}.{raw body}"`` keyed with the base64-decoded secret.
While a secret is rotated the header holds two signatures separated by a comma; either one
valid is enough. The sandbox signs with `sign_headers`, the receiver checks with `verify`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as _secrets
import time
from collections.abc import Iterable, Mapping

SIGNATURE_HEADER = "Omise-Signature"
TIMESTAMP_HEADER = "Omise-Signature-Timestamp"
TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    """A delivery's signature is missing, malformed, wrong or too old; the message says which."""


def generate_secret() -> str:
    """A new random webhook secret, base64 encoded."""
    return base64.b64encode(_secrets.token_bytes(32)).decode()


def decode_secret(secret: str) -> bytes:
    """The HMAC key of a base64 secret; ValueError when it is not base64."""
    try:
        return base64.b64decode(secret.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("The webhook secret must be base64 encoded.") from None


def compute_signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"{timestamp}.{body}"`` under `secret`."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(decode_secret(secret), message, hashlib.sha256).hexdigest()


def sign_headers(
    body: bytes, secret: str | Iterable[str], *, timestamp: int | None = None
) -> dict[str, str]:
    """The two headers that sign `body`; several secrets give comma-separated signatures."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    keys = [secret] if isinstance(secret, str) else list(secret)
    signature = ",".join(compute_signature(k, ts, body) for k in keys)
    return {SIGNATURE_HEADER: signature, TIMESTAMP_HEADER: str(ts)}


class SignatureChecker:
    """Checks deliveries against one or more secrets (several while one is rotated).

    The keys are decoded once, so a receiver builds one checker and calls `check` per
    delivery. Every candidate signature is compared with every key in constant time.
    """

    def __init__(self, secrets: list[str], tolerance: int = TOLERANCE_SECONDS):
        self._keys = [decode_secret(s) for s in secrets]
        self._tolerance = tolerance

    def check(
        self, body: bytes, raw_ts: str | None, raw_sig: str | None, now: float | None = None
    ) -> int:
        """The delivery's timestamp when a signature is valid, else `SignatureError`."""
        if not raw_ts or not raw_sig:
            raise SignatureError("missing Omise-Signature or Omise-Signature-Timestamp header")
        # int() would also take "1765_123", "+1765", " 1765" and non-ASCII digits.
        if not (raw_ts.isascii() and raw_ts.isdigit()):
            raise SignatureError("Omise-Signature-Timestamp is not a Unix time (digits 0-9 only)")
        try:
            ts = int(raw_ts)
        except ValueError:  # more digits than int() reads
            raise SignatureError("Omise-Signature-Timestamp is not a Unix time") from None
        current = time.time() if now is None else now
        if abs(current - ts) > self._tolerance:
            raise SignatureError(f"timestamp is more than {self._tolerance} s from now")
        message = b"%d.%b" % (ts, body)
        expected = [hmac.digest(key, message, "sha256").hex().encode() for key in self._keys]
        ok = False
        for candidate in raw_sig.split(","):
            candidate = candidate.strip()
            if candidate:
                encoded = candidate.encode()
                for exp in expected:
                    # no early exit: every pair is compared
                    ok |= hmac.compare_digest(encoded, exp)
        if not ok:
            raise SignatureError("signature does not match")
        return ts


def verify(
    body: bytes,
    headers: Mapping[str, str],
    secret: str | Iterable[str],
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Check a delivery's signature; its timestamp when valid, else `SignatureError`.

    `headers` is looked up case-insensitively.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    keys = [secret] if isinstance(secret, str) else list(secret)
    return SignatureChecker(keys, tolerance).check(
        body, lowered.get(TIMESTAMP_HEADER.lower()), lowered.get(SIGNATURE_HEADER.lower()), now=now
    )
