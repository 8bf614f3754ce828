"""Money: minor units to display strings and back, exactly."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linksplus.money import (
    CURRENCIES,
    AmountError,
    check_amount,
    format_amount,
    get_currency,
    parse_amount,
    to_decimal,
)


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
    ],
)
def test_format_amount(minor, currency, text):
    assert format_amount(minor, currency) == text


def test_format_with_symbol_and_code():
    assert format_amount(125050, "thb", symbol=True) == "฿1,250.50"
    assert format_amount(125050, "thb", code=True) == "1,250.50 THB"
    assert format_amount(1500, "jpy", symbol=True, code=True) == "¥1,500 JPY"


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
    ],
)
def test_parse_amount_refuses_with_a_reason(text, currency, message):
    with pytest.raises(AmountError, match=message):
        parse_amount(text, currency)


def test_too_many_decimals_is_an_error_not_a_rounding():
    with pytest.raises(AmountError):
        parse_amount("0.001", "usd")


def test_unknown_currency_names_the_supported_ones():
    with pytest.raises(AmountError, match="THB"):
        get_currency("xyz")


def test_to_decimal_is_exact():
    assert to_decimal(12300, "thb") == Decimal("123.00")
    assert to_decimal(123, "jpy") == Decimal("123")


def test_check_amount_uses_the_currency_limits():
    assert check_amount(2000, "thb") is None
    assert "at least 20.00 THB" in check_amount(1999, "thb")
    assert "at most 150,000.00 THB" in check_amount(15_000_001, "thb")
    assert check_amount(100, "jpy") is None
    assert "at least" in check_amount(99, "jpy")
    assert "whole number" in check_amount(100.0, "thb")
    assert "whole number" in check_amount(True, "thb")


@given(st.sampled_from(sorted(CURRENCIES)), st.integers(min_value=0, max_value=10**15))
def test_parse_of_format_is_identity(currency, minor):
    assert parse_amount(format_amount(minor, currency), currency) == minor
    assert parse_amount(format_amount(minor, currency, symbol=True), currency) == minor
    assert parse_amount(format_amount(minor, currency, code=True), currency) == minor


@given(st.sampled_from(sorted(CURRENCIES)), st.integers(min_value=0, max_value=10**12))
def test_parse_of_plain_digits_matches_decimal(currency, minor):
    plain = str(to_decimal(minor, currency))
    assert parse_amount(plain, currency) == minor
