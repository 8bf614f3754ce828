"""Money: integers in the currency's smallest unit, and the strings people read and type.

An amount is always an ``int`` of minor units (satang, cents, yen). It becomes a decimal
string only for display (`format_amount`), and what a person types becomes minor units
only through `parse_amount`, exactly, with `Decimal`, never float.

Which amounts Links+ takes (`check_amount`): at least 100 in the smallest unit, in every
currency (Omise's Links+ page); on top of that, the charge limits Omise documents for the
country where the account is registered, which bind amounts in that country's currency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_name, get_currency_symbol
from iso4217 import Currency as Iso4217

from linksplus.i18n import N_, _

# The 14 currencies of Omise's multi-currency page (docs.omise.co/en/multi-currency,
# "Supported currencies"): the four account (funding) currencies and USD first, as the
# create form offers them, then the rest alphabetically.
OMISE_CURRENCIES = (
    "thb", "jpy", "sgd", "myr", "usd",
    "aud", "cad", "chf", "cny", "dkk", "eur", "gbp", "hkd", "idr",
)  # fmt: skip

# Omise's Links+ page (docs.omise.co/payment-links-apis): `amount` is "minimum 100", in the
# currency's smallest unit, whatever the currency.
MIN_AMOUNT = 100


@dataclass(frozen=True)
class Currency:
    """A currency Links+ accepts: its minor-unit exponent, and how it is written."""

    code: str
    exponent: int
    symbol: str
    name: str
    # Every sign or code a person may type with an amount in this currency, upper case.
    marks: frozenset[str]

    @property
    def factor(self) -> int:
        return 10**self.exponent

    @property
    def min_amount(self) -> int:
        """The least Links+ takes in this currency (its documented minimum, in minor units)."""
        return MIN_AMOUNT


def _currency(code: str) -> Currency:
    upper = code.upper()
    # ISO 4217's minor unit (the iso4217 package), which is what Omise counts amounts in
    # ("Yen is the only zero-decimal currency", docs.omise.co/currency-and-amount). Not
    # Babel's get_currency_precision: CLDR gives IDR 0 digits (cash use), ISO gives 2, and
    # reading rupiah as whole units would make every IDR link 100 times too small.
    exponent = Iso4217(upper).exponent
    english = get_currency_symbol(upper, "en")
    try:  # the currency's own country, by ISO 4217's rule: the code starts with it
        home = get_currency_symbol(upper, Locale.parse(f"und_{upper[:2]}"))
    except UnknownLocaleError:  # EUR: no single country
        home = english
    marks = {upper, english, home}
    if any("$" in m for m in marks):
        # A dollar is also written bare, or after its country's letters: S$, US$, HK$.
        marks |= {"$", f"{upper[0]}$", f"{upper[:2]}$"}
    return Currency(
        code=code,
        exponent=exponent,
        # English's symbol where it is more than the code (€, £, A$); else the currency's
        # own country's (฿, RM, Rp), unless that is just $, which means US dollars to most.
        symbol=english if english != upper or home == "$" else home,
        name=get_currency_name(upper, locale="en"),
        marks=frozenset(m.upper() for m in marks),
    )


CURRENCIES: dict[str, Currency] = {code: _currency(code) for code in OMISE_CURRENCIES}


@dataclass(frozen=True)
class AccountCountry:
    """A country an Omise account can be registered in, with the charge limits Omise
    documents for it, in minor units of the account's (funding) currency."""

    code: str
    name: str
    currency: str
    min_amount: int
    max_amount: int


# docs.omise.co/currency-and-amount, "Charge limits": minimum and maximum per charge by the
# country where the account is registered, in its funding currency. A charge in another
# currency is held to them after conversion into that currency, at a rate only Omise knows,
# so for other currencies only the Links+ minimum can be checked here.
ACCOUNT_COUNTRIES: dict[str, AccountCountry] = {
    c.code: c
    for c in (
        # The names are English (the setting accepts them); shown translated: _(name).
        AccountCountry("th", N_("Thailand"), "thb", 2_000, 15_000_000),
        AccountCountry("jp", N_("Japan"), "jpy", 100, 6_000_000),
        AccountCountry("sg", N_("Singapore"), "sgd", 100, 2_000_000),
        AccountCountry("my", N_("Malaysia"), "myr", 100, 10_000_000),
    )
}
DEFAULT_ACCOUNT_COUNTRY = "th"


class AmountError(ValueError):
    """An amount a person typed cannot be read; the message says why."""


def get_currency(code: str) -> Currency:
    """The `Currency` for a code in any case; `AmountError` when Links+ does not take it."""
    try:
        return CURRENCIES[str(code).strip().lower()]
    except KeyError:
        supported = ", ".join(c.upper() for c in CURRENCIES)
        raise AmountError(
            _("{code} is not a supported currency. Choose one of {supported}.").format(
                code=str(code).upper() or _("That"), supported=supported
            )
        ) from None


def get_account_country(country: str) -> AccountCountry:
    """The `AccountCountry` for a code or English name in any case (``th``, ``Thailand``);
    `ValueError` with a sentence listing the documented ones otherwise."""
    key = str(country).strip().lower()
    for c in ACCOUNT_COUNTRIES.values():
        if key in (c.code, c.name.lower()):
            return c
    known = ", ".join(f"{c.code} ({c.name})" for c in ACCOUNT_COUNTRIES.values())
    raise ValueError(
        _(
            "The account country {country} is not one Omise documents charge limits for; use "
            "one of {known}."
        ).format(country=repr(country), known=known)
    )


