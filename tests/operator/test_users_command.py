"""`linksplus users ...`: scripts manage the users in the console's database, on the same
configuration as the app, and get one sentence and exit 1 on bad input."""

from __future__ import annotations

import sqlite3

import pytest

from linksplus.config import Settings
from linksplus.console.users import (
    UserRecord,
    check_password,
    configured_users,
    hash_password,
    save_users,
)


@pytest.fixture
def config(folder):
    """A configuration file naming only the database (no users_file): users in the store."""
    path = folder / ".streamlit" / "secrets.toml"
    path.parent.mkdir()
    path.write_text(f'[linksplus]\neventlog_url = "sqlite:///{folder / "events.db"}"\n')
    return Settings(eventlog_url=f"sqlite:///{folder / 'events.db'}")


def _users(settings) -> dict[str, UserRecord]:
    return {u.username: u for u in configured_users(settings)}


def _failed_with_a_sentence(done) -> str:
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    return done.stderr


def test_add_prints_a_one_time_password_that_must_be_changed(linksplus, config):
    done = linksplus(
        "users", "add", "Malee", "--name", "Malee K.", "--email", "m@example.com",
        "--role", "sales", "--teams", "101,102",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    once = done.stdout.strip().rsplit(" ", 1)[1]
    malee = _users(config)["malee"]
    assert (malee.name, malee.email, malee.roles, malee.teams) == (
        "Malee K.", "m@example.com", ("sales",), (101, 102),
    )  # fmt: skip
    assert malee.must_change_password and check_password(once, malee.password_hash)
    listed = linksplus("users", "list").stdout
    assert "malee\tMalee K.\tm@example.com\tsales\t101,102\tyes\tyes" in listed


def test_a_password_from_stdin_is_checked_against_the_rules(linksplus, config):
    args = ("users", "add", "boss", "--name", "Boss", "--role", "admin", "--teams", "*")
    said = _failed_with_a_sentence(linksplus(*args, "--password-stdin", stdin="short\n"))
    assert "at least 10 characters" in said
    said = _failed_with_a_sentence(linksplus(*args, "--password-stdin", stdin="Boss-boss1\n"))
    assert "username" in said
    said = _failed_with_a_sentence(linksplus(*args, "--password-stdin", stdin="1234567890\n"))
    assert "most common" in said
    done = linksplus(*args, "--password-stdin", stdin="a long own phrase\n")
    assert done.returncode == 0, done.stderr
    boss = _users(config)["boss"]
    assert boss.teams == "*" and not boss.must_change_password
    assert check_password("a long own phrase", boss.password_hash)


def test_bad_input_is_one_sentence(linksplus, config):
    add = ("users", "add", "--name", "X", "--role", "sales")
    said = _failed_with_a_sentence(linksplus(*add, "a b", "--teams", "101"))
    assert "one word" in said
    said = _failed_with_a_sentence(linksplus(*add, "malee", "--teams", "sales team"))
    assert "team numbers" in said
    assert linksplus(*add, "malee", "--teams", "101").returncode == 0
    said = _failed_with_a_sentence(linksplus(*add, "MALEE", "--teams", "101"))
    assert "already a user malee" in said
    said = _failed_with_a_sentence(linksplus("users", "disable", "nobody"))
    assert "no user nobody" in said


def test_disable_enable_passwd_and_the_last_admin(linksplus, config):
    admin = ("users", "add", "boss", "--name", "Boss", "--role", "admin", "--teams", "*")
    assert linksplus(*admin).returncode == 0
    said = _failed_with_a_sentence(linksplus("users", "disable", "boss"))
    assert "only active admin" in said
    assert _users(config)["boss"].active
    sales = ("users", "add", "malee", "--name", "Malee", "--role", "sales", "--teams", "101")
    assert linksplus(*sales).returncode == 0
    assert linksplus("users", "disable", "Malee").returncode == 0
    assert not _users(config)["malee"].active
    assert "malee\tMalee\t\tsales\t101\tno" in linksplus("users", "list").stdout
    assert linksplus("users", "enable", "malee").returncode == 0
    assert _users(config)["malee"].active
    done = linksplus("users", "passwd", "malee")
    once = done.stdout.strip().rsplit(" ", 1)[1]
    assert check_password(once, _users(config)["malee"].password_hash)
    done = linksplus("users", "passwd", "malee", "--password-stdin", stdin="my own phrase 7\n")
    assert done.returncode == 0, done.stderr
    malee = _users(config)["malee"]
    assert check_password("my own phrase 7", malee.password_hash)
    assert not malee.must_change_password


def test_a_users_file_is_imported_once(linksplus, config, folder):
    file = folder / "users.yaml"
    hashed = hash_password("an old password")
    save_users(
        file,
        [
            UserRecord("boss", "Boss", "b@example.com", ("admin",), "*", hashed),
            UserRecord("malee", "Malee", "", ("sales",), (101,), hashed),
        ],
    )
    done = linksplus("users", "import", str(file))
    assert done.returncode == 0, done.stderr
    assert "Imported 2 user(s)" in done.stdout
    assert check_password("an old password", _users(config)["boss"].password_hash)
    again = linksplus("users", "import", str(file))
    assert again.returncode == 0
    assert "Imported 0 user(s)" in again.stdout and "Skipped 2 already" in again.stdout
    with sqlite3.connect(folder / "events.db") as db:
        assert db.execute("SELECT count(*) FROM ws_users").fetchone() == (2,)


def test_with_a_users_file_set_the_commands_say_to_edit_it(linksplus, config, folder):
    (folder / ".streamlit" / "secrets.toml").write_text(
        f'[linksplus]\nusers_file = "{folder / "users.yaml"}"\n'
    )
    args = ("users", "add", "malee", "--name", "M", "--role", "sales", "--teams", "1")
    said = _failed_with_a_sentence(linksplus(*args))
    assert "users file" in said and "linksplus users import" in said


def test_two_step_off_for_a_lost_phone(linksplus, config):
    import pyotp

    from linksplus.console import second_factor

    add = ("users", "add", "boss", "--name", "Boss", "--role", "admin", "--teams", "*")
    assert linksplus(*add).returncode == 0
    secret, _png = second_factor.begin(config, "boss")
    second_factor.confirm(config, "boss", pyotp.TOTP(secret).now())
    assert second_factor.is_on(config, "boss")
    done = linksplus("users", "two-step-off", "Boss")
    assert done.returncode == 0, done.stderr
    assert not second_factor.is_on(config, "boss")
    said = _failed_with_a_sentence(linksplus("users", "two-step-off", "nobody"))
    assert "no user nobody" in said
