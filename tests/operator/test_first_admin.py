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


def test_no_users_file_set_says_what_to_set():
    with pytest.raises(UsersFileError, match="LINKSPLUS_USERS_FILE"):
        user_count(Settings())
