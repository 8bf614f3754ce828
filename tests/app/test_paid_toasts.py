"""The paid toast's timed check: every page looks for new payments of my links every few
seconds (a timed fragment), but only once the login cookie is written; while the browser
has not yet reported the cookie written, the toasts come with each run only.

A timed rerun during the cookie component's round trip lost the first login's cookie (the
user was logged out on reload); the browser test covers the round trip itself, this one
which runs ask the browser for timed reruns. AppTest does not run the timers: the runs'
messages tell whether, and how often, the browser is asked to.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from app_helpers import no_exception
from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
from test_my_links import _pay, _team

from linksplus.ui.auth import _PENDING
from linksplus.ui.payments_view import REFRESH_SECONDS


@pytest.fixture
def timers(monkeypatch) -> list[float]:
    """The intervals of the timed reruns the app asks the browser for, as asked."""
    asked: list[float] = []
    enqueue = ForwardMsgQueue.enqueue

    def record(self, msg):
        if msg.WhichOneof("type") == "auto_rerun":
            asked.append(msg.auto_rerun.interval)
        return enqueue(self, msg)

    monkeypatch.setattr(ForwardMsgQueue, "enqueue", record)
    return asked


def _toasts_for(at, link_id: int) -> list[str]:
    return [t.value for t in at.toast if f"for your link #{link_id}." in t.value]


def test_the_page_checks_every_few_seconds_once_logged_in(make_app, sandbox, secrets, timers):
    links, makers, ws = _team(sandbox, secrets)
    mine = next(ln for ln in links if makers[ln.id] == "sales")
    ws.set_paid_seen("sales", datetime.now(UTC) - timedelta(hours=1))
    _pay(secrets, mine, "chrg_timed_0")
    at = make_app("sales").run()
    no_exception(at)
    assert timers == [REFRESH_SECONDS]
    assert len(_toasts_for(at, mine.id)) == 1  # and the run itself toasts what is new


def test_no_timed_check_while_the_login_cookie_is_being_written(make_app, sandbox, secrets, timers):
    links, makers, ws = _team(sandbox, secrets)
    mine = next(ln for ln in links if makers[ln.id] == "sales")
    ws.set_paid_seen("sales", datetime.now(UTC) - timedelta(hours=1))
    _pay(secrets, mine, "chrg_pending_0")
    at = make_app("sales")
    at.session_state[_PENDING] = "set"  # logged in; the browser has not reported the cookie
    at.run()
    no_exception(at)
    assert timers == []
    # The toast still comes, with the run.
    assert len(_toasts_for(at, mine.id)) == 1


def test_a_payment_is_announced_once_per_person_not_again_at_the_next_login(
    make_app, sandbox, secrets
):
    links, makers, ws = _team(sandbox, secrets)
    mine = next(ln for ln in links if makers[ln.id] == "sales")
    ws.set_paid_seen("sales", datetime.now(UTC) - timedelta(hours=1))
    _pay(secrets, mine, "chrg_once_0")
    first = make_app("sales").run()
    no_exception(first)
    assert len(_toasts_for(first, mine.id)) == 1
    # A new session (another login, tab or browser): the same payment is not toasted again.
    again = make_app("sales").run()
    no_exception(again)
    assert _toasts_for(again, mine.id) == []
    _pay(secrets, mine, "chrg_once_1")  # a new payment is still announced
    later = make_app("sales").run()
    assert len(_toasts_for(later, mine.id)) == 1
