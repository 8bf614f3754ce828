"""CSV downloads that a spreadsheet opens as data, never as formulas.

Every CSV the console offers is written by `frame_csv`. A text cell that Excel, Sheets or
LibreOffice could read as a formula (``=HYPERLINK(...)``, ``+1``, ``-2+3``, ``@SUM(...)``)
gets a leading single quote, OWASP's rule for CSV injection. Only text cells are touched:
numbers (ints, decimals, booleans, times) are written as they are, so they stay numbers.
"""

from __future__ import annotations

import re

import pandas as pd

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


def frame_csv(frame: pd.DataFrame) -> bytes:
    """`frame` as UTF-8 CSV (no index, CRLF lines as RFC 4180 has them), every text cell
    neutralised against formulas."""
    # CRLF, not "\n": Python's writer quotes a cell only for the characters of its line
    # ending, and a bare CR left unquoted would split the row in Excel, starting a new cell
    # (say "=HYPERLINK(...)") that no check saw as the start of a cell.
    return neutralise_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8")
