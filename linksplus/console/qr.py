"""QR codes for payment links, as PNG bytes (segno and Pillow, no Streamlit)."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import segno
from PIL import Image, ImageColor, ImageDraw, ImageFont

DARK = "#1f2a44"
# A print card: 1,200 px wide is 10 cm at 300 dpi, a QR code a phone reads across a counter.
PRINT_WIDTH = 1200
PRINT_DPI = 300
# Fonts with Thai and Latin glyphs first (Debian's fonts-thai-tlwg, fonts-noto), then Latin
# only; without any, Pillow's own font. Thai names need one of the first.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/tlwg/Loma.ttf",
    "/usr/share/fonts/opentype/tlwg/Loma.otf",
    "/usr/share/fonts/truetype/tlwg/Garuda.ttf",
    "/usr/share/fonts/opentype/tlwg/Garuda.otf",
    "/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


def qr_png(url: str, *, scale: int = 6, border: int = 2) -> bytes:
    """A PNG of a QR code for `url`, ready for st.image or a download button."""
    if not url:
        raise ValueError("url is empty")
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=scale, border=border, dark=DARK)
    return buf.getvalue()


@cache
def label_font_path() -> str | None:
    """The first installed font of FONT_CANDIDATES, or None."""
    return next((p for p in FONT_CANDIDATES if Path(p).is_file()), None)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = label_font_path()
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)


def _fit(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> str:
    """`text`, cut with an ellipsis to fit `width` pixels on one line."""
    text = " ".join(text.split())
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def qr_print_png(url: str, name: str, amount: str) -> bytes:
    """A PNG card for printing: the QR code of `url`, with the link's `name` and `amount`
    (already formatted, e.g. "1,250.50 THB") under it, at 300 dpi."""
    if not url:
        raise ValueError("url is empty")
    code = segno.make(url, error="m")
    margin = PRINT_WIDTH // 12
    size = len(code.matrix)
    scale = max(1, (PRINT_WIDTH - 2 * margin) // size)
    # Straight from the module matrix (no PNG written and read back): a ZIP holds 1,000.
    dark = ImageColor.getcolor(DARK, "L")
    modules = bytes(dark if cell else 255 for row in code.matrix for cell in row)
    qr = Image.frombytes("L", (size, size), modules).resize(
        (size * scale, size * scale), Image.Resampling.NEAREST
    )
    name_font, amount_font = _font(PRINT_WIDTH // 18), _font(PRINT_WIDTH // 14)
    line = PRINT_WIDTH // 11
    height = margin + qr.height + margin // 2 + 2 * line + margin // 2
    card = Image.new("L", (PRINT_WIDTH, height), 255)
    card.paste(qr, ((PRINT_WIDTH - qr.width) // 2, margin))
    draw = ImageDraw.Draw(card)
    y = margin + qr.height + margin // 2
    text_width = PRINT_WIDTH - 2 * margin
    for text, font in ((name, name_font), (amount, amount_font)):
        draw.text(
            (PRINT_WIDTH // 2, y),
            _fit(draw, text, font, text_width),
            font=font,
            fill=DARK,
            anchor="ma",
        )
        y += line
    out = io.BytesIO()
    card.save(out, format="PNG", dpi=(PRINT_DPI, PRINT_DPI), compress_level=3)
    return out.getvalue()
