"""`md_escape`: text that a person or a URL supplied, made safe to show inside Streamlit's
Markdown (no Streamlit import here, so the UI's sentences can be built without it)."""

from __future__ import annotations

import re

# Every ASCII punctuation character: CommonMark lets each be backslash-escaped, and between
# them they start every Markdown construct and Streamlit directive (links, images, emphasis,
# code, HTML, :color[...], $math$, tables, headings, lists, entities like &#58;).
_MD_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# Streamlit turns some plain text into links or icons AFTER Markdown resolved the escapes
# (GFM's bare "https://…", "www.…" and "a@b.c" autolinks, ":material/…:", ":streamlit:",
# emoji ":name:"), so a backslash cannot stop those: an invisible word joiner does.
_TEXT_LINKS = re.compile(r"(?<=:)(?=//)|(?i:(?<=www)(?=\.))|(?<=@)|(?<=:)(?=[\w+/-]+:)")
_WORD_JOINER = "\u2060"


def md_escape(text: object) -> str:
    """`text` (anything a person or a URL supplied) made safe to put inside Markdown for
    Streamlit: shown literally, on one line, never as a link, image, icon or format."""
    one_line = re.sub(r"\s+", " ", str(text)).strip()
    return _MD_PUNCTUATION.sub(r"\\\1", _TEXT_LINKS.sub(_WORD_JOINER, one_line))
