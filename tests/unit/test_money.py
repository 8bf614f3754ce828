"""Money: minor units to display strings and back, exactly."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linksplus.money import (
    ACCOUNT_COUNTRIES,
    CURRENCIES,
    AmountError,
    check_amount,
    format_amount,
    get_account_country,
    get_currency,
    parse_amount,
    to_decimal,
)

# docs.omise.co/en/multi-currency, "Supported currencies".
OMISE_LISTS = [
    "AUD",
    "CAD",
    "CHF",
    "CNY",
    "DKK",
    "EUR",
    "GBP",
    "HKD",
    "IDR",
    "JPY",
    "MYR",
    "SGD",
    "THB",
    "USD",
]


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (125050, "thb", "1,250.50"),
        (12300, "THB", "123.00"),
        (5, "thb", "0.05"),
        (123, "jpy", "123"),
        (1234567, "jpy", "1,234,567"),
        (100, "sgd", "1.00"),
        (-250, "usd", "-2.50"),
        (125050, "eur", "1,250.50"),
        (1000000, "idr", "10,000.00"),
        (99, "gbp", "0.99"),
    ],
)
def test_format_amount(minor, currency, text):
    assert format_amount(minor, currency) == text


def test_format_with_symbol_and_code():
    assert format_amount(125050, "thb", symbol=True) == "฿1,250.50"
    assert format_amount(125050, "thb", code=True) == "1,250.50 THB"
    assert format_amount(1500, "jpy", symbol=True, code=True) == "¥1,500 JPY"
    assert format_amount(125050, "eur", symbol=True) == "€1,250.50"
    assert format_amount(125050, "myr", symbol=True) == "RM1,250.50"
    # A currency written only with its code gets the code, once, after the number.
    assert format_amount(125050, "sgd", symbol=True) == "1,250.50 SGD"
    assert format_amount(125050, "chf", symbol=True, code=True) == "1,250.50 CHF"


def test_every_currency_omise_lists_is_accepted():
    assert sorted(c.upper() for c in CURRENCIES) == OMISE_LISTS
    for code in OMISE_LISTS:
        assert get_currency(code).code == code.lower()


def test_each_currency_has_its_iso_minor_unit():
    # Omise: "Yen is the only zero-decimal currency" (docs.omise.co/currency-and-amount);
    # IDR has two decimals in ISO 4217, though CLDR (Babel) rounds it to none.
    assert {c.code for c in CURRENCIES.values() if c.exponent == 0} == {"jpy"}
    assert all(c.exponent == 2 for c in CURRENCIES.values() if c.code != "jpy")
    assert parse_amount("10,000.50", "idr") == 1_000_050
    assert parse_amount("10,000", "jpy") == 10_000


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1,250.50", "thb", 125050),
        ("1250.5", "thb", 125050),
        ("฿1,250", "thb", 125000),
        ("1,250 THB", "thb", 125000),
        ("THB 99.9", "thb", 9990),
        ("  1 250.00 ", "thb", 125000),
        (".5", "sgd", 50),
        ("12.", "myr", 1200),
        ("¥1,500", "jpy", 1500),
        ("0.10", "usd", 10),
        ("€1,250.50", "eur", 125050),
        ("1,250.50 EUR", "eur", 125050),
        ("£5", "gbp", 500),
        ("RM 12.30", "myr", 1230),
        ("S$5", "sgd", 500),
        ("$5", "sgd", 500),
        ("HK$5", "hkd", 500),
        ("Rp 15,000", "idr", 1_500_000),
        ("250 kr.", "dkk", 25000),
        ("CHF 10", "chf", 1000),
    ],
)
def test_parse_amount_reads_what_people_type(text, currency, minor):
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("", "thb", "Enter an amount"),
        ("abc", "thb", "is not an amount"),
        ("1,25,0", "thb", "is not an amount"),
        ("1.2.3", "thb", "is not an amount"),
        ("-5", "thb", "cannot be negative"),
        ("10.505", "thb", "at most 2 decimals"),
        ("10.5", "jpy", "no decimals"),
        ("1e5", "thb", "is not an amount"),
        ("NaN", "thb", "is not an amount"),
        # A dot grouping thousands (as in EUR or IDR) is never read as a decimal point.
        ("10.000", "idr", "at most 2 decimals. To write thousands, use a comma: 10,000"),
        ("1.000", "jpy", "no decimals"),
        # Another currency's sign or code is not silently dropped.
        ("€100", "thb", "“€” is EUR, but this amount is in THB: choose EUR"),
        ("100 USD", "thb", "is USD, but this amount is in THB"),
        ("¥100", "thb", "is JPY or CNY"),
    ],
)
def test_parse_amount_refuses_with_a_reason(text, currency, message):
    with pytest.raises(AmountError, match=message):
        parse_amount(text, currency)


def test_the_refusal_does_not_repeat_what_was_typed():
    # Forms show the message as Markdown: typed text must not become a link or markup.
    with pytest.raises(AmountError) as info:
        parse_amount("[pay here](https://evil.example)", "thb")
    assert "evil" not in str(info.value) and "[" not in str(info.value)


def test_too_many_decimals_is_an_error_not_a_rounding():
    with pytest.raises(AmountError):
        parse_amount("0.001", "usd")


def test_unknown_currency_names_the_supported_ones():
    with pytest.raises(AmountError, match="THB"):
        get_currency("xyz")


def test_to_decimal_is_exact():
    assert to_decimal(12300, "thb") == Decimal("123.00")
    assert to_decimal(123, "jpy") == Decimal("123")


@pytest.mark.parametrize("code", OMISE_LISTS)
def test_the_links_plus_minimum_of_100_holds_in_every_currency(code):
    assert check_amount(100, code) is None
    assert check_amount(10**12, code) is None  # Links+ documents no maximum
    problem = check_amount(99, code)
    assert problem.startswith("Links+ takes at least ")
    assert "(100 in the currency's smallest unit)" in problem


@pytest.mark.parametrize(
    ("country", "currency", "low", "high", "low_text", "high_text", "where"),
    [
        ("th", "thb", 2_000, 15_000_000, "20.00 THB", "150,000.00 THB", "Thailand"),
        ("jp", "jpy", 100, 6_000_000, "100 JPY", "6,000,000 JPY", "Japan"),
        ("sg", "sgd", 100, 2_000_000, "1.00 SGD", "20,000.00 SGD", "Singapore"),
        ("my", "myr", 100, 10_000_000, "1.00 MYR", "100,000.00 MYR", "Malaysia"),
    ],
)
def test_the_account_countrys_charge_limits_bind_its_own_currency(
    country, currency, low, high, low_text, high_text, where
):
    assert check_amount(low, currency, country) is None
    assert check_amount(high, currency, country) is None
    too_big = check_amount(high + 1, currency, country)
    assert too_big.startswith(
        f"Omise accepts at most {high_text} per charge for accounts in {where}"
    )
    if low > 100:  # below the country's minimum though Links+ would take it: say why
        too_small = check_amount(low - 1, currency, country)
        assert too_small.startswith(
            f"Omise accepts at least {low_text} per charge for accounts in {where}"
        )


def test_other_currencies_need_only_the_documented_minimum():
    # Omise applies the country's limits after converting into its currency, at a rate we
    # cannot know: another currency is held only to Links+'s minimum.
    assert check_amount(100, "eur", "th") is None
    assert check_amount(100_000_000_00, "usd", "th") is None
    assert check_amount(1_999, "thb", "sg") is None  # THB is foreign to a Singapore account
    assert check_amount(6_000_001, "jpy", "th") is None
    assert "Links+ takes at least 1.00 EUR" in check_amount(99, "eur", "th")
    # Without a country (the client, the sandbox) only the minimum applies.
    assert check_amount(1_999, "thb") is None


def test_check_amount_wants_whole_minor_units():
    assert "whole number" in check_amount(100.0, "thb")
    assert "whole number" in check_amount(True, "thb")


def test_account_countries_are_the_four_omise_documents():
    assert sorted(ACCOUNT_COUNTRIES) == ["jp", "my", "sg", "th"]
    assert get_account_country("Thailand").code == "th"
    assert get_account_country(" MY ").currency == "myr"
    with pytest.raises(ValueError, match="th \\(Thailand\\), jp \\(Japan\\)"):
        get_account_country("us")


@given(st.sampled_from(sorted(CURRENCIES)), st.integers(min_value=0, max_value=10**15))
def test_parse_of_format_is_identity(currency, minor):
    assert parse_amount(format_amount(minor, currency), currency) == minor
    assert parse_amount(format_amount(minor, currency, symbol=True), currency) == minor
    assert parse_amount(format_amount(minor, currency, code=True), currency) == minor


@given(st.sampled_from(sorted(CURRENCIES)), st.integers(min_value=0, max_value=10**12))
def test_parse_of_plain_digits_matches_decimal(currency, minor):
    plain = str(to_decimal(minor, currency))
    assert parse_amount(plain, currency) == minor
