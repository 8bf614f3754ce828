"""Reading the API key from the Authorization header in the three ways Links+ accepts.

``Basic base64(key:)`` (``curl -u key:``; the password is ignored), ``Bearer key``, and the
bare key as the whole header value, as Omise's own Links+ page shows.
"""

from __future__ import annotations

import base64
import binascii
import hmac


def key_from_header(value: str | None) -> str | None:
    """The key an Authorization header carries, or None when it carries none."""
    if not value:
        return None
    value = value.strip()
    scheme, _, rest = value.partition(" ")
    if rest and scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(rest.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return None
        return decoded.partition(":")[0] or None
    if rest and scheme.lower() == "bearer":
        return rest.strip() or None
    return value


def is_authorized(header: str | None, api_key: str) -> bool:
    """Whether the header carries `api_key`, compared in constant time."""
    key = key_from_header(header)
    return key is not None and hmac.compare_digest(key.encode(), api_key.encode())
