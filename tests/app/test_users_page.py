"""The Users page (admins) and each user's own password, with the users in the console's
database (no users_file): add a person with a one-time password, refusals as sentences,
the last admin kept, a disabled user logged out, a one-time password changed at login."""

from __future__ import annotations

from zoneinfo import available_timezones

import pytest
from app_helpers import PASSWORD, no_exception, texts

from linksplus.config import Settings
from linksplus.console.users import (
    UserRecord,
    check_password,
    configured_users,
    hash_password,
    to_stored,
)
from linksplus.ui import auth
from linksplus.workspace import Workspace, activity
from linksplus.workspace.users import UserStore


@pytest.fixture
def store_app(make_app, secrets):
    """`make_app` with the users in the database: admin "boss" and salesperson "malee"."""
    settings = Settings(eventlog_url=secrets["eventlog_url"])
    store = UserStore(Workspace(settings.eventlog_url).engine)
    hashed = hash_password(PASSWORD)
    for user in (
        UserRecord("boss", "Boss", "boss@example.com", ("admin",), "*", hashed),
        UserRecord("malee", "Malee", "malee@example.com", ("sales",), (101,), hashed),
    ):
        store.add(to_stored(user))

    def make(role_user: str | None, **kwargs):
        at = make_app(None, overrides={"users_file": ""}, **kwargs)
        if role_user:
            at.session_state["authentication_status"] = True
            at.session_state["username"] = role_user
        return at

    make.settings = settings
    make.store = store
    return make


def _users(settings) -> dict[str, UserRecord]:
    return {u.username: u for u in configured_users(settings)}


def _open_users_page(at):
    at.run()
    at.switch_page("pages/users.py").run()
    no_exception(at)
    return at


def test_an_admin_adds_a_person_and_reads_their_one_time_password_once(store_app):
    at = _open_users_page(store_app("boss"))
    table = at.dataframe[0].value
    assert list(table["Username"]) == ["boss", "malee"]
    assert list(table["Role"]) == ["Admin", "Sales"]
    at.text_input(key="new_username").set_value("Niran")
    at.text_input(key="new_name").set_value("Niran S.")
    at.text_input(key="new_email").set_value("niran@example.com")
    at.text_input(key="new_teams").set_value("101, 102")
    at.button(key="FormSubmitter:add_user-Add").click().run()
    no_exception(at)
    (once,) = [c.value for c in at.code]
    niran = _users(store_app.settings)["niran"]
    assert niran.must_change_password and niran.teams == (101, 102)
    assert check_password(once, niran.password_hash)
    assert "niran" in list(at.dataframe[0].value["Username"])
    assert at.text_input(key="new_username").value == ""  # ready for the next person
    at.run()
    assert not at.code  # shown once
    # The Audit log: who added whom, with which role and teams, and never the password.
    (added,) = activity.query(store_app.store.engine, actions=[activity.USER_ADDED])
    assert (added.username, added.detail["user"], added.detail["role"]) == (
        "boss",
        "niran",
        "sales",
    )
    assert once not in str(added.detail)


def test_bad_input_and_the_last_admin_are_refused_with_sentences(store_app):
    at = _open_users_page(store_app("boss"))
    at.text_input(key="new_username").set_value("two words")
    at.text_input(key="new_name").set_value("X")
    at.text_input(key="new_teams").set_value("101")
    at.button(key="FormSubmitter:add_user-Add").click().run()
    no_exception(at)
    assert "one word" in texts(at)
    at.selectbox(key="chosen_user").set_value("boss").run()
    at.button(key="disable_user").click().run()
    no_exception(at)
    assert "only active admin" in " ".join(e.value for e in at.error)
    assert _users(store_app.settings)["boss"].active


def test_with_a_users_file_the_page_lists_them_and_says_where_to_change_them(make_app):
    at = make_app("admin").run()
    at.switch_page("pages/users.py").run()
    no_exception(at)
    assert list(at.dataframe[0].value["Username"]) == ["admin", "manager", "sales"]
    assert "users file" in texts(at) and not at.text_input


