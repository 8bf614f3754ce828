"""New-link rules: each problem named by its field, in a sentence."""

import pytest

from linksplus.validation import link_param_errors, webhook_url_problem

GOOD = {"template_id": 1, "team_id": 2, "name": "Yoga class", "amount": 50000, "currency": "thb"}


def test_valid_params_have_no_errors():
    assert link_param_errors(GOOD) == {}
    assert (
        link_param_errors(
            {
                **GOOD,
                "custom_webhook": "https://hooks.example.com/x",
                "additional": "n" * 255,
                "multiple_usage": True,
            }
        )
        == {}
    )


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"name": ""}, "name", "Give the link a name"),
        ({"name": "x" * 46}, "name", "at most 45"),
        ({"amount": 99}, "amount", "at least"),
        ({"amount": 1999}, "amount", "at least 20.00 THB per charge for accounts in Thailand"),
        ({"amount": 15_000_001}, "amount", "at most 150,000.00 THB"),
        ({"amount": 99, "currency": "eur"}, "amount", "Links+ takes at least 1.00 EUR"),
        ({"amount": "100"}, "amount", "whole number"),
        ({"currency": "xxx"}, "currency", "not a supported currency"),
        ({"additional": "n" * 256}, "additional", "at most 255"),
        ({"template_id": "abc"}, "template_id", "must be a number"),
        ({"team_id": None}, "team_id", "is required"),
        ({"multiple_usage": "yes"}, "multiple_usage", "true or false"),
        ({"custom_webhook": "http://example.com/hook"}, "custom_webhook", "https://"),
    ],
)
def test_each_problem_names_its_field(change, field, words):
    errors = link_param_errors({**GOOD, **change}, account_country="th")
    assert list(errors) == [field]
    assert words in errors[field]


def test_amount_without_currency_still_needs_100():
    params = {k: v for k, v in GOOD.items() if k != "currency"}
    assert link_param_errors({**params, "amount": 100}) == {}
    assert "Links+'s minimum" in link_param_errors({**params, "amount": 50})["amount"]


@pytest.mark.parametrize("currency", ["eur", "gbp", "aud", "idr", "chf", "cny"])
def test_every_omise_currency_is_taken(currency):
    assert link_param_errors({**GOOD, "currency": currency}, account_country="th") == {}


def test_without_the_account_country_only_the_documented_minimum_is_checked():
    # The client and the sandbox do not know the account's country: 1.00 THB is what the
    # Links+ page allows, so it is not refused there.
    assert link_param_errors({**GOOD, "amount": 100}) == {}
    assert "amount" in link_param_errors({**GOOD, "amount": 100}, account_country="th")
    assert link_param_errors({**GOOD, "amount": 100}, account_country="sg") == {}


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/h",
        "ftp://example.com/h",
        "example.com/h",
        "https://",
        "https:///x",
        "https://exa mple.com/h",
        "https://example.com:99999/h",
        "javascript:alert(1)",
        "https://nodot/h",
    ],
)
def test_custom_webhook_refuses_non_https_and_malformed(url):
    assert webhook_url_problem(url)


@pytest.mark.parametrize(
    "url", ["https://example.com/h", "https://127.0.0.1:8443/webhooks", "https://localhost/x"]
)
def test_custom_webhook_accepts_https(url):
    assert webhook_url_problem(url) is None
