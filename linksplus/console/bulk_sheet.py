"""Bulk create from a spreadsheet: reading the file, checking each row, the sample file.

`read_sheet` takes the uploaded bytes (CSV in UTF-8, with or without a byte-order mark, or
Excel .xlsx) and answers its rows, or raises `SheetError` with one sentence saying what is
wrong with the file and where; nothing is created from a file it refuses. `check_rows` then
turns each row into the parameters of one link, or the row's problems, so that good rows
never wait on bad ones.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pandas as pd

from linksplus.console.csv_export import frame_csv
from linksplus.console.sheet_guard import (
    MAX_CELL_CHARS,
    MAX_ROWS,
    Refused,
    collect_rows,
    read_xlsx,
)
from linksplus.i18n import N_, _, format_number
from linksplus.models import Template
from linksplus.money import (
    CURRENCIES,
    AmountError,
    get_account_country,
    parse_amount,
    to_decimal,
)
from linksplus.validation import link_param_errors
from linksplus.workspace.customers import Customer, customer_errors
from linksplus.workspace.store import RowParams, UploadRow

MAX_BYTES = 5 * 1024 * 1024
COLUMNS = ("name", "amount", "currency", "template", "multiple use", "note")
# Optional: who the link is for (kept in the console's records, never sent to Links+).
CUSTOMER_COLUMNS = {
    "customer name": "name",
    "customer phone": "phone",
    "customer email": "email",
    "customer line": "line",
}
ALL_COLUMNS = (*COLUMNS, *CUSTOMER_COLUMNS)
REQUIRED = ("name", "amount")
# Other spellings people give the same columns.
_ALIASES = {
    "multiple_use": "multiple use",
    "multiple usage": "multiple use",
    "multiple_usage": "multiple use",
    "multiple": "multiple use",
    "additional": "note",
    "template_id": "template",
    "template id": "template",
    "customer": "customer name",
    "phone": "customer phone",
    "email": "customer email",
    "line": "customer line",
}
_YES = {"yes", "y", "true", "1", "x", "multiple", "ใช่"}
_NO = {"", "no", "n", "false", "0", "single", "ไม่", "ไม่ใช่"}
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
_BOM = b"\xef\xbb\xbf"


class SheetError(ValueError):
    """The file cannot be used; the message is one sentence for the person who sent it."""


@dataclass(frozen=True)
class SheetRow:
    """A row of the file as typed: `row_no` is its line in the spreadsheet (header = 1)."""

    row_no: int
    values: dict[str, str]


@dataclass(frozen=True)
class CheckedRow:
    """A row and what it makes: `params` when it is good, else its `problems`."""

    row_no: int
    values: dict[str, str]
    params: RowParams | None
    problems: list[str] = field(default_factory=list)
    customer: Customer | None = None  # None when the row names no customer


def read_sheet(filename: str, content: bytes) -> list[SheetRow]:
    """The data rows of an uploaded CSV or .xlsx file; SheetError says what is wrong."""
    if len(content) > MAX_BYTES:
        raise SheetError(
            _(
                "The file is {size} MB; the limit is {limit} MB. Split it into smaller files."
            ).format(size=f"{len(content) / 1024 / 1024:.1f}", limit=MAX_BYTES // 1024 // 1024)
        )
    if not content.strip(b" \t\r\n" + _BOM):
        raise SheetError(_("The file is empty. Fill in the sample file and upload it again."))
    lower = filename.lower()
    if content.startswith(_OLE_MAGIC) or lower.endswith(".xls"):
        raise SheetError(
            _(
                "Old Excel files (.xls) cannot be read. In Excel, save it as .xlsx or as "
                "“CSV UTF-8” and upload that."
            )
        )
    try:
        if content.startswith(_XLSX_MAGIC):
            numbered = read_xlsx(content)
        elif lower.endswith((".xlsx", ".xlsm")):
            raise SheetError(_("This file is not an Excel workbook. Upload a .xlsx or .csv file."))
        else:
            numbered = _csv_rows(content)
    except Refused as refused:
        raise SheetError(_refusal(refused)) from None
    return _rows(numbered)


def _csv_rows(content: bytes) -> list[tuple[int, list[str]]]:
    if b"\x00" in content[:4096]:
        raise SheetError(_("This file is not a spreadsheet. Upload a .csv or .xlsx file."))
    text = _decode(content)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    records = _Records(csv.reader(io.StringIO(text), dialect))
    try:
        return collect_rows(records)
    except csv.Error as exc:
        if "field limit" in str(exc):  # longer than the csv module reads, far over our cap
            raise Refused("cell", row=records.count + 1, column=None) from None
        raise SheetError(_("The CSV file cannot be read ({error}).").format(error=exc)) from None


class _Records:
    """The CSV reader's records with their cells stripped, counting them as they come."""

    def __init__(self, reader: Iterator[list[str]]) -> None:
        self.reader = reader
        self.count = 0

    def __iter__(self) -> Iterator[list[str]]:
        for record in self.reader:
            self.count += 1
            yield [cell.strip() for cell in record]


