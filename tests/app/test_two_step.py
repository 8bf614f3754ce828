"""Two-step login: a user sets it up on My settings (QR code and key, a first code,
recovery codes shown once); their next login asks for a code before any page; a recovery
code works once; an admin can require it of every admin."""

from __future__ import annotations

import time

import pyotp
import pytest
from app_helpers import PASSWORD, no_exception, texts

from linksplus.config import Settings
from linksplus.console import second_factor


def _log_in(make_app, username: str):
    at = make_app(None).run()
    at.text_input(key="login_username").set_value(username)
    at.text_input(key="login_password").set_value(PASSWORD)
    at.button[0].click().run()
    no_exception(at)
    return at


def _set_up(make_app) -> tuple[str, list[str]]:
    at = make_app("sales").run()
    at.switch_page("pages/my_settings.py").run()
    at.button(key="totp_start").click().run()
    no_exception(at)
    assert at.get("image"), "no QR code shown"
    (secret,) = [c.value for c in at.code]
    at.text_input(key="totp_first_code").set_value("000000")
    at.button(key="FormSubmitter:totp_confirm-Turn on").click().run()
    assert "does not match" in texts(at)
    at.text_input(key="totp_first_code").set_value(pyotp.TOTP(secret).now())
    at.button(key="FormSubmitter:totp_confirm-Turn on").click().run()
    no_exception(at)
    assert "Two-step login is on" in texts(at)
    (shown,) = [c.value for c in at.code if c.value != secret]
    codes = shown.split("\n")
    assert len(codes) == 10
    at.run()
    assert shown not in texts(at)  # shown once
    return secret, codes


def test_a_login_asks_for_the_code_before_any_page(make_app, secrets):
    secret, codes = _set_up(make_app)
    at = _log_in(make_app, "sales")
    assert [t.value for t in at.title] == [":material/phonelink_lock: Two-step login"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/links.py")
    at.text_input(key="totp_login_code").set_value("123456")
    at.button(key="FormSubmitter:totp_login-Go on").click().run()
    assert "does not let you in" in texts(at)
    at.text_input(key="totp_login_code").set_value(codes[0].upper())  # as typed from paper
    at.button(key="FormSubmitter:totp_login-Go on").click().run()
    no_exception(at)
    assert "Two-step login" not in [t.value for t in at.title]
    at.switch_page("pages/links.py").run()
    no_exception(at)
    # The recovery code is used up; the app's next code works.
    again = _log_in(make_app, "sales")
    again.text_input(key="totp_login_code").set_value(codes[0])
    again.button(key="FormSubmitter:totp_login-Go on").click().run()
    assert "does not let you in" in texts(again)
    again.text_input(key="totp_login_code").set_value(pyotp.TOTP(secret).at(time.time() + 30))
    again.button(key="FormSubmitter:totp_login-Go on").click().run()
    no_exception(again)
    again.switch_page("pages/links.py").run()
    no_exception(again)
    # Without two-step login set up, nobody else is asked.
    other = _log_in(make_app, "manager")
    other.switch_page("pages/links.py").run()
    no_exception(other)


def test_an_admin_can_require_it_of_admins_and_turn_off_a_lost_phone(make_app, secrets):
    settings = Settings(eventlog_url=secrets["eventlog_url"])
    _set_up(make_app)
    at = make_app("admin").run()
    at.switch_page("pages/users.py").run()
    at.toggle(key="admins_need_totp").set_value(True).run()
    no_exception(at)
    assert second_factor.admins_must(settings)
    at.selectbox(key="totp_user").set_value("sales").run()
    at.button(key="totp_reset").click().run()
    no_exception(at)
    assert not second_factor.is_on(settings, "sales")
    admin = _log_in(make_app, "admin")
    assert [t.value for t in admin.title] == [":material/phonelink_lock: Set up two-step login"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        admin.switch_page("pages/users.py")
    (key,) = [c.value for c in admin.code]
    admin.text_input(key="totp_first_code").set_value(pyotp.TOTP(key).now())
    admin.button(key="FormSubmitter:totp_confirm-Turn on").click().run()
    no_exception(admin)
    assert "Recovery codes" in texts(admin)
    admin.button(key="totp_go_on").click().run()
    admin.switch_page("pages/users.py").run()
    no_exception(admin)
    assert admin.dataframe  # in, with the second factor shown
    sales = _log_in(make_app, "sales")  # not an admin, and theirs was turned off
    sales.switch_page("pages/links.py").run()
    no_exception(sales)


def test_the_two_step_pages_read_in_thai(make_app):
    from thai_walk import english_msgid_fragments, untranslated

    fragments = english_msgid_fragments()
    at = make_app("sales")
    at.session_state["ui_language"] = "th"
    at.run()
    at.switch_page("pages/my_settings.py").run()
    at.button(key="totp_start").click().run()
    no_exception(at)
    (secret,) = [c.value for c in at.code]
    problems = [f"set up: {p}" for p in untranslated(at, [secret, "Sales", "sales"], fragments)]
    at.text_input(key="totp_first_code").set_value(pyotp.TOTP(secret).now())
    at.button(key="FormSubmitter:totp_confirm-เปิด").click().run()
    no_exception(at)
    codes = next(c.value for c in at.code).split("\n")
    problems += [f"codes: {p}" for p in untranslated(at, [*codes, "Sales", "sales"], fragments)]
    login = make_app(None)
    login.session_state["ui_language"] = "th"
    login.run()
    login.text_input(key="login_username").set_value("sales")
    login.text_input(key="login_password").set_value(PASSWORD)
    login.button[0].click().run()
    no_exception(login)
    assert login.text_input(key="totp_login_code")
    problems += [f"code page: {p}" for p in untranslated(login, ["Sales", "sales"], fragments)]
    assert not problems, "\n".join(problems)


def test_guessing_codes_is_held_back_like_guessing_passwords(make_app):
    secret, _codes = _set_up(make_app)
    at = _log_in(make_app, "sales")
    said = []
    for _ in range(6):
        at.text_input(key="totp_login_code").set_value("000001")
        at.button(key="FormSubmitter:totp_login-Go on").click().run()
        said.append(" ".join(e.value for e in at.error))
    assert "does not let you in" in said[0]
    assert "Please wait" in said[-1]
    at.text_input(key="totp_login_code").set_value(pyotp.TOTP(secret).at(time.time() + 30))
    at.button(key="FormSubmitter:totp_login-Go on").click().run()
    assert "Please wait" in " ".join(e.value for e in at.error)  # even the right code waits
