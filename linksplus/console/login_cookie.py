"""The console's login cookie: what it holds, how it is signed, and how it is read.

A JWT signed with `cookie_key` (HS256 only), holding the username, its expiry, the
generation of the user's logins it was made in (`Workspace.login_generation`) and a keyed
fingerprint of the user's password hash. Whatever else a browser sends (another algorithm,
``alg: none``, another key, garbage, a huge value, a payload of the wrong shape) reads as
no login.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from typing import Any, NamedTuple

import jwt

ALGORITHM = "HS256"
# Ours are about 250 characters; a browser sends up to 4 KB per cookie. Longer is not
# decoded at all.
MAX_LENGTH = 4096
_MAX_USERNAME = 200


class LoginClaims(NamedTuple):
    """What a verified login cookie says."""

    username: str
    expires: float  # Unix time
    generation: int
    password: str  # password_fingerprint() of the hash the login was made with
    second: bool = False  # the login passed the user's second factor (TOTP)


def password_fingerprint(password_hash: str, key: str) -> str:
    """A short keyed digest of a user's password hash: a changed password (or reset) in the
    users file ends logins made with the old one, and the cookie tells nothing of the hash."""
    digest = hmac.new(key.encode(), password_hash.encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def encode(claims: LoginClaims, key: str) -> str:
    """The signed cookie value for `claims`."""
    payload = {
        "username": claims.username,
        "exp_date": claims.expires,
        "gen": claims.generation,
        "pwd": claims.password,
        "mfa": bool(claims.second),
    }
    return jwt.encode(payload, key, algorithm=ALGORITHM)


def decode(value: Any, key: str, now: float | None = None) -> LoginClaims | None:
    """The claims of a cookie signed with `key` (HS256) and not expired; None for anything
    else, never an exception."""
    if not isinstance(value, str) or not value or len(value) > MAX_LENGTH or not key:
        return None
    try:
        payload = jwt.decode(value, key, algorithms=[ALGORITHM])
    except Exception:  # jwt.PyJWTError, and whatever a hostile value finds beyond it
        return None
    return _claims(payload, time.time() if now is None else now)


def _claims(payload: Any, now: float) -> LoginClaims | None:
    if not isinstance(payload, dict):
        return None
    username, expires = payload.get("username"), payload.get("exp_date")
    generation, password = payload.get("gen"), payload.get("pwd")
    if not isinstance(username, str) or not 0 < len(username) <= _MAX_USERNAME:
        return None
    if isinstance(expires, bool) or not isinstance(expires, (int, float)):
        return None
    if not math.isfinite(expires) or expires <= now:
        return None
    if isinstance(generation, bool) or not isinstance(generation, int) or generation < 0:
        return None
    if not isinstance(password, str) or not password:
        return None
    second = payload.get("mfa") is True
    return LoginClaims(username.lower(), float(expires), generation, password, second)
