"""`md_escape`: what a person or a URL supplied is shown literally inside Streamlit Markdown.

Streamlit renders GitHub-flavoured Markdown plus its own directives (:red[...],
:material/icon:, $math$) and turns bare addresses into links after Markdown's escapes are
resolved. These tests check the escaped form structurally (every Markdown special is
backslash-escaped, no autolink or shortcode pattern survives, the text reads back
unchanged); the browser test (test_markup_browser.py) renders hostile names in Chromium.
"""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linksplus.ui.widgets import md_escape

WJ = "\u2060"  # the invisible word joiner md_escape puts into bare links and shortcodes

HOSTILE = [
    "[Refund here](https://evil.example/pay)",
    "![t](http://host/x.png)",
    "<img src=http://host/x.png>",
    '<a href="https://evil.example">x</a>',
    "[x][ref]\n\n[ref]: https://evil.example",
    "https://evil.example/login",
    "Visit www.evil.example now",
    "mail ceo@evil.example",
    "<https://evil.example>",
    "https&#58;//evil.example",
    ":red[alarm] :material/warning: :streamlit: :smile:",
    "$\\frac{1}{0}$ and $$x$$",
    "**bold** _it_ ~~gone~~ `code`",
    "# Heading\n- item\n> quote\n1. one",
    "| a | b |\n|---|---|\n| c | d |",
    "back\\slash\\[not a link\\](https://evil.example)",
]


def shown(escaped: str) -> str:
    """What Markdown shows for `escaped` when every special is escaped: the characters
    after their backslashes, without the invisible joiners."""
    return re.sub(r"\\(.)", r"\1", escaped).replace(WJ, "")


def unescaped_specials(escaped: str) -> list[str]:
    """ASCII punctuation in `escaped` that is not preceded by its own backslash."""
    found, i = [], 0
    while i < len(escaped):
        if escaped[i] == "\\":
            i += 2
            continue
        if escaped[i] in string.punctuation:
            found.append(escaped[i])
        i += 1
    return found


def check(text: str) -> None:
    escaped = md_escape(text)
    assert unescaped_specials(escaped) == []
    assert shown(escaped) == " ".join(text.split())  # literally the text, on one line
    assert "\n" not in escaped and "\r" not in escaped  # no new block (heading, list, table)
    # What Streamlit links or replaces after escapes are resolved cannot match any more.
    plain = re.sub(r"\\(.)", r"\1", escaped)
    assert not re.search(r"https?://|www\.|@[-\w]|:[\w+/-]+:", plain, re.IGNORECASE)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_shown_literally(text):
    check(text)


def test_known_escapes():
    assert md_escape("[Refund here](https://evil.example/pay)") == (
        "\\[Refund here\\]\\(https\\:" + WJ + "\\/\\/evil\\.example\\/pay\\)"
    )
    assert md_escape("Deposit for order 1042") == "Deposit for order 1042"  # plain text as is
    assert md_escape("ราคา 1,250 บาท") == "ราคา 1\\,250 บาท"
    assert md_escape(42) == "42"


@given(st.text().map(lambda t: t.replace(WJ, "")))
def test_any_text_is_shown_literally(text):
    check(text)
