"""One submit of the login form logs in even when another message from the browser (say the
cookie manager's first report) arrives while the password is being checked.

Streamlit honours a pending rerun at the next `st.session_state` access, inside the submit
callback too, and the new run does not carry the click: before the fix the click was lost
and the form sat there, filled in, until a second submit (seen in the browser test on a
busy machine). Here the message is sent at the exact moment: right after
bcrypt has checked the password, as the browser would send it (the form's submitted values,
no click).
"""

from __future__ import annotations

import bcrypt
import pytest
from app_helpers import PASSWORD, no_exception, texts
from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData


@pytest.fixture
def message_during_check(monkeypatch) -> list[int]:
    """Makes the browser's next message arrive while the password is checked; the list
    holds how many were sent."""
    check = bcrypt.checkpw
    sent: list[int] = []

    def check_then_a_message_arrives(password: bytes, hashed: bytes) -> bool:
        ok = check(password, hashed)
        if not sent:
            ctx = get_script_run_ctx()
            assert ctx is not None and ctx.script_requests is not None
            # What the browser sends after a submit: every widget's value, the form's
            # submitted ones included; a click is sent once, with its own run only.
            states = [
                state
                for state in ctx.session_state.get_widget_states()
                if state.WhichOneof("value") != "trigger_value"
            ]
            ctx.script_requests.request_rerun(
                RerunData(
                    widget_states=WidgetStates(widgets=states),
                    page_script_hash=ctx.page_script_hash,
                    query_string=ctx.query_string,
                )
            )
            sent.append(1)
        return ok

    monkeypatch.setattr(bcrypt, "checkpw", check_then_a_message_arrives)
    return sent


@pytest.mark.parametrize(("password", "logged_in"), [(PASSWORD, True), ("not the password", False)])
def test_a_message_during_the_password_check_does_not_lose_the_click(
    make_app, message_during_check, password, logged_in
):
    at = make_app(None).run()
    at.text_input(key="login_username").set_value("sales")
    at.text_input(key="login_password").set_value(password)
    at.button[0].click().run()
    assert message_during_check == [1]  # the message did come during the check
    no_exception(at)
    assert bool(at.session_state["authentication_status"]) is logged_in
    if logged_in:
        assert at.session_state["username"] == "sales"
        assert not at.text_input  # the form is gone after one submit
    else:
        assert "do not match" in texts(at)  # the user is told, not left waiting