def to_decimal(minor: int, currency: str) -> Decimal:
    """Minor units as an exact `Decimal` of major units (12300 THB -> Decimal('123.00'))."""
    cur = get_currency(currency)
    return Decimal(int(minor)).scaleb(-cur.exponent)


def format_amount(minor: int, currency: str, *, symbol: bool = False, code: bool = False) -> str:
    """Minor units as the string people read: ``format_amount(125050, "thb") == "1,250.50"``.

    `symbol` puts the currency sign in front (``฿1,250.50``; a currency whose only sign is
    its code gets the code after instead: ``1.00 SGD``); `code` the code after
    (``1,250.50 THB``).
    """
    cur = get_currency(currency)
    minor = int(minor)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), cur.factor)
    text = f"{whole:,}"
    if cur.exponent:
        text += "." + str(frac).rjust(cur.exponent, "0")
    if symbol and cur.symbol == cur.code.upper():
        symbol, code = False, True
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


_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d*)?$")
# A sign or code before and after the number (฿1,250, 1,250 THB, 250 kr.); matches any text.
_MARK = re.compile(
    r"^(?P<lead>[^\d\s.,-][^\d\s-]*)?\s*(?P<number>.*?)\s*(?P<tail>[^\d\s.,][^\d\s]*)?$"
)


def _strip_marks(text: str, cur: Currency) -> str:
    """`text` without the currency's code or sign around it (``฿1,250``, ``1,250 THB``);
    `AmountError` when the mark is another currency's (``€100`` for a THB link)."""
    lead, number, tail = _MARK.match(text).group("lead", "number", "tail")
    for mark in (lead, tail):
        if not mark or mark.upper() in cur.marks:
            continue
        others = [c.code.upper() for c in CURRENCIES.values() if mark.upper() in c.marks]
        if others:
            raise AmountError(
                f"“{mark}” is {' or '.join(others)}, but this amount is in "
                f"{cur.code.upper()}: choose {others[0]} as the currency, or type the "
                f"amount in {cur.code.upper()}."
            )
        return text  # not a currency mark: the number check below says what is wrong
    return number


def parse_amount(text: str, currency: str) -> int:
    """What a person typed, as exact minor units.

    Accepts ``"1,250.50"``, ``"1250.5"``, ``"฿1,250"``, ``"1,250 THB"``. Refuses, with a
    message saying why, empty or non-numeric text, misplaced thousands separators, negative
    amounts, another currency's sign or code, and more decimals than the currency has
    (``"10.505"`` THB is an error, not rounded).
    """
    cur = get_currency(currency)
    s = _strip_marks(str(text).replace("\u00a0", " ").strip(), cur).replace(" ", "")
    if not s:
        raise AmountError(
            _("Enter an amount, for example 1,250.50.")
            if cur.exponent
            else _("Enter an amount, for example 1,250.")
        )
    if s.startswith("-"):
        raise AmountError(_("The amount cannot be negative."))
    # The message does not repeat what was typed: forms show it as Markdown.
    not_an_amount = _(
        "That is not an amount. Type digits, with an optional decimal point, for example {example}."
    ).format(example="1,250.50" if cur.exponent else "1,250")
    if not _NUMBER.match(s) or s in {".", ""}:
        raise AmountError(not_an_amount)
    try:
        value = Decimal(s.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern above already refuses these
        raise AmountError(not_an_amount) from None
    decimals = len(s.partition(".")[2])
    if decimals > cur.exponent:
        # Refused even when the extra digits are zeros: "1.000" is a thousand where a dot
        # groups thousands (EUR, DKK, IDR), never silently one.
        thousands = (
            " " + _("To write thousands, use a comma: {amount}.").format(amount=s.replace(".", ","))
            if decimals == 3
            else ""
        )
        if cur.exponent == 0:
            raise AmountError(
                _("{code} has no decimals: enter a whole amount.").format(code=cur.code.upper())
                + thousands
            )
        raise AmountError(
            _("{code} amounts have at most {n} decimals.").format(
                code=cur.code.upper(), n=cur.exponent
            )
            + thousands
        )
    return int(value.scaleb(cur.exponent))


def check_amount(minor: object, currency: str, country: str | None = None) -> str | None:
    """Why `minor` cannot be a Links+ amount in `currency`, or None when it can.

    Every currency: at least `MIN_AMOUNT` (Links+'s documented minimum). With the account's
    `country` (``th``, ``jp``, ``sg``, ``my``), an amount in that country's currency must
    also be within the charge limits Omise documents for it. Each message says whose rule
    it is.
    """
    cur = get_currency(currency)
    if isinstance(minor, bool) or not isinstance(minor, int):
        return _("The amount must be a whole number of the currency's smallest unit.")
    if minor < MIN_AMOUNT:
        return _("Links+ takes at least {amount} (100 in the currency's smallest unit).").format(
            amount=format_amount(MIN_AMOUNT, cur.code, code=True)
        )
    if country is None:
        return None
    account = get_account_country(country)
    if cur.code != account.currency:
        return None  # Omise's limits bind the converted amount; see ACCOUNT_COUNTRIES
    limit = format_amount
    if minor < account.min_amount:
        return _(
            "Omise accepts at least {amount} per charge for accounts in {country}, so a "
            "smaller link could not be paid."
        ).format(amount=limit(account.min_amount, cur.code, code=True), country=_(account.name))
    if minor > account.max_amount:
        return _(
            "Omise accepts at most {amount} per charge for accounts in {country}, so a "
            "larger link could not be paid."
        ).format(amount=limit(account.max_amount, cur.code, code=True), country=_(account.name))
    return None