def _decode(content: bytes) -> str:
    """UTF-8 text, a leading byte-order mark dropped (Excel's “CSV UTF-8” writes one)."""
    body = content.removeprefix(_BOM)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        row = body.count(b"\n", 0, exc.start) + 1
        thai = _looks_like_tis620(body)
        raise SheetError(
            (
                _("Row {row} is not UTF-8 text (it looks like Thai in TIS-620 / Windows-874).")
                if thai
                else _("Row {row} is not UTF-8 text.")
            ).format(row=row)
            + " "
            + _("In Excel, choose Save As → “CSV UTF-8 (comma delimited)” and upload that file.")
        ) from None


def _looks_like_tis620(body: bytes) -> bool:
    try:
        text = body.decode("tis-620")
    except UnicodeDecodeError:
        return False
    return any("\u0e00" <= ch <= "\u0e7f" for ch in text)


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _formula(row: int, column: str) -> SheetError:
    return SheetError(
        _(
            "Row {row}, column {column} holds a formula. Formulas are not accepted: replace "
            "them with their values (Copy, then Paste Special → Values) and upload again."
        ).format(row=row, column=column)
    )


def _too_many() -> SheetError:
    return SheetError(
        _(
            "The file has more than {n} rows; the limit is {n} an upload. Split it into "
            "smaller files."
        ).format(n=format_number(MAX_ROWS))
    )


def _refusal(refused: Refused) -> str:
    """The sentence for a sheet the guard refused, in the reader's language."""
    d = refused.details
    if refused.reason == "rows":
        return str(_too_many())
    if refused.reason == "formula":
        return str(_formula(d["row"], _letter(d["column"])))
    if refused.reason == "cell" and d.get("column") is None:
        return _(
            "Row {row} holds a cell of more than {limit} characters; no column needs that "
            "many. Shorten it and upload again."
        ).format(row=d["row"], limit=format_number(MAX_CELL_CHARS))
    if refused.reason == "cell":
        return _(
            "Row {row}, column {column} holds more than {limit} characters; no column needs "
            "that many. Shorten it and upload again."
        ).format(row=d["row"], column=_letter(d["column"]), limit=format_number(MAX_CELL_CHARS))
    sentence = _REFUSALS.get(refused.reason, _REFUSALS["crashed"])
    figures = {k: format_number(v) if isinstance(v, int | float) else v for k, v in d.items()}
    if "size" in d:
        figures["size"] = format_number(round(d["size"] / 1024 / 1024))
    return _(sentence).format(rows=format_number(MAX_ROWS), **figures)


# Refusals of the sheet guard (linksplus/console/sheet_guard.py), by reason.
_REFUSALS = {
    "parts": N_(
        "This file is not a plain spreadsheet: it has {count} parts inside, where a sheet of "
        "links has about ten. Save just the sheet with the links as .xlsx, or as “CSV UTF-8”, "
        "and upload that."
    ),
    "unpacked": N_(
        "This file is too large once unpacked ({size} MB), far more than {rows} rows need. "
        "Save just the sheet with the links as .xlsx, or as “CSV UTF-8”, and upload that."
    ),
    "ratio": N_(
        "This file is too large once unpacked: part of it grows {ratio} times, where a "
        "spreadsheet grows about ten. Save it again as .xlsx or as “CSV UTF-8” and upload that."
    ),
    "cells": N_(
        "The sheet has more than {limit} cells, far more than {rows} rows need. Delete the "
        "columns and rows around the links and upload again."
    ),
    "text": N_(
        "The sheet holds more than {limit} characters of text, far more than {rows} links "
        "need. Delete the columns of long text and upload again."
    ),
    "memory": N_(
        "This file needs more memory to read than a sheet of {rows} rows ever does, so it was "
        "not read. Save just the sheet with the links as “CSV UTF-8” and upload that."
    ),
    "time": N_(
        "Reading this file took more than {seconds} seconds, far longer than a sheet of "
        "{rows} rows takes, so it was stopped. Save it as “CSV UTF-8” and upload that."
    ),
    "busy": N_("Other spreadsheets are being read right now. Upload yours again in a minute."),
    "broken": N_("This file is not an Excel workbook ({error}). Upload a .xlsx or .csv file."),
    "crashed": N_("This file could not be read. Save it as “CSV UTF-8” and upload that."),
}