def test_a_disabled_user_is_logged_out_on_their_next_run(store_app, monkeypatch):
    at = store_app("malee").run()
    no_exception(at)
    assert at.session_state["authentication_status"]
    admin = _open_users_page(store_app("boss"))
    admin.selectbox(key="chosen_user").set_value("malee").run()
    admin.button(key="disable_user").click().run()
    no_exception(admin)
    assert "logged out everywhere" in texts(admin)
    (disabled,) = activity.query(store_app.store.engine, actions=[activity.USER_DISABLED])
    assert (disabled.username, disabled.detail) == ("boss", {"user": "malee"})
    # Another process learns of it by the login generation, read every GENERATION_TTL
    # seconds: no waiting here.
    monkeypatch.setattr(auth, "GENERATION_TTL", 0.0)
    at.run()
    no_exception(at)
    assert not at.session_state["authentication_status"]
    assert at.text_input(key="login_username")  # the login form
    at.text_input(key="login_username").set_value("malee")
    at.text_input(key="login_password").set_value(PASSWORD)
    at.button[0].click().run()
    assert not at.session_state["authentication_status"]
    assert "do not match" in texts(at)


def test_a_user_changes_their_own_password_with_the_current_one(store_app):
    at = store_app("malee").run()
    at.switch_page("pages/my_settings.py").run()
    no_exception(at)

    def change(current: str, new: str, again: str | None = None):
        labels = {t.label: t for t in at.text_input}
        labels["Current password"].set_value(current)
        labels["New password"].set_value(new)
        labels["New password, again"].set_value(new if again is None else again)
        at.button(key="FormSubmitter:own_password-Change my password").click().run()
        no_exception(at)

    change("not my password", "a brand new phrase")
    assert "current password is not right" in texts(at)
    change(PASSWORD, "malee-2024")
    assert "username" in texts(at)
    change(PASSWORD, "a brand new phrase")
    assert "Your password was changed" in texts(at)
    assert at.session_state["authentication_status"]  # still logged in here
    assert check_password("a brand new phrase", _users(store_app.settings)["malee"].password_hash)


def test_a_one_time_password_must_be_changed_right_after_login(store_app):
    store_app.store.change("malee", must_change=True)
    at = store_app(None).run()
    at.text_input(key="login_username").set_value("malee")
    at.text_input(key="login_password").set_value(PASSWORD)
    at.button[0].click().run()
    no_exception(at)
    assert [t.value for t in at.title] == [":material/password: Choose a new password"]
    assert "Links" not in texts(at)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/links.py")  # nothing else opens until it is done
    labels = {t.label: t for t in at.text_input}
    labels["New password"].set_value(PASSWORD)
    labels["New password, again"].set_value(PASSWORD)
    at.button(key="FormSubmitter:forced_password-Save my password").click().run()
    assert "not the one you were given" in texts(at)
    labels = {t.label: t for t in at.text_input}
    labels["New password"].set_value("my very own phrase")
    labels["New password, again"].set_value("my very own phrase")
    at.button(key="FormSubmitter:forced_password-Save my password").click().run()
    no_exception(at)
    assert "Choose a new password" not in texts(at)
    assert at.session_state["authentication_status"]
    at.switch_page("pages/links.py").run()  # now the pages are there
    no_exception(at)
    malee = _users(store_app.settings)["malee"]
    assert not malee.must_change_password
    assert check_password("my very own phrase", malee.password_hash)


def test_settings_says_the_users_are_in_the_database(store_app):
    at = store_app("boss").run()
    at.switch_page("pages/settings.py").run()
    no_exception(at)
    assert "in the console's database" in texts(at) and "Users file" not in texts(at)


def test_the_users_page_and_the_password_forms_read_in_thai(store_app):
    from thai_walk import english_msgid_fragments, untranslated

    fragments = english_msgid_fragments()
    data = ["Boss", "Malee", "boss", "malee", "boss@example.com", "malee@example.com"]
    data += sorted(available_timezones())  # the digest's timezone choice: IANA names, as is
    at = store_app("boss")
    at.session_state["ui_language"] = "th"
    at = _open_users_page(at)
    problems = [f"users: {p}" for p in untranslated(at, data, fragments)]
    at.switch_page("pages/my_settings.py").run()
    no_exception(at)
    problems += [f"my settings: {p}" for p in untranslated(at, data, fragments)]
    store_app.store.change("malee", must_change=True)
    auth.forget_users()  # another process's change, seen here within seconds
    forced = store_app("malee")
    forced.session_state["ui_language"] = "th"
    forced.run()
    no_exception(forced)
    assert forced.text_input  # the new-password form
    problems += [f"new password: {p}" for p in untranslated(forced, data, fragments)]
    assert not problems, "\n".join(problems)
