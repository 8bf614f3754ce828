"""The users in the workspace database, on SQLite and PostgreSQL: unique names in any case,
changes, the last active admin kept, and disabling ending the user's logins."""

from __future__ import annotations

import pytest

from linksplus.console.users import hash_password
from linksplus.eventlog.engine import make_engine
from linksplus.workspace import Workspace
from linksplus.workspace.users import StoredUser, UserChangeRefused, UserStore

HASH = hash_password("not used here at all")


def _user(username: str, role: str = "sales", teams=(101,)) -> StoredUser:
    return StoredUser(
        username, username.title(), f"{username.lower()}@example.com", HASH, role, teams
    )


@pytest.fixture
def store(db_url):
    engine = make_engine(db_url)
    yield UserStore(engine)
    engine.dispose()


def test_a_user_is_stored_and_read_back_and_names_are_unique_in_any_case(store):
    store.add(_user("Malee", teams=(101, 102)))
    got = store.get("MALEE")
    assert got == StoredUser("malee", "Malee", "malee@example.com", HASH, "sales", (101, 102))
    with pytest.raises(UserChangeRefused, match="already a user malee"):
        store.add(_user("malee"))
    store.add(_user("boss", "admin", "*"))
    assert [u.username for u in store.all()] == ["boss", "malee"]
    assert store.get("boss").teams == "*" and store.count() == 2


def test_changes_are_kept_and_change_the_stamp(store):
    store.add(_user("malee"))
    before = store.stamp()
    store.change("Malee", role="manager", teams="*", must_change=True)
    got = store.get("malee")
    assert (got.role, got.teams, got.must_change) == ("manager", "*", True)
    assert store.stamp() != before
    with pytest.raises(UserChangeRefused, match="no user nobody"):
        store.change("nobody", active=False)


def test_no_change_leaves_the_console_without_an_active_admin(store):
    store.add(_user("boss", "admin", "*"))
    store.add(_user("malee"))
    with pytest.raises(UserChangeRefused, match="only active admin"):
        store.change("boss", active=False)
    with pytest.raises(UserChangeRefused, match="only active admin"):
        store.change("boss", role="manager")
    assert store.get("boss").active and store.get("boss").role == "admin"
    store.change("malee", role="admin")
    store.change("boss", active=False)  # another admin is left: allowed
    with pytest.raises(UserChangeRefused, match="only active admin"):
        store.change("malee", role="sales")


def test_disabling_ends_the_users_logins_everywhere(store, db_url):
    workspace = Workspace(db_url)
    store.add(_user("boss", "admin", "*"))
    store.add(_user("malee"))
    workspace.end_logins("malee")
    assert workspace.login_generation("malee") == 1
    store.change("malee", active=False)
    assert workspace.login_generation("malee") == 2  # any login made before is over
    store.change("malee", active=True)
    assert workspace.login_generation("malee") == 2
    assert store.get("malee").active
