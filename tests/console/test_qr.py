"""QR codes."""

import pytest

from linksplus.console.qr import qr_png


def test_png_bytes():
    png = qr_png("https://pay.example.com/l/abc")
    assert png.startswith(b"\x89PNG") and len(png) > 200
    with pytest.raises(ValueError):
        qr_png("")


def test_print_card_is_a_300_dpi_png_with_the_code_and_a_label_under_it():
    import io

    import segno
    from PIL import Image

    from linksplus.console.qr import PRINT_DPI, PRINT_WIDTH, qr_print_png

    url = "https://pay.example.com/l/abc"
    card = Image.open(io.BytesIO(qr_print_png(url, "Deposit 1042", "1,250.50 THB")))
    assert card.width == PRINT_WIDTH and card.height > card.width
    assert round(card.info["dpi"][0]) == PRINT_DPI
    # The code's modules are where segno's matrix puts them (it scans as the URL).
    matrix = segno.make(url, error="m").matrix
    size = len(matrix)
    grey = card.convert("L")
    left = next(x for x in range(card.width) if grey.getpixel((x, card.width // 12 + 2)) < 128)
    scale = (PRINT_WIDTH - 2 * (PRINT_WIDTH // 12)) // size
    top = PRINT_WIDTH // 12
    for r in range(size):
        for c in range(size):
            dark = grey.getpixel((left + c * scale + scale // 2, top + r * scale + scale // 2))
            assert (dark < 128) == bool(matrix[r][c]), (r, c)
    # The label is drawn below the code.
    label = grey.crop((0, top + size * scale + 10, card.width, card.height))
    assert label.getextrema()[0] < 128


def test_thai_names_are_drawn_with_thai_glyphs_and_long_names_fit():
    import io

    from PIL import Image, ImageChops

    from linksplus.console.qr import label_font_path, qr_print_png

    if label_font_path() is None or "tlwg" not in label_font_path():
        pytest.skip(f"no Thai font installed (fonts-thai-tlwg); found {label_font_path()}")
    url = "https://pay.example.com/l/abc"

    def label(name: str):
        card = Image.open(io.BytesIO(qr_print_png(url, name, "100.00 THB"))).convert("L")
        return card.crop((0, card.height - card.width // 4, card.width, card.height))

    # Missing glyphs would be drawn as identical boxes: two different Thai words of the same
    # length would look the same.
    assert ImageChops.difference(label("กขคง"), label("มนพร")).getbbox() is not None
    wide = label("ยาว" * 200)  # cut with an ellipsis, not drawn past the edges
    assert wide.crop((0, 0, 40, wide.height)).getextrema()[0] > 128
