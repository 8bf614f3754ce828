"""What charts need to be read whole: axis labels wrapped onto lines instead of cut with
"…", and the one-sentence summaries shown under the charts (their text alternative)."""

from __future__ import annotations

import textwrap
import unicodedata

import altair as alt

# Axis labels wrap at this many characters, at most `LABEL_LINES` lines; each line is at
# most `LABEL_PX` wide, which a phone's chart affords beside its bars.
LABEL_CHARS = 22
LABEL_LINES = 3
LABEL_PX = 170
LINE_BREAK = "\n"


def wrapped(text: str, chars: int = LABEL_CHARS) -> str:
    """`text` broken at spaces into lines of about `chars` characters (LINE_BREAK between
    them), at most `LABEL_LINES` lines; a word longer than a line is broken inside."""
    lines = textwrap.wrap(str(text), chars, break_on_hyphens=False) or [""]
    if len(lines) > LABEL_LINES:
        lines = textwrap.wrap(str(text), -(-len(str(text)) // LABEL_LINES) + 1)
    return LINE_BREAK.join(lines)


def wrapped_axis(**extra) -> alt.Axis:
    """An axis whose labels (made by `wrapped`) are drawn one line under the other, every
    one shown (no overlap thinning), none cut."""
    return alt.Axis(
        labelExpr=f"split(datum.value, '{LINE_BREAK.encode('unicode_escape').decode()}')",
        labelOverlap=False,
        labelLimit=LABEL_PX,
        labelPadding=6,
        **extra,
    )


# A table header's letters at the table's header font (14 px): up to 8.7 px for English
# ones, 9 for Thai (measured in Chromium), and the room a header needs besides them (the
# cell's padding, 8 px each side, and a few to spare).
HEADER_CHAR_PX = 9
HEADER_PAD_PX = 24


def text_chars(text: str) -> int:
    """How many characters of `text` take room on a line: Thai vowel and tone marks sit
    above or below their letter and take none."""
    return sum(1 for c in str(text) if unicodedata.category(c) not in ("Mn", "Me"))


def column_px(header: str, content_px: int = 0) -> int:
    """A table column's width: its header whole (never cut), and at least `content_px`."""
    return max(int(content_px), round(text_chars(header) * HEADER_CHAR_PX) + HEADER_PAD_PX)


def amount_axis(**extra) -> alt.Axis:
    """A money axis in short numbers ("20M", "1.5B"): SI prefixes, but billions as "B",
    which is how people write them (SI's "G" is for gigabytes)."""
    return alt.Axis(labelExpr="replace(format(datum.value, '~s'), 'G', 'B')", **extra)
