"""Users file, hashing and access rules."""

from __future__ import annotations

import pytest

from linksplus.console import users as u


@pytest.fixture(scope="module")
def pw_hash() -> str:
    return u.hash_password("correct horse")


def test_hash_is_bcrypt_and_checks(pw_hash):
    assert pw_hash.startswith("$2b$") and "correct horse" not in pw_hash
    assert u.check_password("correct horse", pw_hash)
    assert not u.check_password("wrong", pw_hash)


def test_save_and_load_round_trip(tmp_path, pw_hash):
    path = tmp_path / "conf" / "users.yaml"
    users = [
        u.UserRecord("Sales", "Somchai", "s@example.com", ["sales"], [101], pw_hash),
        u.UserRecord("admin", "Ada", "a@example.com", ["admin"], "*", pw_hash),
    ]
    u.save_users(path, users)
    text = path.read_text()
    assert "correct horse" not in text and "teams" in text
    loaded = u.load_users(path)
    assert [x.username for x in loaded] == ["sales", "admin"]
    assert loaded[0].teams == (101,) and loaded[1].teams == "*"
    assert (path.stat().st_mode & 0o777) == 0o600


def test_plain_password_refused(pw_hash):
    with pytest.raises(ValueError, match="bcrypt"):
        u.UserRecord("x", "X", "", ["sales"], [1], "hunter2")
    with pytest.raises(ValueError, match="role"):
        u.UserRecord("x", "X", "", ["boss"], [1], pw_hash)


def test_missing_file_is_a_sentence(tmp_path):
    with pytest.raises(u.UsersFileError, match="does not exist"):
        u.load_users(tmp_path / "nope.yaml")


def test_credentials_dict_is_fresh(pw_hash):
    users = [u.UserRecord("s", "S", "", ["sales"], [1], pw_hash)]
    a = u.credentials_for_authenticator(users)
    a["usernames"]["s"]["logged_in"] = True
    assert "logged_in" not in u.credentials_for_authenticator(users)["usernames"]["s"]


def test_pages_per_role():
    assert u.pages_for(["sales"]) == (
        "links",
        "templates",
        "create",
        "bulk",
        "payments",
        "performance",
        "my_settings",
    )
    assert u.pages_for(["manager"]) == u.pages_for(["sales"])
    assert "settings" in u.pages_for(["admin"]) and "webhooks" in u.pages_for(["sales", "admin"])
    assert u.pages_for([]) == () and u.pages_for(None) == () and u.pages_for(["boss"]) == ()


def test_teams_and_query_param(pw_hash):
    sales = u.UserRecord("s", "S", "", ["sales"], [101], pw_hash)
    admin = u.UserRecord("a", "A", "", ["admin"], "*", pw_hash)
    assert u.teams_for(sales, [101, 102, 103]) == [101]
    assert u.teams_for(admin, [101, 102, 103]) == [101, 102, 103]
    assert u.teams_for(None, [101]) == []
    assert u.allowed_team("101", [101]) == 101
    for bad in ("102", "abc", "", None, "101 OR 1=1", "1e2", True):
        assert u.allowed_team(bad, [101]) is None
