"""Second factors in the workspace database, on SQLite and PostgreSQL: a code's time step
counts once, a recovery code works once, a confirmed factor is not replaced by a new setup."""

from __future__ import annotations

import pytest

from linksplus.eventlog.engine import make_engine
from linksplus.workspace.totp import ADMINS_NEED_TOTP, TotpStore


@pytest.fixture
def store(db_url):
    engine = make_engine(db_url)
    yield TotpStore(engine)
    engine.dispose()


def test_a_setup_is_confirmed_once_and_a_step_counts_once(store):
    assert store.get("malee") is None
    store.begin("Malee", "SECRETONE")
    assert not store.use_step("malee", 100)  # not confirmed yet: no login by it
    assert store.confirm("malee", 100, ["d1", "d2"])
    assert not store.confirm("malee", 101, [])  # nothing waiting any more
    got = store.get("MALEE")
    assert (got.secret, got.confirmed, got.last_step, got.recovery) == (
        "SECRETONE",
        True,
        100,
        ("d1", "d2"),
    )
    assert not store.use_step("malee", 100)  # the confirming code again: refused
    assert store.use_step("malee", 101)
    assert not store.use_step("malee", 101) and not store.use_step("malee", 99)
    store.begin("malee", "SECRETTWO")  # a new setup does not replace one that is on
    assert store.get("malee").secret == "SECRETONE"


def test_a_recovery_code_works_once_and_removing_turns_it_off(store):
    store.begin("malee", "S")
    store.confirm("malee", 1, ["d1", "d2"])
    assert store.use_recovery("malee", "d1")
    assert not store.use_recovery("malee", "d1")
    assert store.get("malee").recovery == ("d2",)
    store.remove("malee")
    assert store.get("malee") is None and not store.use_recovery("malee", "d2")


def test_console_options_are_kept(store):
    assert store.option(ADMINS_NEED_TOTP) is None
    store.set_option(ADMINS_NEED_TOTP, "yes")
    store.set_option(ADMINS_NEED_TOTP, "no")
    assert store.option(ADMINS_NEED_TOTP) == "no"
