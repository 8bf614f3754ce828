"""Every page for every role in Thai: no visible English left untranslated (AppTest's
rendered elements against the catalog), the catalog itself complete, and the language a
person chose kept across logout and login."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from app_helpers import PASSWORD, no_exception, table_rows, texts
from streamlit.testing.v1 import AppTest
from thai_walk import (
    english_msgid_fragments,
    english_runs,
    english_words,
    untranslated,
    visible_texts,
)

from linksplus.eventlog import EventLog
from linksplus.sandbox.controls_client import SandboxControls
from linksplus.workspace import UserPrefs, Workspace

PAGES = {
    "sales": [
        "pages/links.py",
        "pages/templates.py",
        "pages/create_link.py",
        "pages/bulk_create.py",
        "pages/payments.py",
    ],
}
PAGES["manager"] = PAGES["sales"]
PAGES["admin"] = [
    *PAGES["sales"],
    "pages/webhook_log.py",
    "pages/settings.py",
    "pages/audit_log.py",
]


@pytest.fixture
def busy_team(sandbox, secrets) -> dict:
    """Team 101 with links, payments (so tiles, charts and tables show), an owner record
    and an upload; answers the data the pages show (names, ids), which may stay English."""
    sandbox.seed_links(101, 6)
    sandbox.seed_links(102, 2)
    client = sandbox.client()
    links = client.list_links(101)
    log = EventLog(secrets["eventlog_url"])
    for i, link in enumerate(links[:4]):
        log.record(
            {
                "event": "payment.completed",
                "link_id": link.id,
                "payment": {
                    "id": f"chrg_th_{i}",
                    "amount": link.amount,
                    "currency": link.currency,
                    "status": "failed" if i == 3 else "successful",
                },
                "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
    Workspace(secrets["eventlog_url"]).record_link(links[0].id, 101, "sales", "form")
    templates = client.list_templates(101) + client.list_templates(102)
    names = [ln.name for ln in links + client.list_links(102)]
    names += [t.name for t in templates]
    names += list(SandboxControls(sandbox.url).team_names().values())
    names += ["Sales", "Manager", "Admin", "sales", "manager", "admin", "Asia/Bangkok"]
    return {"link": links[0].id, "template": templates[0].id, "data": names}


def _thai(make_app, role: str, query: dict | None = None) -> AppTest:
    at = make_app(role, query=query)
    at.session_state["ui_language"] = "th"
    return at


@pytest.mark.parametrize("role", ["sales", "manager", "admin"])
def test_every_page_shows_no_untranslated_english_in_thai(make_app, busy_team, role):
    fragments = english_msgid_fragments()
    at = _thai(make_app, role, {"team": "101", "link": str(busy_team["link"])}).run()
    no_exception(at)
    problems = [f"links: {p}" for p in untranslated(at, busy_team["data"], fragments)]
    for page in PAGES[role][1:]:
        at.switch_page(page)
        if page == "pages/templates.py":
            at.query_params["template"] = str(busy_team["template"])
        at.run()
        no_exception(at)
        assert at.title, page
        problems += [f"{page}: {p}" for p in untranslated(at, busy_team["data"], fragments)]
    assert not problems, "\n".join(problems)


def test_the_check_catches_english_left_on_a_thai_page(make_app, busy_team):
    """The walk above fails on what it should: the same pages in English are full of it."""
    fragments = english_msgid_fragments()
    at = make_app("admin", query={"team": "101", "link": str(busy_team["link"])}).run()
    found = untranslated(at, busy_team["data"], fragments)
    assert any("Select a row" in p or "Payment URL" in p for p in found), found
    assert english_runs("ลิงก์ Download the sample file", []) == ["Download the sample file"]
    assert english_runs("ชื่อ Deposit for order 1042", ["Deposit for order 1042"]) == []
    kinds = {kind for kind, _text in visible_texts(at)}
    assert {"dataframe column", "Button", "Title"} <= kinds, kinds


def test_every_message_of_the_catalog_is_translated_into_thai():
    from babel.messages.pofile import read_po

    from linksplus.i18n import LOCALE_DIR

    with (LOCALE_DIR / "th" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale="th")
    missing = [
        m.id
        for m in catalog
        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
    ]
    assert not missing, missing


def test_the_login_page_follows_the_browser_language(make_app):
    at = make_app(None)
    at.context["locale"] = "th-TH"
    at.run()
    no_exception(at)
    assert at.title[0].value.endswith("Links+ Console")
    assert [b.label for b in at.button] == ["เข้าสู่ระบบ"]
    assert [t.label for t in at.text_input] == ["ชื่อผู้ใช้", "รหัสผ่าน"]
    english = make_app(None)
    english.context["locale"] = "de-DE"  # not one of ours: English
    english.run()
    assert [t.label for t in english.text_input] == ["Username", "Password"]


def _log_in(at: AppTest, username: str) -> AppTest:
    at.text_input(key="login_username").set_value(username)
    at.text_input(key="login_password").set_value(PASSWORD)
    return at.button[0].click().run()


def test_the_language_chosen_is_kept_across_logout_and_login(make_app, sandbox, secrets):
    sandbox.seed_links(101, 2)

    def browser() -> AppTest:  # a new browser session (no login cookie: AppTest has none)
        return make_app(None, overrides={"cookie_expiry_days": 0}).run()

    at = _log_in(browser(), "manager")
    no_exception(at)
    assert "Payment links of" in texts(at)  # English: the browser asked for nothing else
    at.radio(key="language_picker").set_value("th")
    at.toggle(key="buddhist_era_toggle").set_value(True)
    at.run()
    assert "ลิงก์ชำระเงินของ" in texts(at)
    assert Workspace(secrets["eventlog_url"]).user_prefs("manager") == UserPrefs("th", True)
    # Another browser (English), after that logout: the stored choice wins once logged in.
    again = _log_in(browser(), "manager")
    no_exception(again)
    assert "ลิงก์ชำระเงินของ" in texts(again)
    assert again.radio(key="language_picker").value == "th"
    assert again.toggle(key="buddhist_era_toggle").value is True
    again.button(key="console_logout").click().run()
    assert [t.label for t in again.text_input] == ["Username", "Password"]  # the browser's
    # Someone else on that browser gets the browser's language.
    other = _log_in(browser(), "sales")
    assert "Payment links of" in texts(other)


def test_dates_follow_the_language_and_the_buddhist_era(make_app, busy_team):
    year = datetime.now(UTC).year
    at = _thai(make_app, "sales", {"team": "101", "link": str(busy_team["link"])})
    at.session_state["ui_buddhist_era"] = True
    at.run()
    no_exception(at)
    made = next(c.value for c in at.caption if "สร้างโดย sales" in c.value).replace("\\", "")
    # "สร้างโดย sales เมื่อ 28 พ.ย. 2569, 14:05 ผ่านฟอร์มสร้างลิงก์": Thai month, BE year.
    assert re.search(rf"\d{{1,2}} [\u0e00-\u0e7f.]+ {year + 543}, \d\d:\d\d", made), made
    facts = next(m.value for m in at.markdown if "**สร้างเมื่อ:**" in m.value)
    assert str(year + 543) in facts and str(year) not in facts
    english = make_app("sales", query={"team": "101", "link": str(busy_team["link"])}).run()
    made = next(c.value for c in english.caption if "Made by sales" in c.value).replace("\\", "")
    assert re.search(rf"\d{{1,2}} [A-Z][a-z]{{2}} {year}, \d\d:\d\d", made), made


def test_the_links_table_words_its_status_and_use_cells_in_thai(make_app, busy_team):
    at = _thai(make_app, "sales", {"team": "101"}).run()
    no_exception(at)
    table = table_rows(at, "links_table")
    assert set(table["status"]) <= {"ใช้งานได้", "ชำระแล้ว", "หมดอายุ", "ปิดใช้งาน"}, table
    assert set(table["use"]) <= {"ใช้ได้ครั้งเดียว", "ใช้ได้หลายครั้ง"}, table
    english = table_rows(make_app("sales", query={"team": "101"}).run(), "links_table")
    assert set(english["use"]) <= {"Single", "Multiple"}
    assert list(english["id"]) == list(table["id"])


def test_a_language_picked_on_the_login_page_is_kept_for_the_user(make_app, sandbox, secrets):
    sandbox.seed_links(101, 2)
    at = make_app(None, overrides={"cookie_expiry_days": 0}).run()
    assert at.radio(key="login_language").value == "en"  # the browser's (none of ours)
    at.radio(key="login_language").set_value("th").run()
    assert [t.label for t in at.text_input] == ["ชื่อผู้ใช้", "รหัสผ่าน"]
    _log_in(at, "sales")
    no_exception(at)
    assert "ลิงก์ชำระเงินของ" in texts(at)
    assert Workspace(secrets["eventlog_url"]).user_prefs("sales") == UserPrefs("th", False)


def test_the_payments_table_words_its_statuses_in_thai(make_app, busy_team):
    at = _thai(make_app, "sales", {"team": "101"}).run()
    at.switch_page("pages/payments.py").run()
    no_exception(at)
    assert set(table_rows(at, "payments_table")["status"]) == {"ไม่สำเร็จ", "สำเร็จ"}


def test_the_check_catches_one_english_word_left_on_a_thai_page(make_app, busy_team, monkeypatch):
    """A single catalog word shown in English fails the walk: inside a Thai sentence, and
    in a table cell (here the Links table's status, with "Active" taken out of the Thai
    catalog as if it had never been translated)."""
    from linksplus.i18n import translations

    assert english_words("สถานะ Paid แล้ว", []) == ["Paid"]
    assert english_words("ลูกค้า Refused ไม่ได้", []) == ["Refused"]
    # Data is not a word left untranslated: names, ids, codes, product names.
    assert english_words("ลิงก์ Paid deposit 42 ของ Sales", ["Paid deposit 42", "Sales"]) == []
    assert english_words("ชำระผ่าน Links+ Omise LINE CSV QR URL THB", []) == []
    fragments = english_msgid_fragments()
    at = _thai(make_app, "sales", {"team": "101"}).run()
    assert not untranslated(at, busy_team["data"], fragments)
    monkeypatch.delitem(translations("th")._singular, "Active")
    at = _thai(make_app, "sales", {"team": "101"}).run()
    found = untranslated(at, busy_team["data"], fragments)
    assert "dataframe cell: 'Active'" in found, found
