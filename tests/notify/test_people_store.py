"""Alerts find their people where the console keeps them: without a users file, in the
console's database; a disabled user gets none, and a change is seen without a restart."""

from __future__ import annotations

from linksplus.console.users import UserRecord, hash_password, to_stored
from linksplus.notify import people
from linksplus.notify.people import Directory
from linksplus.workspace import Workspace
from linksplus.workspace.users import UserStore


def test_people_come_from_the_database_and_the_disabled_get_no_alert(tmp_path, monkeypatch):
    workspace = Workspace(f"sqlite:///{tmp_path / 'events.db'}")
    store = UserStore(workspace.engine)
    hashed = hash_password("not used in this test")
    for name, role in (("sales", "sales"), ("somsri", "sales"), ("manager", "admin")):
        store.add(to_stored(UserRecord(name, name, f"{name}@example.com", (role,), (1,), hashed)))
    monkeypatch.setattr(people, "STAMP_SECONDS", 0.0)
    directory = Directory(None, workspace)
    routes = directory.routes(["sales", "somsri"], email=True, line=False)
    assert [(r.username, r.address) for r in routes] == [
        ("sales", "sales@example.com"),
        ("somsri", "somsri@example.com"),
    ]
    store.change("somsri", active=False)
    routes = directory.routes(["sales", "somsri"], email=True, line=False)
    assert [r.username for r in routes] == ["sales"]
    assert directory.person("somsri") is None


def test_no_users_anywhere_is_nobody_not_an_error(tmp_path):
    workspace = Workspace(f"sqlite:///{tmp_path / 'events.db'}")
    assert Directory(None, workspace).users() == {}
