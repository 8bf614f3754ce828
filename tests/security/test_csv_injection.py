"""Every CSV download is safe to open in a spreadsheet: a text cell that Excel, Sheets or
LibreOffice would run as a formula starts with a single quote (OWASP's rule), whatever
character it starts with, while numbers stay numbers.

Each download is checked through the function that builds it: the Links CSV
(`links_csv`), the Payments CSV (`payments_csv`), and the Templates and Webhook log CSVs
(`frame_csv` of the frame each page shows).
"""

from __future__ import annotations

import codecs
import csv
import io
from datetime import UTC, datetime

import pandas as pd
import pytest

from linksplus.console.csv_export import frame_csv, neutralise_cell
from linksplus.console.links_table import links_csv, links_frame, with_payments
from linksplus.console.payments_report import payments_csv
from linksplus.console.templates_table import templates_frame
from linksplus.eventlog import EventLog
from linksplus.models import Link, Template

# Each character a spreadsheet starts a formula with (OWASP: = + - @ tab CR), a line feed,
# the full-width forms, and leading spaces before one of them.
FORMULAS = [
    '=HYPERLINK("http://evil.test","Invoice")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "-5",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "  =1+1",
    "\uff1d1+1",
]
# Plain text, and a formula after a line break inside the text: the cell starts with "x",
# and stays one cell (a bare CR written unquoted would start a new one in Excel).
SAFE = ["Deposit for order 1042", "a=b", "1+1", "", "'quoted already", "x\r=1+1", "x\n@A1"]


def read(data: bytes) -> list[dict[str, str]]:
    # Every CSV starts with a byte-order mark, so that Excel on Windows reads it as UTF-8.
    assert data.startswith(codecs.BOM_UTF8), data[:20]
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _link(name: str, **extra) -> Link:
    return Link(
        id=7,
        team_id=101,
        template_id=1,
        name=name,
        amount=125_050,
        currency="thb",
        status="active",
        payment_url="https://pay.test/7",
        created_at=datetime(2026, 2, 10, 12, 0, tzinfo=UTC),
        **extra,
    )


@pytest.mark.parametrize("value", FORMULAS)
def test_links_csv_neutralises_every_formula_start(value):
    frame = with_payments(links_frame([_link(value)], [Template(id=1, name=value)]), None)
    row = read(links_csv(frame, "UTC"))[0]
    assert row["name"] == "'" + value
    assert row["template"] == "'" + value
    # Numbers stay numbers: the id, the amounts and the count are not quoted.
    assert (row["link_id"], row["amount"], row["paid_count"], row["paid_amount"]) == (
        "7",
        "1250.50",
        "0",
        "0.00",
    )


@pytest.mark.parametrize("value", SAFE)
def test_links_csv_leaves_plain_text_alone(value):
    frame = with_payments(links_frame([_link(value)], [Template(id=1, name="Shop")]), None)
    rows = read(links_csv(frame, "UTC"))
    assert len(rows) == 1 and rows[0]["name"] == value


@pytest.mark.parametrize("value", FORMULAS)
def test_payments_csv_neutralises_every_formula_start(value):
    events = pd.DataFrame(
        {
            "event": ["payment.completed"],
            "link_id": [7],
            "payment_id": [value],
            "amount": [-500],
            "currency": ["thb"],
            "status": [value],
            "occurred_at": pd.to_datetime(["2026-02-14T10:00:00Z"]),
            "received_at": pd.to_datetime(["2026-02-14T10:00:01Z"]),
        }
    )
    row = read(payments_csv(events, "UTC", names={7: value}))[0]
    assert row["payment_id"] == "'" + value and row["status"] == "'" + value
    assert row["link_name"] == "'" + value  # the link's name, as its maker typed it
    assert row["amount"] == "-5.00"  # an amount is a number, written as one
    assert row["link_id"] == "7"


@pytest.mark.parametrize("value", FORMULAS)
def test_templates_csv_neutralises_every_formula_start(value):
    templates = [Template(id=3, name=value, language=value, status="active", currency="thb")]
    row = read(frame_csv(templates_frame(templates, None)))[0]
    assert row["name"] == "'" + value and row["language"] == "'" + value
    assert (row["id"], row["links"]) == ("3", "0")


@pytest.mark.parametrize("value", FORMULAS)
def test_webhook_log_csv_neutralises_every_formula_start(value, tmp_path):
    log = EventLog(f"sqlite:///{tmp_path}/events.db")
    log.record_delivery("rejected", reason=value, event=value, payment_id=value, link_id=7)
    row = read(frame_csv(log.deliveries()))[0]
    for column in ("reason", "event", "payment_id"):
        assert row[column] == "'" + value, column
    assert row["outcome"] == "rejected"


def test_only_text_is_touched():
    assert neutralise_cell(-5) == -5
    assert neutralise_cell(None) is None
    assert neutralise_cell("-5") == "'-5"
