"""Links between pages go through the navigation's pages: they open the page the user's
navigation holds."""

from __future__ import annotations

from app_helpers import no_exception, texts


def test_an_empty_team_is_offered_the_create_page(make_app, sandbox):
    sandbox.control("POST", "/teams", json={"id": 101, "name": "Bangkok Retail"})
    at = make_app("sales").run()
    no_exception(at)
    assert "This team has no payment links yet." in texts(at)
    (link,) = at.get("page_link")
    assert link.proto.label == "Create the first link"
    # The Create link page of the navigation: its address and the hash Streamlit opens it by.
    assert link.proto.page == "create_link" and link.proto.page_script_hash