def _column(header: str) -> str:
    name = " ".join(header.strip().lower().replace("_", " ").split())
    return _ALIASES.get(name, _ALIASES.get(header.strip().lower(), name))


def _rows(numbered: list[tuple[int, list[str]]]) -> list[SheetRow]:
    """The data rows under the header, from the file's non-blank rows (blank lines and
    Excel's empty formatted rows say nothing, and are not among them)."""
    if not numbered:
        raise SheetError(_("The file is empty. Fill in the sample file and upload it again."))
    header_no, header = numbered[0]
    columns = [_column(h) for h in header]
    known = [c for c in columns if c in ALL_COLUMNS]
    if not known:
        raise SheetError(
            _(
                "Row {row} must name the columns ({columns}), but it does not: the file has no "
                "header. Start from the sample file."
            ).format(row=header_no, columns=", ".join(COLUMNS))
        )
    unknown = [h for h, c in zip(header, columns, strict=True) if c not in ALL_COLUMNS and h]
    if unknown:
        raise SheetError(
            _(
                "Row {row} has a column this page does not know: “{column}”. The columns are: "
                "{columns}."
            ).format(row=header_no, column=unknown[0], columns=", ".join(ALL_COLUMNS))
        )
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise SheetError(
            _("The column “{column}” is missing from row {row}.").format(
                column=missing[0], row=header_no
            )
        )
    twice = next((c for c in known if known.count(c) > 1), None)
    if twice:
        raise SheetError(
            _("The column “{column}” appears twice in row {row}.").format(
                column=twice, row=header_no
            )
        )
    data = numbered[1:]
    if not data:
        raise SheetError(_("The file has its column names but no rows to create."))
    rows = []
    for n, row in data:
        if len([c for c in row[len(columns) :] if c]):
            raise SheetError(
                _(
                    "Row {row} has more cells than the header has columns. Check for a stray "
                    "comma or a value outside the columns."
                ).format(row=n)
            )
        values = {c: (row[i] if i < len(row) else "") for i, c in enumerate(columns) if c}
        rows.append(SheetRow(n, {c: values.get(c, "") for c in ALL_COLUMNS}))
    return rows


def check_rows(
    rows: Sequence[SheetRow], templates: Sequence[Template], *, account_country: str
) -> list[CheckedRow]:
    """Each row as the parameters of one link (amount in minor units), or its problems."""
    by_id = {t.id: t for t in templates}
    by_name: dict[str, Template] = {}
    for t in templates:
        by_name.setdefault(t.name.strip().lower(), t)
    fallback_currency = get_account_country(account_country).currency
    seen: dict[tuple, int] = {}
    out = []
    for row in rows:
        v = row.values
        problems: list[str] = []
        template = _template(v.get("template", ""), templates, by_id, by_name, problems)
        params = _link_params(v, template, fallback_currency, account_country, problems)
        customer = _customer(v, problems)
        key = tuple(params[k] for k in ("template_id", "name", "amount", "currency"))
        # The same link for two customers is two links.
        key += (params["multiple_usage"], params["additional"], customer)
        if not problems and key in seen:
            problems.append(
                _(
                    "It is the same as row {row}: give it another name so that each row makes "
                    "its own link."
                ).format(row=seen[key])
            )
        seen.setdefault(key, row.row_no)
        good = None
        if not problems:
            good = RowParams(
                row_no=row.row_no,
                name=params["name"],
                amount=int(params["amount"]),
                currency=params["currency"],
                template_id=params["template_id"],
                multiple_usage=params["multiple_usage"],
                note=params["additional"],
            )
        out.append(CheckedRow(row.row_no, dict(v), good, problems, customer))
    return out


def _customer(v: dict[str, str], problems: list[str]) -> Customer | None:
    """The row's customer (None when it names none); its problems go to `problems`."""
    customer = Customer.of(**{f: v.get(c) for c, f in CUSTOMER_COLUMNS.items()})
    if customer.empty:
        return None
    labels = {f: c for c, f in CUSTOMER_COLUMNS.items()}
    for field_name, message in customer_errors(customer).items():
        problems.append(f"“{labels[field_name]}”: {message}")
    return customer


