"""The app's own CSS for the reader's language: Streamlit draws a few words of its own in
English only (the file uploader's "Upload" and "200MB per file • CSV, XLSX", the date
fields' "yyyy-mm-dd", the calendar's "Date range" presets); in another language they are
hidden, and ours shown in their place where the words matter.

Fixed text from the catalog only (nothing a user typed reaches the CSS)."""

from __future__ import annotations

import json

import streamlit as st

from linksplus.i18n import DEFAULT_LANGUAGE, _, current_language

_UPLOADER = '[data-testid="stFileUploaderDropzone"]'
_DATE_PART = '[data-testid="stDateInputField"] [data-placeholder="true"][data-type="{part}"]'


def _css_text(text: str) -> str:
    """`text` as a CSS string: quotes and backslashes escaped, one line."""
    return json.dumps(" ".join(text.split()), ensure_ascii=False)


def language_css() -> str:
    """The rules replacing Streamlit's English words in the current language ("" in
    English, where Streamlit's own words are right)."""
    if current_language() == DEFAULT_LANGUAGE:
        return ""
    upload = _css_text(_("Upload"))
    drop = _css_text(_("or drag the file here"))
    rules = [
        # The button keeps its icon; its word is ours. Streamlit's word is shrunk to
        # nothing rather than removed: it stays the button's accessible name (generated
        # content is not one for every screen reader, nor for axe-core).
        f'{_UPLOADER} button [data-testid="stMarkdownContainer"] p {{ font-size: 0; }}',
        f'{_UPLOADER} button [data-testid="stMarkdownContainer"]::after {{ content: {upload}; }}',
        # "5MB per file • CSV, XLSX": our label states the limit and the file types.
        f'{_UPLOADER} [data-testid="stFileUploaderDropzoneInstructions"] span {{ display: none; }}',
        f'{_UPLOADER} [data-testid="stFileUploaderDropzoneInstructions"] > div::after '
        f"{{ content: {drop}; }}",
    ]
    # The calendar's "Date range: Select..." presets ("Past week"...) are Streamlit's
    # English: left out (the pages that need periods have their own picker).
    rules.append('[data-testid="stDateInputQuickSelect"] { display: none; }')
    # An empty date field's parts: "ปปปป-ดด-วว" rather than "yyyy-mm-dd".
    for part, word in (
        ("year", _("yyyy")),
        ("month", _("mm")),
        ("day", _("dd")),
    ):
        rule = _DATE_PART.format(part=part)
        rules.append(f"{rule} {{ font-size: 0; }}")
        rules.append(f"{rule}::before {{ content: {_css_text(word)}; font-size: 0.875rem; }}")
    return "\n".join(rules)


def apply_language_css() -> None:
    """Put `language_css` on the page (nothing in English)."""
    css = language_css()
    if css:
        st.html(f"<style>\n{css}\n</style>")
