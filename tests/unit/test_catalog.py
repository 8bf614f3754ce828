"""The Thai catalog is in step with the code: extraction (as `make messages` runs it)
finds no message missing from the committed .pot and .po, and every translation keeps
exactly the placeholders of its English message."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from linksplus.i18n import LOCALE_DIR, _, is_translated, ngettext, use_language

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _extracted() -> set[str | tuple[str, str]]:
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def _ids(path: Path) -> dict:
    with path.open("rb") as f:
        catalog = read_po(f, locale="th" if path.suffix == ".po" else None)
    return {
        (m.id if isinstance(m.id, str) else tuple(m.id)): m.string
        for m in catalog
        if m.id and not m.fuzzy
    }


def test_extraction_finds_no_message_missing_from_the_catalogs():
    code = _extracted()
    assert len(code) > 300  # the whole app, not an empty scan
    pot = _ids(LOCALE_DIR / "messages.pot")
    po = _ids(LOCALE_DIR / "th" / "LC_MESSAGES" / "messages.po")
    assert not code - set(pot), f"run `make messages`: {sorted(map(str, code - set(pot)))}"
    assert not code - set(po), f"run `make messages`: {sorted(map(str, code - set(po)))}"
    assert not set(po) - code, f"obsolete in the .po: {sorted(map(str, set(po) - code))}"


def test_every_translation_keeps_the_placeholders_of_its_message():
    po = _ids(LOCALE_DIR / "th" / "LC_MESSAGES" / "messages.po")
    wrong = []
    for msgid, msgstr in po.items():
        forms = msgstr if isinstance(msgstr, tuple) else (msgstr,)
        english = msgid if isinstance(msgid, tuple) else (msgid,)
        want = set(PLACEHOLDER.findall(english[-1]))
        for form in forms:
            if set(PLACEHOLDER.findall(form)) != want:
                wrong.append((msgid, form))
            try:
                form.format(**{p.strip("{}"): "x" for p in want})
            except (KeyError, IndexError, ValueError):
                wrong.append((msgid, form))
    assert not wrong, wrong


def test_a_message_reads_in_the_language_of_the_run():
    use_language("th")
    try:
        assert _("Log in") == "เข้าสู่ระบบ"
        assert is_translated("Log in", "th") and not is_translated("No such words", "th")
        assert ngettext("in {n} second", "in {n} seconds", 5).format(n=5) == "ในอีก 5 วินาที"
        assert _("No such words") == "No such words"  # an unknown message stays English
    finally:
        use_language("en")
    assert _("Log in") == "Log in"
    assert ngettext("in {n} second", "in {n} seconds", 1).format(n=1) == "in 1 second"
