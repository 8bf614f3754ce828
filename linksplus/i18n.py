"""The language a person reads: translated text (gettext catalogs) and numbers and dates
formatted for that language (Babel).

Catalogs are the ``.po`` files under ``linksplus/locale/<lang>/LC_MESSAGES/messages.po``,
extracted from the code with Babel (``make messages``); they are read with Babel and
compiled in memory on first use, so there is no binary ``.mo`` to keep in step.

Which language is current is asked of a *source*: by default a context variable set with
`use_language` (scripts, tests, the CLI); the Streamlit app registers one that reads the
browser session (`set_language_source`), so core modules translate without importing
Streamlit. English is the source language: an English run returns each message as written.
"""

from __future__ import annotations

import gettext
import json
import re
from collections.abc import Callable
from contextvars import ContextVar
from datetime import date, datetime, tzinfo
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.dates import get_month_names
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from pandas import Series, to_datetime

LANGUAGES: dict[str, str] = {"en": "English", "th": "ไทย"}
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"

_language: ContextVar[str] = ContextVar("linksplus_language", default=DEFAULT_LANGUAGE)
_buddhist_era: ContextVar[bool] = ContextVar("linksplus_buddhist_era", default=False)
_source: Callable[[], tuple[str, bool] | None] | None = None


def use_language(language: str, *, buddhist_era: bool = False) -> None:
    """Make `language` ("en", "th"; anything else means English) current in this context."""
    _language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    _buddhist_era.set(bool(buddhist_era))


def set_language_source(source: Callable[[], tuple[str, bool] | None] | None) -> None:
    """Ask `source` for (language, Buddhist-era years) before the context variable; when it
    returns None (no browser session) the context variable decides."""
    global _source
    _source = source


def _current() -> tuple[str, bool]:
    if _source is not None:
        picked = _source()
        if picked is not None:
            language, era = picked
            return (language if language in LANGUAGES else DEFAULT_LANGUAGE), bool(era)
    return _language.get(), _buddhist_era.get()


def current_language() -> str:
    """The language of this run: a key of `LANGUAGES`."""
    return _current()[0]


def buddhist_era() -> bool:
    """Whether years are written in the Buddhist era (2569 for 2026) in this run."""
    return _current()[1]


def babel_locale(language: str | None = None) -> Locale:
    """The Babel locale for `language` (default: the current one)."""
    return Locale.parse({"th": "th_TH", "en": "en_US"}[language or current_language()])


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of `language`; English (and a missing catalog) translate nothing."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == DEFAULT_LANGUAGE or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as f:
        catalog = read_po(f, locale=language)
    return _CatalogTranslations(catalog)


class _CatalogTranslations(gettext.NullTranslations):
    """A Babel `Catalog` as gettext translations (untranslated and fuzzy entries fall back
    to the English message)."""

    def __init__(self, catalog) -> None:
        super().__init__()
        self._plural = gettext.c2py(catalog.plural_expr)
        self._singular: dict[str, str] = {}
        self._plurals: dict[tuple[str, str], list[str]] = {}
        for message in catalog:
            if not message.id or message.fuzzy:
                continue
            if isinstance(message.id, (list, tuple)):
                forms = list(message.string)
                if all(forms):
                    self._plurals[(message.id[0], message.id[1])] = forms
            elif message.string:
                self._singular[message.id] = message.string

    def gettext(self, message: str) -> str:
        return self._singular.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        forms = self._plurals.get((singular, plural))
        if not forms:
            return singular if n == 1 else plural
        return forms[min(self._plural(n), len(forms) - 1)]


def _(message: str) -> str:
    """`message` (English, as written in the code) in the current language."""
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for `n`, in the current language."""
    return translations(current_language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks `message` for extraction without translating it now (module-level labels;
    translate where it is shown, with ``_(label)``)."""
    return message


def is_translated(message: str, language: str) -> bool:
    """Whether `language`'s catalog has `message` (English always has it)."""
    if language == DEFAULT_LANGUAGE:
        return True
    cat = translations(language)
    return isinstance(cat, _CatalogTranslations) and message in cat._singular


