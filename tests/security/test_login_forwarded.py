"""The login throttle believes no forged address (issue 23, item 6): X-Forwarded-For is
read only from the proxies in `trusted_proxies` (none by default), and a username's
attempts from many addresses add up.

Streamlit's server (uvicorn) replaces the connection's address with the header's when the
connection comes from loopback; `request_from_browser` serves the app exactly what it then
sees: the header, and the forwarded address as the connection's.
"""

from __future__ import annotations

import ipaddress

import bcrypt
import pytest
from login_app import login_form

from linksplus.config import Settings
from linksplus.console.forwarded import client_address
from linksplus.console.throttle import LoginThrottle
from linksplus.ui import auth


@pytest.fixture
def checks(monkeypatch, app_secrets) -> list[int]:
    """Counts the password checks (bcrypt) the app makes, on a stopped clock (so that no
    wait runs out while the test is typing)."""
    stopped = LoginThrottle(app_secrets["eventlog_url"], clock=lambda: 1_000_000.0)
    monkeypatch.setattr(auth, "throttle", lambda settings: stopped)
    real, made = bcrypt.checkpw, []

    def counted(password: bytes, hashed: bytes) -> bool:
        made.append(1)
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counted)
    return made


def _guess(new_session, request, forwarded: str, **secrets) -> None:
    """One wrong password for "sales" in a new browser session, through a forwarding hop
    on this machine that says the browser is at `forwarded`."""
    request.remote_ip = forwarded  # what uvicorn makes of a loopback connection's header
    request.headers = [("X-Forwarded-For", forwarded)]
    at = new_session(**secrets).run()
    at.text_input(key="login_username").set_value("sales")
    at.text_input(key="login_password").set_value("not-the-password")
    at.button[0].click().run()
    assert login_form(at)


def test_ten_forwarded_addresses_from_this_machine_count_as_one(
    new_session, request_from_browser, checks
):
    for n in range(10):
        _guess(new_session, request_from_browser, f"203.0.113.{n + 1}")
    # No proxy is trusted: one address (this machine), whose first four are checked.
    assert len(checks) == 4


def test_a_trusted_proxys_addresses_are_believed_but_a_username_adds_up(
    new_session, request_from_browser, checks
):
    for n in range(30):
        _guess(new_session, request_from_browser, f"203.0.113.{n + 1}", trusted_proxies="::1")
    # Each address is new, but the username allows ten from anywhere before its wait.
    assert len(checks) == 10


def test_the_owner_waits_at_most_a_minute_after_guesses_from_many_addresses(tmp_path):
    now = [1_000_000.0]
    t = LoginThrottle(f"sqlite:///{tmp_path}/t.db", clock=lambda: now[0])
    allowed = 0
    for n in range(200):  # guesses from 200 addresses, one every 0.5 s
        allowed += t.attempt("sales", f"198.51.100.{n}").allowed
        now[0] += 0.5
    # In 100 s: the first ten, then one after each wait (of 5, 10, 20 and 40 s).
    assert allowed == 14, allowed
    owner = "192.0.2.10"
    assert t.wait_seconds("sales", owner) <= 60
    now[0] += t.wait_seconds("sales", owner)
    assert t.attempt("sales", owner).allowed
    t.success("sales", owner)


def test_the_owner_at_an_address_they_logged_in_from_is_not_held_up(tmp_path):
    now = [1_000_000.0]
    t = LoginThrottle(f"sqlite:///{tmp_path}/t.db", clock=lambda: now[0])
    home, elsewhere = "192.0.2.10", "192.0.2.99"
    assert t.attempt("sales", home).allowed
    t.success("sales", home)
    now[0] += 86400  # a day later, guesses from many addresses start
    for n in range(200):
        t.attempt("sales", f"198.51.100.{n}")
        now[0] += 0.5
    assert t.wait_seconds("sales", elsewhere) > 0  # a new address waits (a minute at most)...
    assert t.attempt("sales", home) == (True, 0)  # ...the owner's usual one does not
    now[0] += 31 * 86400  # a month without logging in from there: a new address again
    for n in range(20):
        t.attempt("sales", f"198.51.100.{n}")
    assert t.wait_seconds("sales", home) > 0


def test_one_address_alone_never_reaches_the_usernames_wait(tmp_path):
    now = [1_000_000.0]
    t = LoginThrottle(f"sqlite:///{tmp_path}/t.db", clock=lambda: now[0])
    for _ in range(100):
        t.attempt("sales", "203.0.113.9")
        now[0] += 1
    # The attacker's address waits; the owner elsewhere is checked at once.
    assert t.wait_seconds("sales", "203.0.113.9") > 0
    assert t.attempt("sales", "198.51.100.7") == (True, 0)


NETS = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "127.0.0.1")]


@pytest.mark.parametrize(
    ("seen", "headers", "trusted", "server", "expected"),
    [
        # Nobody trusted: the peer, whatever the header says.
        ("198.51.100.7", ["203.0.113.1"], [], None, "198.51.100.7"),
        # uvicorn took the header from a loopback peer: the peer (this machine) again.
        ("203.0.113.1", ["203.0.113.1"], [], None, None),
        (None, ["127.0.0.1"], [], None, None),
        # A trusted proxy: the right-most hop that is not a trusted proxy.
        ("10.0.0.2", ["1.2.3.4, 203.0.113.5, 10.0.0.7"], NETS, None, "203.0.113.5"),
        ("10.0.0.2", ["1.2.3.4", "203.0.113.5:4711"], NETS, None, "203.0.113.5"),
        ("10.0.0.2", ["10.1.1.1, 10.0.0.7"], NETS, None, "10.1.1.1"),  # all trusted
        ("10.0.0.2", [], NETS, None, "10.0.0.2"),  # no header
        # A proxy on this machine, listed: uvicorn's pick is checked again, ours wins.
        ("203.0.113.5", ["6.6.6.6, 203.0.113.5"], NETS, None, "203.0.113.5"),
        ("2001:db8::1", ["[2001:db8::1]:443"], [ipaddress.ip_network("::1")], None, "2001:db8::1"),
        # The server told to trust a proxy we do not: its forwarding is not believed.
        ("203.0.113.5", ["203.0.113.5"], [], "10.9.9.9", "forwarder"),
        ("203.0.113.5", ["203.0.113.5"], NETS, "*", None),
        # An untrusted peer's own forged header naming someone else changes nothing.
        ("198.51.100.7", ["10.0.0.5, 203.0.113.9"], NETS, None, "198.51.100.7"),
    ],
)
def test_client_address(seen, headers, trusted, server, expected):
    assert client_address(seen, headers, trusted, server) == expected


def test_trusted_proxies_setting(monkeypatch):
    assert Settings.load({}, {}).proxy_networks == []
    env = {"LINKSPLUS_TRUSTED_PROXIES": "10.0.0.5, 192.168.0.0/24"}
    assert [str(n) for n in Settings.load({}, env).proxy_networks] == [
        "10.0.0.5/32",
        "192.168.0.0/24",
    ]
    toml = {"linksplus": {"trusted_proxies": ["127.0.0.1", "::1"]}}
    assert [str(n) for n in Settings.load(toml, {}).proxy_networks] == ["127.0.0.1/32", "::1/128"]
    bad = Settings.load({}, {"LINKSPLUS_TRUSTED_PROXIES": "10.0.0.5, proxy.local"})
    assert any("'proxy.local'" in p and "trusted_proxies" in p for p in bad.problems())
