"""A login cookie that does not verify gets the login form (issue 23, item 3): whatever it
holds (``alg: none``, another algorithm or key, garbage, 100 KB, a payload that is not a
JSON object, fields missing or of the wrong type), the page is the form, with no
traceback; the cookie is deleted, and a login with the form then works."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import warnings

import jwt
import pytest
from login_app import (
    COOKIE,
    COOKIE_KEY,
    cookie_deleted,
    cookie_written,
    log_in,
    login_form,
)

from linksplus.console import login_cookie

LATER = time.time() + 3600
GOOD = {"username": "sales", "exp_date": LATER, "gen": 0, "pwd": "x" * 32}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signed(header: dict, payload: bytes, key: str = COOKIE_KEY) -> str:
    """A token whose HS256 signature is right for any payload bytes."""
    head = _b64(json.dumps(header).encode()) + "." + _b64(payload)
    mac = hmac.new(key.encode(), head.encode(), hashlib.sha256).digest()
    return head + "." + _b64(mac)


HS256 = {"alg": "HS256", "typ": "JWT"}
with warnings.catch_warnings():  # PyJWT: a 42-byte key is short for HS512 (a forgery here)
    warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
    HS512_OURS = jwt.encode(GOOD, COOKIE_KEY, algorithm="HS512")
FORGED = {
    "alg none": _b64(b'{"alg":"none","typ":"JWT"}') + "." + _b64(json.dumps(GOOD).encode()) + ".",
    "HS512, another key": jwt.encode(GOOD, "another-key-" * 8, algorithm="HS512"),
    "HS512, the cookie key": HS512_OURS,
    "HS256, another key": jwt.encode(GOOD, "another-key-" * 8, algorithm="HS256"),
    "garbage": "not.a.token",
    "no dots": "%%%%",
    "100 KB": "a" * 100_000,
    "100 KB signed": _signed(HS256, json.dumps({**GOOD, "pad": "x" * 100_000}).encode()),
    "payload not JSON": _signed(HS256, b"\xff\xfe not json"),
    "payload a list": _signed(HS256, b'["sales"]'),
    "payload a string": _signed(HS256, b'"sales"'),
    "header not JSON": _b64(b"{{{") + "." + _b64(b"{}") + "." + _b64(b"sig"),
    "no exp_date (the library's shape)": jwt.encode({"username": "sales"}, COOKIE_KEY),
    "no generation": jwt.encode({"username": "sales", "exp_date": LATER}, COOKIE_KEY),
    "exp_date a string": jwt.encode({**GOOD, "exp_date": "tomorrow"}, COOKIE_KEY),
    "exp_date NaN": _signed(HS256, json.dumps({**GOOD, "exp_date": float("nan")}).encode()),
    "expired": jwt.encode({**GOOD, "exp_date": time.time() - 1}, COOKIE_KEY),
    "username a list": jwt.encode({**GOOD, "username": ["sales"]}, COOKIE_KEY),
    "unknown user": jwt.encode({**GOOD, "username": "nobody"}, COOKIE_KEY),
    "wrong password fingerprint": jwt.encode(GOOD, COOKIE_KEY),
    "generation a string": jwt.encode({**GOOD, "gen": "0"}, COOKIE_KEY),
}


@pytest.mark.parametrize("value", FORGED.values(), ids=FORGED.keys())
def test_a_cookie_that_does_not_verify_gets_the_form_and_is_dropped(
    new_session, request_from_browser, value
):
    request_from_browser.cookies = {COOKIE: value}
    at = new_session().run()
    assert login_form(at)  # no exception either (login_form checks)
    assert cookie_deleted(at)
    # The same browser logs in with the form, and gets a good cookie in place of the bad one.
    log_in(at)
    assert at.session_state["authentication_status"]
    assert login_cookie.decode(cookie_written(at), COOKIE_KEY).username == "sales"


def test_the_real_cookie_still_logs_in(new_session, request_from_browser):
    """The control: a cookie the app wrote does log in from another browser."""
    value = cookie_written(log_in(new_session().run()))
    request_from_browser.cookies = {COOKIE: value}
    at = new_session().run()
    assert not login_form(at) and at.session_state["username"] == "sales"
    assert not cookie_deleted(at)


# Well-formed and signed, refused by the app (no such user; another password's login).
SIGNED_BUT_REFUSED = ("unknown user", "wrong password fingerprint")


@pytest.mark.parametrize("name", [name for name in FORGED if name not in SIGNED_BUT_REFUSED])
def test_decode_answers_none_for_every_forged_value(name):
    assert login_cookie.decode(FORGED[name], COOKIE_KEY) is None


def test_decode_refuses_values_of_any_type_without_raising():
    for value in (None, 0, b"bytes", ["a"], {"a": 1}, "", " ", "\x00" * 10):
        assert login_cookie.decode(value, COOKIE_KEY) is None
    assert login_cookie.decode(jwt.encode(GOOD, COOKIE_KEY), "") is None  # no key: no login
