"""The Create link page: errors beside fields, one link per form, success panel."""

from __future__ import annotations

import pytest
from app_helpers import no_exception, texts

from linksplus.ui.create_view import CHECKING, FOUND
from linksplus.ui.widgets import md_escape


@pytest.fixture(params=["on", "off"], ids=["idempotency-on", "idempotency-off"])
def idempotency(request, sandbox):
    """Run with the sandbox honouring Idempotency-Key, and ignoring it as Links+ may."""
    sandbox.control("POST", "/idempotency", json={"idempotency": request.param})
    return request.param


def _template(sandbox, team=101):
    sandbox.seed_links(team, 1)
    return sandbox.client().list_templates(team)[0]


def _fill(at, name="Deposit 1042", amount="1,250.50", webhook=None):
    at.text_input(key="cl_name").set_value(name)
    at.text_input(key="cl_amount").set_value(amount)
    if webhook is not None:  # an admin's field only
        at.text_input(key="cl_webhook").set_value(webhook)
    return at


def _submit(at):
    at.button(key="FormSubmitter:create_link-Create link").click().run()
    return at


def test_template_defaults_fill_the_form(make_app, sandbox):
    template = _template(sandbox)
    at = make_app("sales").run().switch_page("pages/create_link.py").run()
    no_exception(at)
    assert at.selectbox(key="cl_template").value == template.id
    if template.currency:
        assert at.selectbox(key="cl_currency").value == template.currency.lower()


def test_errors_appear_beside_their_fields(make_app, sandbox):
    _template(sandbox)
    before = len(sandbox.client().list_links(101))
    at = make_app("admin", query={"team": "101"}).run().switch_page("pages/create_link.py").run()
    at.selectbox(key="cl_currency").set_value("thb")
    _submit(_fill(at, name="", amount="10.505", webhook="http://example.com/hook"))
    no_exception(at)
    page = texts(at)
    assert "Give the link a name" in page
    assert "at most 2 decimals" in page
    assert md_escape("must start with https://") in page  # escaped: messages quote input
    assert len(sandbox.client().list_links(101)) == before


def test_one_form_makes_one_link_even_when_retried(make_app, sandbox, idempotency):
    _template(sandbox)
    before = {ln.id for ln in sandbox.client().list_links(101)}
    at = make_app("sales").run().switch_page("pages/create_link.py").run()
    at.selectbox(key="cl_currency").set_value("thb")
    key = at.session_state["cl_idem"]
    # Everything fails, the check included: the link may or may not have been made.
    sandbox.faults(error_rate=1.0, seed=5)
    _submit(_fill(at))
    assert "could not be checked whether your link was made" in texts(at)
    assert "Pressing Create link again is safe" in texts(at)
    assert at.session_state["cl_idem"] == key  # a retry reuses the key
    sandbox.faults(0, 0)
    _submit(at)
    no_exception(at)
    new = [ln for ln in sandbox.client().list_links(101) if ln.id not in before]
    assert len(new) == 1
    assert new[0].amount == 125050 and new[0].name == "Deposit 1042"
    assert new[0].payment_url in [c.value for c in at.code]
    assert at.session_state["cl_idem"] != key  # renewed only after the success
    assert "is ready" in texts(at)
    # A second click right after (a double click) makes nothing more.
    _submit(at)
    assert len([ln for ln in sandbox.client().list_links(101) if ln.id not in before]) == 1


def test_a_lost_answer_is_checked_and_the_one_link_shown(make_app, sandbox, idempotency):
    _template(sandbox)
    before = {ln.id for ln in sandbox.client().list_links(101)}
    at = make_app("sales").run().switch_page("pages/create_link.py").run()
    at.selectbox(key="cl_currency").set_value("thb")
    # The link is made, then the connection drops before the answer.
    sandbox.faults(fail_next=1, fail_after_create=True, drop_after_create=True)
    _submit(_fill(at, name="Lost answer 7"))
    no_exception(at)
    assert CHECKING in [t.value for t in at.toast]
    new = [ln for ln in sandbox.client().list_links(101) if ln.id not in before]
    assert [ln.name for ln in new] == ["Lost answer 7"]
    page = texts(at)
    assert f"Link #{new[0].id}" in page and "is ready" in page
    assert FOUND in page
    assert new[0].payment_url in [c.value for c in at.code]


def test_the_custom_webhook_is_an_admins_field_only(make_app, sandbox):
    _template(sandbox)
    sales = make_app("sales").run().switch_page("pages/create_link.py").run()
    no_exception(sales)
    assert [t for t in sales.text_input if t.key == "cl_webhook"] == []
    assert "Custom webhook (optional)" not in texts(sales)
    admin = make_app("admin", query={"team": "101"}).run().switch_page("pages/create_link.py")
    admin.run()
    assert admin.text_input(key="cl_webhook").label == "Custom webhook (optional)"


def test_after_a_create_the_amount_is_the_templates_again(make_app, sandbox):
    template = _template(sandbox)
    at = make_app("sales").run().switch_page("pages/create_link.py").run()
    default = at.text_input(key="cl_amount").value
    currency = at.selectbox(key="cl_currency").value
    _submit(_fill(at, amount="777.00"))
    no_exception(at)
    assert "is ready" in texts(at)
    assert at.text_input(key="cl_amount").value == default  # not 777.00
    assert at.selectbox(key="cl_currency").value == currency
    assert at.text_input(key="cl_name").value == ""
    assert template.amount is None or default != ""
