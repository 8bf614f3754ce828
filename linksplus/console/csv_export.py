"""CSV downloads that a spreadsheet opens as data, never as formulas.

Every CSV the console offers is written by `frame_csv`. A text cell that Excel, Sheets or
LibreOffice could read as a formula (``=HYPERLINK(...)``, ``+1``, ``-2+3``, ``@SUM(...)``)
gets a leading single quote, OWASP's rule for CSV injection. Only text cells are touched:
numbers (ints, decimals, booleans, times) are written as they are, so they stay numbers.
"""

from __future__ import annotations

import re

import pandas as pd

from linksplus.i18n import DEFAULT_LANGUAGE, N_, translations

# OWASP's list (= + - @ tab carriage return), plus a line feed, the full-width forms some
# spreadsheets accept for = + - @, and any leading whitespace before one of them: LibreOffice
# and Sheets skip leading spaces when they decide whether a cell is a formula.
_FORMULA_START = re.compile(r"^(?:[\t\r\n]|\s*[=+\-@\uff1d\uff0b\uff0d\uff20])")


def neutralise_cell(value: object) -> object:
    """`value` with a ``'`` in front when it is text a spreadsheet would run as a formula;
    anything else (other text, numbers, None) unchanged."""
    if isinstance(value, str) and _FORMULA_START.match(value):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every text cell passed through `neutralise_cell`; numeric,
    boolean and datetime columns are left as they are."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column):
            out[name] = column.map(neutralise_cell, na_action="ignore")
    return out


# The column names of the CSV downloads. In English a header is the column's name as it
# is; in another language it is that name's translation (the catalog translates these
# names as headers: "link_id" -> "รหัสลิงก์").
HEADERS = (
    N_("link_id"),
    N_("link_name"),
    N_("name"),
    N_("status"),
    N_("template"),
    N_("currency"),
    N_("amount"),
    N_("multiple_usage"),
    N_("created_at"),
    N_("payment_url"),
    N_("paid_count"),
    N_("paid_amount"),
    N_("occurred_at"),
    N_("payment_id"),
    N_("row"),
    N_("id"),
    N_("language"),
    N_("default_amount"),
    N_("links"),
    N_("created"),
    N_("received_at"),
    N_("outcome"),
    N_("reason"),
    N_("event"),
    N_("remote"),
)


def frame_csv(frame: pd.DataFrame, language: str | None = None) -> bytes:
    """`frame` as UTF-8 CSV with a byte-order mark (no index, CRLF lines as RFC 4180 has
    them), every text cell neutralised against formulas; with a `language` other than
    English, the headers in that language. (A language, not the current one: a download is
    written when it is clicked, outside the page's run.)"""
    if language and language != DEFAULT_LANGUAGE:
        words = translations(language)
        frame = frame.rename(columns={c: words.gettext(c) for c in frame.columns if c in HEADERS})
    # CRLF, not "\n": Python's writer quotes a cell only for the characters of its line
    # ending, and a bare CR left unquoted would split the row in Excel, starting a new cell
    # (say "=HYPERLINK(...)") that no check saw as the start of a cell.
    # A byte-order mark first: without it Excel on Windows (what managers open a CSV with)
    # reads the file as the system's code page and shows Thai as mojibake.
    text = neutralise_frame(frame).to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")