def _link_params(
    v: dict[str, str],
    template: Template | None,
    fallback_currency: str,
    account_country: str,
    problems: list[str],
) -> dict:
    """A row's cells as the parameters of a link; what is wrong with them goes to
    `problems` (the parameters are then only good for telling duplicates apart)."""
    currency = (v.get("currency") or "").strip().lower()
    if not currency:
        currency = (template.currency if template else None) or fallback_currency
    if currency not in CURRENCIES:
        problems.append(
            _("The currency “{currency}” is not one Omise takes.").format(
                currency=v.get("currency")
            )
        )
    amount = None
    if currency in CURRENCIES:
        try:
            amount = parse_amount(v.get("amount", ""), currency)
        except AmountError as exc:
            problems.append(str(exc))
    multiple = (v.get("multiple use") or "").strip().lower()
    if multiple not in _YES | _NO:
        problems.append(_("“multiple use” must be yes or no."))
    params = {
        "template_id": template.id if template else 0,
        "team_id": 0,
        "name": (v.get("name") or "").strip(),
        "amount": amount or 0,
        "currency": currency,
        "multiple_usage": multiple in _YES,
        "additional": (v.get("note") or "").strip() or None,
    }
    if amount is not None and template is not None:
        errors = link_param_errors(params, account_country=account_country)
        problems += [m for f, m in errors.items() if f not in ("template_id", "team_id")]
    elif not params["name"]:
        problems.append(_("Give the link a name; the payer sees it."))
    return params


def _template(text, templates, by_id, by_name, problems) -> Template | None:
    text = str(text or "").strip()
    if not text:
        if len(templates) == 1:
            return templates[0]
        problems.append(
            _("Choose a template: {names}.").format(
                names=", ".join(f"“{t.name}”" for t in templates[:5])
            )
        )
        return None
    if text.isdigit() and int(text) in by_id:
        return by_id[int(text)]
    found = by_name.get(text.lower())
    if found is None:
        problems.append(_("There is no template “{name}” in this team.").format(name=text))
    return found


def preview_frame(checked: Sequence[CheckedRow]) -> pd.DataFrame:
    """The preview table: the row's number, its cells as typed (the customer columns when
    a row has a customer), and its problems."""
    with_customer = any(c.values.get(k) for c in checked for k in CUSTOMER_COLUMNS)
    columns = ALL_COLUMNS if with_customer else COLUMNS
    return pd.DataFrame(
        [
            {
                "row": c.row_no,
                **{k: c.values.get(k, "") for k in columns},
                "problems": " ".join(c.problems),
            }
            for c in checked
        ],
        columns=["row", *columns, "problems"],
    )


def rows_from_frame(frame: pd.DataFrame) -> list[SheetRow]:
    """The preview table (as edited) back into rows."""
    return [
        SheetRow(
            int(r["row"]),
            {c: "" if pd.isna(r.get(c)) else str(r.get(c)).strip() for c in ALL_COLUMNS},
        )
        for r in frame.to_dict("records")
    ]


def sample_csv(templates: Sequence[Template] = ()) -> bytes:
    """A sample file with the columns (the customer's optional) and three example rows."""
    template = templates[0].name if templates else "Shop"
    frame = pd.DataFrame(
        [
            [
                *("Deposit order 1042", "1,250.50", "thb", template, "no", ""),
                *("Khun Somchai", "081 234 5678", "somchai@example.com", "somchai.line"),
            ],
            ["Class fee March", "800", "thb", template, "yes", "", "", "", "", ""],
            ["มัดจำห้อง 12", "3000", "thb", template, "no", "ลูกค้าใหม่", "คุณมาลี", "", "", ""],
        ],
        columns=list(ALL_COLUMNS),
    )
    return frame_csv(frame)


def created_frame(rows: Sequence[UploadRow]) -> pd.DataFrame:
    """The created links of an upload, one row each, for the CSV download."""
    return pd.DataFrame(
        [
            {
                "row": r.params.row_no,
                "name": r.params.name,
                # A number, as in every CSV of the console ("1500.00", not "1,500.00").
                "amount": to_decimal(r.params.amount, r.params.currency),
                "currency": r.params.currency.upper(),
                "link_id": r.link_id,
                "payment_url": r.payment_url,
            }
            for r in rows
            if r.link_id is not None
        ],
        columns=["row", "name", "amount", "currency", "link_id", "payment_url"],
    )
