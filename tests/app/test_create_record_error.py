"""The Create link page when the console's records fail: the link is made and shown, with a
warning that its maker was not recorded."""

from __future__ import annotations

from app_helpers import no_exception, texts
from sqlalchemy import text

from linksplus.workspace import Workspace


def test_a_link_whose_maker_cannot_be_recorded_is_still_made_and_shown(make_app, sandbox, secrets):
    sandbox.seed_links(101, 1)
    before = {ln.id for ln in sandbox.client().list_links(101)}
    at = make_app("sales").run().switch_page("pages/create_link.py").run()
    ws = Workspace(secrets["eventlog_url"])
    with ws.engine.begin() as conn:  # the records break after the page opened
        conn.execute(text("DROP TABLE ws_link_owners"))
    ws.close()
    at.selectbox(key="cl_currency").set_value("thb")
    at.text_input(key="cl_name").set_value("Deposit 1042")
    at.text_input(key="cl_amount").set_value("1,250.50")
    at.button(key="FormSubmitter:create_link-Create link").click().run()
    no_exception(at)
    [made] = [ln for ln in sandbox.client().list_links(101) if ln.id not in before]
    assert made.name == "Deposit 1042"
    assert "is ready" in texts(at)
    assert [w.value for w in at.warning] == [
        f"Link #{made.id} was made, but the console could not record that you made it "
        "(OperationalError); it shows as made outside the console."
    ]
