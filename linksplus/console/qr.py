"""QR codes for payment links, as PNG bytes (segno, no Streamlit)."""

from __future__ import annotations

import io

import segno


def qr_png(url: str, *, scale: int = 6, border: int = 2) -> bytes:
    """A PNG of a QR code for `url`, ready for st.image or a download button."""
    if not url:
        raise ValueError("url is empty")
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=scale, border=border, dark="#1f2a44")
    return buf.getvalue()
