"""The Create link page offers every currency Omise lists, with the documented limits."""

from __future__ import annotations

from app_helpers import no_exception, texts

from linksplus.ui.widgets import md_escape

OMISE_LISTS = {"AUD", "CAD", "CHF", "CNY", "DKK", "EUR", "GBP", "HKD", "IDR", "JPY", "MYR"}
OMISE_LISTS |= {"SGD", "THB", "USD"}  # docs.omise.co/en/multi-currency: 14 in all


def _form(make_app, sandbox, **overrides):
    sandbox.seed_links(101, 1)
    at = make_app("sales", overrides=overrides).run().switch_page("pages/create_link.py").run()
    no_exception(at)
    return at


def _create(at, currency, amount, name="Deposit 7"):
    at.selectbox(key="cl_currency").set_value(currency)
    at.text_input(key="cl_name").set_value(name)
    at.text_input(key="cl_amount").set_value(amount)
    at.button(key="FormSubmitter:create_link-Create link").click().run()
    no_exception(at)
    return texts(at)


def _new_links(sandbox):
    return [ln for ln in sandbox.client().list_links(101) if ln.name == "Deposit 7"]


def test_every_omise_currency_is_offered_and_a_euro_link_is_made(make_app, sandbox):
    at = _form(make_app, sandbox)
    assert set(at.selectbox(key="cl_currency").options) == OMISE_LISTS
    page = _create(at, "eur", "1,250.50")
    assert "is ready: 1,250.50 EUR" in page
    (link,) = _new_links(sandbox)
    assert (link.amount, link.currency) == (125050, "eur")


def test_the_account_countrys_limits_are_checked_and_explained(make_app, sandbox):
    # Thailand (the default): Omise takes at least 20.00 THB, though Links+ takes 1.00.
    page = _create(_form(make_app, sandbox), "thb", "19.99")
    assert md_escape("Omise accepts at least 20.00 THB per charge for accounts in Thailand") in page
    assert _new_links(sandbox) == []
    # In another currency only Links+'s minimum applies: 19.99 EUR is made.
    page = _create(_form(make_app, sandbox), "eur", "19.99")
    assert "is ready: 19.99 EUR" in page
    assert len(_new_links(sandbox)) == 1


def test_another_account_country_has_its_own_limits(make_app, sandbox):
    # A Singapore account: THB is a foreign currency there, SGD has Singapore's limits.
    page = _create(_form(make_app, sandbox, account_country="sg"), "sgd", "20,000.01")
    assert (
        md_escape("Omise accepts at most 20,000.00 SGD per charge for accounts in Singapore")
        in page
    )
    assert _new_links(sandbox) == []
    page = _create(_form(make_app, sandbox, account_country="sg"), "thb", "19.99")
    assert "is ready: 19.99 THB" in page
