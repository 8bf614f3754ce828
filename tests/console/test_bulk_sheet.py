"""Reading an uploaded spreadsheet and checking its rows: every bad file gets a sentence."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from linksplus.console.bulk_sheet import (
    MAX_ROWS,
    SheetError,
    check_rows,
    created_frame,
    preview_frame,
    read_sheet,
    rows_from_frame,
    sample_csv,
)
from linksplus.console.csv_export import frame_csv
from linksplus.models import Template
from linksplus.workspace.store import RowParams, UploadRow

HEADER = "name,amount,currency,template,multiple use,note\n"
TEMPLATES = [Template(7, name="Shop", currency="thb"), Template(8, name="Class", currency="jpy")]


def _xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_csv_with_a_bom_thai_text_and_semicolons_reads_like_the_sample():
    text = HEADER.replace(",", ";") + "มัดจำห้อง 12;1,250.50;thb;Shop;no;ลูกค้า\n\n"
    rows = read_sheet("a.csv", b"\xef\xbb\xbf" + text.encode())
    assert [r.row_no for r in rows] == [2]
    assert rows[0].values["name"] == "มัดจำห้อง 12" and rows[0].values["amount"] == "1,250.50"
    sample = read_sheet("sample.csv", sample_csv(TEMPLATES))
    checked = check_rows(sample, TEMPLATES, account_country="th")
    assert [c.problems for c in checked] == [[], [], []]
    assert checked[0].params.amount == 125050 and checked[1].params.multiple_usage


def test_an_excel_file_reads_with_numbers_as_typed():
    content = _xlsx([["Name", "Amount", "Template"], ["Deposit", 1250.5, "Shop"], ["Fee", 800, 8]])
    checked = check_rows(read_sheet("a.xlsx", content), TEMPLATES, account_country="th")
    assert [(c.params.amount, c.params.currency, c.params.template_id) for c in checked] == [
        (125050, "thb", 7),
        (800, "jpy", 8),
    ]


@pytest.mark.parametrize(
    ("filename", "content", "sentence"),
    [
        ("a.csv", b"", "The file is empty"),
        ("a.csv", b"\xef\xbb\xbf\r\n \n", "The file is empty"),
        ("a.csv", HEADER.encode(), "its column names but no rows"),
        ("a.csv", b"Deposit,100,thb\nFee,200,thb\n", "Row 1 must name the columns"),
        ("a.csv", b"name,price\nDeposit,100\n", "Row 1 has a column this page does not know"),
        ("a.csv", b"name,note\nDeposit,x\n", "The column \u201camount\u201d is missing"),
        ("a.csv", b"name,amount,amount\nD,1,2\n", "appears twice"),
        ("a.csv", b"name,amount\nD,100,oops\n", "Row 2 has more cells than the header"),
        ("a.csv", b"name,amount\nD,100\nE,=1+1\n", "Row 3, column B holds a formula"),
        ("a.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a spreadsheet"),
        ("a.xlsx", b"not a zip at all", "not an Excel workbook"),
        ("a.xlsx", b"PK\x03\x04garbage", "not an Excel workbook"),
        ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Old Excel files (.xls)"),
        (
            "a.csv",
            "name,amount\nDeposit,100\nมัดจำ,200\n".encode("tis-620"),
            "Row 3 is not UTF-8 text (it looks like Thai in TIS-620",
        ),
        ("a.csv", b"x" * (5 * 1024 * 1024 + 1), "the limit is 5 MB"),
        (
            "a.csv",
            (HEADER + "n,100,thb,Shop,no,\n" * (MAX_ROWS + 1)).encode(),
            "more than 1,000 rows",
        ),
    ],
)
def test_a_bad_file_gets_one_sentence_saying_what_and_where(filename, content, sentence):
    with pytest.raises(SheetError) as caught:
        read_sheet(filename, content)
    assert sentence in str(caught.value)
    assert "Traceback" not in str(caught.value)


def test_an_excel_formula_is_refused_with_its_row_and_column():
    content = _xlsx([["name", "amount"], ["Deposit", 100], ["Fee", "=B2*2"]])
    with pytest.raises(SheetError, match="Row 3, column B holds a formula"):
        read_sheet("a.xlsx", content)


def test_each_row_gets_its_own_problems_and_good_rows_are_ready():
    text = HEADER + (
        "Good,100,,Shop,,\n"
        ",100,thb,Shop,no,\n"
        "Cheap,0.50,thb,Shop,no,\n"
        "Decimals,10.505,thb,Shop,no,\n"
        "No template,100,thb,Nope,no,\n"
        "Odd use,100,thb,Shop,maybe,\n"
        "Good,100,thb,Shop,no,\n"
        "Yen,1000,,Class,yes,\n"
    )
    checked = check_rows(read_sheet("a.csv", text.encode()), TEMPLATES, account_country="th")
    problems = {c.row_no: " ".join(c.problems) for c in checked}
    assert problems[2] == "" and checked[0].params.currency == "thb"
    assert "Give the link a name" in problems[3]
    assert "at least" in problems[4] or "minimum" in problems[4].lower()
    assert "at most 2 decimals" in problems[5]
    assert "no template “Nope”" in problems[6]
    assert "yes or no" in problems[7]
    assert "same as row 2" in problems[8]
    assert problems[9] == "" and checked[-1].params.currency == "jpy"
    # The preview table round-trips its edits back into rows.
    frame = preview_frame(checked)
    frame.loc[frame["row"] == 3, "name"] = "Now named"
    again = check_rows(rows_from_frame(frame), TEMPLATES, account_country="th")
    assert again[1].params is not None and again[1].params.name == "Now named"


def test_the_made_links_csv_writes_amounts_as_numbers_like_every_other_csv():
    rows = [
        UploadRow(RowParams(2, "Deposit", 150000, "thb", 1), "done", None, 11, "https://x/1", None),
        UploadRow(RowParams(3, "Ticket", 1500, "jpy", 1), "done", None, 12, "https://x/2", None),
    ]
    text = frame_csv(created_frame(rows)).decode("utf-8-sig").splitlines()
    assert text[1].split(",")[2:4] == ["1500.00", "THB"]  # not "1,500.00"
    assert text[2].split(",")[2:4] == ["1500", "JPY"]  # JPY has no minor unit


def test_optional_customer_columns_are_read_and_checked():
    text = (
        "name,amount,customer name,customer phone,customer email,customer line\n"
        "Deposit A,100,Khun Somsak,+66 81 234 5678,somsak@example.com,@somsak\n"
        "Deposit A,100,Khun Malee,,,\n"  # the same link for another customer: not a repeat
        "Deposit B,100,,081-CALL-ME,somsak at home,\n"
        "Deposit C,100,,,,\n"
    )
    checked = check_rows(read_sheet("a.csv", text.encode()), TEMPLATES[:1], account_country="th")
    assert checked[0].problems == [] and checked[0].customer.email == "somsak@example.com"
    assert checked[0].customer.line == "@somsak"
    assert checked[1].problems == [] and checked[1].customer.name == "Khun Malee"
    assert checked[2].params is None
    assert any("“customer phone”" in p and "only digits" in p for p in checked[2].problems)
    assert any("“customer email”" in p for p in checked[2].problems)
    assert checked[3].customer is None and checked[3].problems == []
    frame = preview_frame(checked)
    assert "customer email" in frame.columns  # shown once a row has a customer
    assert rows_from_frame(frame)[0].values["customer name"] == "Khun Somsak"
    # A file without them previews as before, and "email" is read as the customer's.
    plain = check_rows(
        read_sheet("b.csv", b"name,amount\nX,100\n"), TEMPLATES[:1], account_country="th"
    )
    assert "customer email" not in preview_frame(plain).columns
    short = read_sheet("c.csv", b"name,amount,email\nX,100,a@example.com\n")
    assert short[0].values["customer email"] == "a@example.com"


def test_the_sample_file_shows_the_customer_columns():
    sample = read_sheet("sample.csv", sample_csv(TEMPLATES))
    checked = check_rows(sample, TEMPLATES, account_country="th")
    assert checked[0].customer.email == "somchai@example.com"
    assert checked[1].customer is None
