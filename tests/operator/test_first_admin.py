"""The users store as the operator's commands reach it: counted, and given its first admin
only while it is empty."""

from __future__ import annotations

import pytest

from linksplus.config import Settings
from linksplus.console.users import (
    UsersFileError,
    add_first_admin,
    check_password,
    configured_users,
    user_count,
)


def test_the_first_admin_goes_into_an_empty_store_and_only_there(tmp_path):
    settings = Settings(users_file=str(tmp_path / "data" / "users.yaml"))
    assert user_count(settings) == 0
    admin = add_first_admin(
        settings, username="Arun", name="", email="a@example.com", password="long enough"
    )
    assert admin.username == "arun" and admin.name == "arun" and admin.teams == "*"
    (stored,) = configured_users(settings)
    assert check_password("long enough", stored.password_hash)
    with pytest.raises(ValueError, match="already has 1 user"):
        add_first_admin(settings, username="malee", name="M", email="", password="long enough")
    assert user_count(settings) == 1


def test_a_username_with_spaces_is_refused(tmp_path):
    settings = Settings(users_file=str(tmp_path / "users.yaml"))
    with pytest.raises(ValueError, match="one word"):
        add_first_admin(settings, username="a b", name="", email="", password="long enough")
    assert user_count(settings) == 0


def test_without_a_users_file_the_first_admin_goes_into_the_database(tmp_path):
    settings = Settings(eventlog_url=f"sqlite:///{tmp_path / 'events.db'}")
    assert user_count(settings) == 0  # the tables are not even made yet
    add_first_admin(settings, username="Arun", name="Arun", email="", password="long enough")
    (stored,) = configured_users(settings)
    assert stored.username == "arun" and stored.roles == ("admin",) and stored.active
    assert check_password("long enough", stored.password_hash)
    with pytest.raises(ValueError, match="console's database already has 1 user"):
        add_first_admin(settings, username="malee", name="M", email="", password="long enough")
    assert not list(tmp_path.glob("*.yaml"))  # no users file written


def test_a_database_that_cannot_be_read_says_what_to_check(tmp_path):
    (tmp_path / "events.db").write_bytes(b"not a database, whatever it is" * 100)
    settings = Settings(eventlog_url=f"sqlite:///{tmp_path / 'events.db'}")
    with pytest.raises(UsersFileError, match="eventlog_url"):
        configured_users(settings)
