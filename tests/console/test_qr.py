"""QR codes."""

import pytest

from linksplus.console.qr import qr_png


def test_png_bytes():
    png = qr_png("https://pay.example.com/l/abc")
    assert png.startswith(b"\x89PNG") and len(png) > 200
    with pytest.raises(ValueError):
        qr_png("")
