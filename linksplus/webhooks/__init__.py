"""Webhooks: signing and verifying deliveries, and the receiver that records them."""

from linksplus.webhooks.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureChecker,
    SignatureError,
    compute_signature,
    generate_secret,
    sign_headers,
    verify,
)

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "SignatureChecker",
    "SignatureError",
    "compute_signature",
    "generate_secret",
    "sign_headers",
    "verify",
]
