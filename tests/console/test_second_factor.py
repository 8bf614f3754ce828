"""The second factor's rules: codes of this time step or one either side, each step once,
recovery codes once whatever their case and dashes; the login cookie carries whether the
login passed it."""

from __future__ import annotations

import time

import pyotp

from linksplus.config import Settings
from linksplus.console import login_cookie, second_factor
from linksplus.console.login_cookie import LoginClaims


def test_codes_near_now_work_once_and_recovery_codes_once(tmp_path):
    settings = Settings(eventlog_url=f"sqlite:///{tmp_path / 'events.db'}")
    secret, png = second_factor.begin(settings, "malee")
    assert png.startswith(b"\x89PNG")
    assert not second_factor.is_on(settings, "malee")
    totp = pyotp.TOTP(secret)
    now = time.time()
    codes = second_factor.confirm(settings, "malee", totp.at(now))
    assert len(set(codes)) == 10 and second_factor.is_on(settings, "malee")
    assert not second_factor.check(settings, "malee", totp.at(now))  # the confirming code
    assert not second_factor.check(settings, "malee", totp.at(time.time() + 120))  # too far
    assert second_factor.check(settings, "malee", totp.at(now + 30))
    assert second_factor.check(settings, "malee", f" {codes[3].upper().replace('-', ' ')} ")
    assert not second_factor.check(settings, "malee", codes[3])
    assert not second_factor.check(settings, "somsri", totp.now())  # no factor: no pass


def test_the_login_cookie_says_whether_the_second_factor_was_passed():
    key = "k" * 40
    claims = LoginClaims("malee", time.time() + 60, 3, "fingerprint")
    assert login_cookie.decode(login_cookie.encode(claims, key), key).second is False
    passed = claims._replace(second=True)
    assert login_cookie.decode(login_cookie.encode(passed, key), key).second is True
