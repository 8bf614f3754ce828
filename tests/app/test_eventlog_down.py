"""Every page that reads the event log says the same thing when the log is down."""

from __future__ import annotations

import pytest
from app_helpers import no_exception

PAGES = ("pages/payments.py", "pages/webhook_log.py", "pages/settings.py")


def _messages(at) -> list[str]:
    return [e.value for e in (*at.info, *at.warning, *at.error)]


def _pages(make_app, sandbox, eventlog_url: str):
    """(page, its info, warning and error texts) for each page reading the event log, the Links
    page with one link's detail open."""
    sandbox.seed_links(101, 2)
    link = sandbox.client().list_links(101)[0]
    at = make_app("admin", query={"link": str(link.id)}, overrides={"eventlog_url": eventlog_url})
    at.run()
    no_exception(at)
    yield "pages/links.py", _messages(at)
    for page in PAGES:
        at.switch_page(page).run()
        no_exception(at)
        yield page, _messages(at)


def test_a_log_that_cannot_be_opened_is_named_in_one_sentence(make_app, sandbox):
    opening = (
        "The payment event log could not be opened. Ask an admin to check `eventlog_url` "
        "in Settings ("
    )
    shown = {
        page: [m for m in messages if m.startswith(opening)]
        for page, messages in _pages(make_app, sandbox, "nosuchdatabase://nowhere")
    }
    assert set(shown) == {"pages/links.py", *PAGES}
    sentences = {sentence for found in shown.values() for sentence in found}
    assert all(shown.values()) and len(sentences) == 1, shown


@pytest.fixture
def not_a_database(tmp_path) -> str:
    path = tmp_path / "broken" / "events.db"
    path.parent.mkdir()
    path.write_bytes(b"this is not an SQLite database, it only has the name of one" * 100)
    return f"sqlite:///{path}"


def test_a_log_that_cannot_be_read_says_what_is_missing(make_app, sandbox, not_a_database):
    expected = {
        "pages/links.py": "Payments cannot be read right now (DatabaseError).",
        "pages/payments.py": "Payments cannot be read right now (DatabaseError). This page "
        "tries again by itself.",
        "pages/webhook_log.py": "The webhook log cannot be read right now (DatabaseError). "
        "This page tries again by itself.",
        # The health check answers for itself.
        "pages/settings.py": "Not healthy: backend SQLite, 0 payments recorded",
    }
    for page, messages in _pages(make_app, sandbox, not_a_database):
        assert any(m.startswith(expected[page]) for m in messages), (page, messages)