_ACCEPT = re.compile(r"([a-zA-Z]{1,8})(?:[-_][a-zA-Z0-9]{1,8})*\s*(?:;\s*q=([0-9.]+))?")


def language_from_browser(accept: str | None) -> str:
    """The first of our languages a browser asks for: an ``Accept-Language`` header or a
    single locale (``th-TH``); English when none of them is ours."""
    if not accept:
        return DEFAULT_LANGUAGE
    wanted: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept.split(",")):
        m = _ACCEPT.match(part.strip())
        if not m:
            continue
        try:
            q = float(m.group(2)) if m.group(2) else 1.0
        except ValueError:
            q = 0.0
        wanted.append((-q, i, m.group(1).lower()))
    for _q, _i, lang in sorted(wanted):
        if lang in LANGUAGES:
            return lang
    return DEFAULT_LANGUAGE


def _with_era(text: str, year: int) -> str:
    """`text` with the Gregorian `year` written as the Buddhist-era year (+543)."""
    return text.replace(str(year), str(year + 543)) if buddhist_era() else text


def format_date(value: date | datetime, format: str = "medium") -> str:
    """A date for the current language: "28 Nov 2026", "28 พ.ย. 2569" in Thai with
    Buddhist-era years on. "medium" is day, month, year in every language, as the tables
    write them (Babel's English "medium" would be "Nov 28, 2026")."""
    day = value.date() if isinstance(value, datetime) else value
    pattern = {"medium": "d MMM y"}.get(format, format)
    return _with_era(_babel_date(day, format=pattern, locale=babel_locale()), day.year)


def format_datetime(value: datetime, tz: tzinfo | str | None = None, format: str = "medium") -> str:
    """A moment for the current language, in `tz` ("28 Nov 2026, 14:05")."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    pattern = {"medium": "d MMM y, HH:mm", "short": "d MMM, HH:mm"}.get(format, format)
    text = _babel_datetime(value, pattern, tzinfo=zone, locale=babel_locale())
    local = value.astimezone(zone) if zone is not None else value
    return _with_era(text, local.year)


def month_abbreviations(language: str | None = None) -> list[str]:
    """The twelve abbreviated month names of `language` (default: the current one), January
    first: "Jan"…, "ม.ค."…"""
    names = get_month_names("abbreviated", locale=babel_locale(language))
    return [names[m] for m in range(1, 13)]


def date_cells(values, *, year: bool = True, time: str | None = "HH:mm") -> Series:
    """Table cells for many moments at once, as `format_datetime` writes them: "28 พ.ย. 2569,
    14:05" (``year=False``: "28 พ.ย., 14:05"; ``time`` "HH:mm", "HH:mm:ss" or None). Works
    column-wide (20,000 rows in milliseconds) rather than calling Babel per cell; empty
    moments stay empty (None)."""
    moments = to_datetime(Series(values).reset_index(drop=True))
    present = moments.notna()
    months = Series(month_abbreviations(), index=range(1, 13))
    text = moments.dt.day.astype("Int64").astype(str) + " " + moments.dt.month.map(months)
    if year:
        shift = 543 if buddhist_era() else 0
        text = text + " " + (moments.dt.year.astype("Int64") + shift).astype(str)
    if time:
        clock = {"HH:mm": "%H:%M", "HH:mm:ss": "%H:%M:%S"}[time]
        text = text + ", " + moments.dt.strftime(clock)
    return text.astype(object).where(present, None)


def vega_date_label(value: str = "datum.value") -> str:
    """A Vega expression writing the date `value` as "28 พ.ย." in the current language, a
    1 January as its year (Buddhist era when that setting is on): an axis ``labelExpr``."""
    months = json.dumps(month_abbreviations(), ensure_ascii=False)
    shift = 543 if buddhist_era() else 0
    return (
        f"month({value}) == 0 && date({value}) == 1 ? '' + (year({value}) + {shift})"
        f" : date({value}) + ' ' + {months}[month({value})]"
    )


def format_number(value: int | float) -> str:
    """A count or figure with the current language's grouping ("1,234")."""
    return format_decimal(value, locale=babel_locale())


def format_share(fraction: float) -> str:
    """A fraction as a percentage for the current language ("42%")."""
    return format_percent(fraction, locale=babel_locale())
