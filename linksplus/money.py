"""Money: integers in the currency's smallest unit, and the strings people read and type.

An amount is always an ``int`` of minor units (satang, cents, yen). It becomes a decimal
string only for display (`format_amount`), and what a person types becomes minor units
only through `parse_amount`, exactly, with `Decimal`, never float.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class Currency:
    """A currency Links+ accepts, with its minor-unit exponent and charge limits."""

    code: str
    exponent: int
    symbol: str
    name: str
    min_amount: int
    max_amount: int

    @property
    def factor(self) -> int:
        return 10**self.exponent


# Limits from Omise's charge limits by country; USD follows Omise's general minimum and an
# upper bound of our choosing until Omise publishes one for Links+.
CURRENCIES: dict[str, Currency] = {
    c.code: c
    for c in (
        Currency("thb", 2, "฿", "Thai baht", 2_000, 15_000_000),
        Currency("jpy", 0, "¥", "Japanese yen", 100, 6_000_000),
        Currency("sgd", 2, "S$", "Singapore dollar", 100, 2_000_000),
        Currency("myr", 2, "RM", "Malaysian ringgit", 100, 10_000_000),
        Currency("usd", 2, "US$", "US dollar", 100, 10_000_000),
    )
}


class AmountError(ValueError):
    """An amount a person typed cannot be read; the message says why."""


def get_currency(code: str) -> Currency:
    """The `Currency` for a code in any case; `AmountError` when Links+ does not take it."""
    try:
        return CURRENCIES[str(code).strip().lower()]
    except KeyError:
        supported = ", ".join(c.upper() for c in CURRENCIES)
        raise AmountError(
            f"{str(code).upper() or 'That'} is not a supported currency. Choose one of {supported}."
        ) from None


def to_decimal(minor: int, currency: str) -> Decimal:
    """Minor units as an exact `Decimal` of major units (12300 THB -> Decimal('123.00'))."""
    cur = get_currency(currency)
    return Decimal(int(minor)).scaleb(-cur.exponent)


def format_amount(minor: int, currency: str, *, symbol: bool = False, code: bool = False) -> str:
    """Minor units as the string people read: ``format_amount(125050, "thb") == "1,250.50"``.

    `symbol` puts the currency sign in front (``฿1,250.50``); `code` the code after
    (``1,250.50 THB``).
    """
    cur = get_currency(currency)
    minor = int(minor)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), cur.factor)
    text = f"{whole:,}"
    if cur.exponent:
        text += "." + str(frac).rjust(cur.exponent, "0")
    if symbol:
        text = cur.symbol + text
    text = sign + text
    if code:
        text += " " + cur.code.upper()
    return text


def display_amount(minor: int, currency: str, **style: bool) -> str:
    """`format_amount` for screens and exports that must never fail: an amount in a
    currency this console does not know (a webhook may report any) shows as its raw minor
    units rather than breaking the page."""
    try:
        return format_amount(minor, currency, **style)
    except AmountError:
        return str(int(minor))


_SYMBOLS = sorted(
    {c.symbol for c in CURRENCIES.values()} | {"$", "¥", "￥", "฿"}, key=len, reverse=True
)
_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d*)?$")


def parse_amount(text: str, currency: str) -> int:
    """What a person typed, as exact minor units.

    Accepts ``"1,250.50"``, ``"1250.5"``, ``"฿1,250"``, ``"1,250 THB"``. Refuses, with a
    message saying why, empty or non-numeric text, misplaced thousands separators, negative
    amounts and more decimals than the currency has (``"10.505"`` THB is an error, not
    rounded).
    """
    cur = get_currency(currency)
    raw = str(text).strip()
    s = raw.replace("\u00a0", " ").strip()
    upper = s.upper()
    for code in (cur.code.upper(), *(c.upper() for c in CURRENCIES)):
        if upper.endswith(code):
            s = s[: -len(code)].strip()
            upper = s.upper()
        if upper.startswith(code):
            s = s[len(code) :].strip()
            upper = s.upper()
    for sym in _SYMBOLS:
        if s.startswith(sym):
            s = s[len(sym) :].strip()
            break
    s = s.replace(" ", "")
    if not s:
        raise AmountError(
            "Enter an amount, for example 1,250.50."
            if cur.exponent
            else "Enter an amount, for example 1,250."
        )
    if s.startswith("-"):
        raise AmountError("The amount cannot be negative.")
    if not _NUMBER.match(s) or s in {".", ""}:
        raise AmountError(
            f"“{raw}” is not an amount. Type digits, with an optional decimal "
            "point, for example 1,250.50."
        )
    try:
        value = Decimal(s.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern above already refuses these
        raise AmountError(f"“{raw}” is not an amount.") from None
    minor = value.scaleb(cur.exponent)
    if minor != minor.to_integral_value():
        if cur.exponent == 0:
            raise AmountError(f"{cur.code.upper()} has no decimals: enter a whole amount.")
        raise AmountError(f"{cur.code.upper()} amounts have at most {cur.exponent} decimals.")
    return int(minor)


def check_amount(minor: object, currency: str) -> str | None:
    """Why `minor` cannot be a Links+ amount in `currency`, or None when it can."""
    cur = get_currency(currency)
    if isinstance(minor, bool) or not isinstance(minor, int):
        return "The amount must be a whole number of the currency's smallest unit."
    low = max(100, cur.min_amount)
    if minor < low:
        return f"The amount must be at least {format_amount(low, cur.code, code=True)}."
    if minor > cur.max_amount:
        return f"The amount can be at most {format_amount(cur.max_amount, cur.code, code=True)}."
    return None
