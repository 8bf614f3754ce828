"""Sending a link, and who made it: the Create link page and a link's detail, by role."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from app_helpers import no_exception, texts

from linksplus.workspace import OUTSIDE, Workspace


def _template(sandbox, team=101):
    sandbox.seed_links(team, 1)
    return sandbox.client().list_templates(team)[0]


def _create(at, name="Deposit 1042", amount="1,250.50"):
    at.selectbox(key="cl_currency").set_value("thb")
    at.text_input(key="cl_name").set_value(name)
    at.text_input(key="cl_amount").set_value(amount)
    at.button(key="FormSubmitter:create_link-Create link").click().run()
    no_exception(at)
    return at


def share_links(at) -> dict[str, str]:
    """Label -> address of each link button on the page."""
    return {b.proto.label: b.proto.url for b in at.get("link_button")}


def _text(url: str, field: str) -> str:
    return parse_qs(urlsplit(url).query)[field][0]


@pytest.mark.parametrize("role", ["sales", "manager"])
def test_after_a_create_the_message_is_ready_to_send_and_who_made_it_is_recorded(
    make_app, sandbox, secrets, role
):
    _template(sandbox)
    at = _create(make_app(role).run().switch_page("pages/create_link.py").run())
    link = next(ln for ln in sandbox.client().list_links(101) if ln.name == "Deposit 1042")
    owner = Workspace(secrets["eventlog_url"]).owner(link.id)
    assert (owner.made_by, owner.team_id, owner.how) == (role, 101, "form")

    # Thai first; the message names the link, its amount with currency and its address.
    box = at.text_area(key=f"created_msg_{link.id}_th")
    assert "Deposit 1042" in box.value and "1,250.50 THB" in box.value
    assert link.payment_url in box.value and "ชำระ" in box.value
    urls = share_links(at)
    assert _text(urls["LINE"], "text") == box.value
    assert _text(urls["WhatsApp"], "text") == box.value
    assert _text(urls["Email"], "body") == box.value
    assert _text(urls["SMS"], "body") == box.value
    assert box.value in [c.value for c in at.code]  # the copy box

    # English, then an edit: the buttons send what is in the box.
    at.radio(key=f"created_lang_{link.id}").set_value("en").run()
    box = at.text_area(key=f"created_msg_{link.id}_en")
    assert box.value.startswith("Hello") and link.payment_url in box.value
    box.set_value("Hi Khun Somchai, " + box.value).run()
    assert _text(share_links(at)["LINE"], "text").startswith("Hi Khun Somchai, Hello")
    assert any(b.label == "Download QR code for printing" for b in at.get("download_button")), (
        "print download missing"
    )


def test_a_links_detail_says_who_made_it_shares_it_and_makes_another_like_it(
    make_app, sandbox, secrets
):
    _template(sandbox)
    outside = sandbox.client().list_links(101)[0]
    at = make_app("sales", query={"link": str(outside.id)}).run()
    no_exception(at)
    assert OUTSIDE in texts(at)
    assert _text(share_links(at)["LINE"], "text").count(outside.payment_url) == 1

    at = _create(make_app("sales").run().switch_page("pages/create_link.py").run(), "Mine 1")
    mine = next(ln for ln in sandbox.client().list_links(101) if ln.name == "Mine 1")
    at = make_app("manager", query={"link": str(mine.id), "team": "101"}).run()
    assert "Made by sales on" in texts(at) and "Create link form" in texts(at)

    at.button(key="duplicate").click().run()
    no_exception(at)
    assert at.text_input(key="cl_name").value == "Mine 1 (copy)"
    assert at.text_input(key="cl_amount").value == "1,250.50"
    at.button(key="FormSubmitter:create_link-Create link").click().run()
    copy = next(ln for ln in sandbox.client().list_links(101) if ln.name == "Mine 1 (copy)")
    assert copy.amount == mine.amount and copy.template_id == mine.template_id
    owner = Workspace(secrets["eventlog_url"]).owner(copy.id)
    assert (owner.made_by, owner.how) == ("manager", "duplicate")


def test_a_link_made_from_a_templates_page_choice_is_recorded_as_from_a_template(
    make_app, sandbox, secrets
):
    template = _template(sandbox)
    at = make_app("sales", query={"template": str(template.id)}).run()
    at.switch_page("pages/create_link.py")
    at.query_params["template"] = str(template.id)
    at = _create(at.run(), "From template 1")
    link = next(ln for ln in sandbox.client().list_links(101) if ln.name == "From template 1")
    assert Workspace(secrets["eventlog_url"]).owner(link.id).how == "template"
    # The next link from the same form, with no template picked anew, is a form link.
    next(b for b in at.button if b.label == "Create another link").click().run()
    at.session_state["cl_last_success"] = 0.0  # not a double click: a while later
    at = _create(at, "Plain form 1")
    plain = next(ln for ln in sandbox.client().list_links(101) if ln.name == "Plain form 1")
    assert Workspace(secrets["eventlog_url"]).owner(plain.id).how == "form"


def test_thai_messages_end_with_the_salespersons_own_particle_kept_for_them(
    make_app, sandbox, secrets
):
    _template(sandbox)
    at = _create(make_app("sales").run().switch_page("pages/create_link.py").run())
    link = next(ln for ln in sandbox.client().list_links(101) if ln.name == "Deposit 1042")
    box = at.text_area(key=f"created_msg_{link.id}_th")
    assert box.value.startswith("สวัสดีค่ะ") and box.value.endswith("ขอบคุณค่ะ")
    at.radio(key=f"created_particle_{link.id}").set_value("krap").run()
    box = at.text_area(key=f"created_msg_{link.id}_th")
    assert box.value.startswith("สวัสดีครับ") and box.value.endswith("ขอบคุณครับ")
    assert _text(share_links(at)["LINE"], "text") == box.value
    assert Workspace(secrets["eventlog_url"]).thai_particle("sales") == "krap"
    # Kept for them: another session opens the link's detail with ครับ already.
    detail = make_app("sales", query={"link": str(link.id)}).run()
    no_exception(detail)
    assert detail.text_area(key=f"detail_msg_{link.id}_th").value.endswith("ขอบคุณครับ")
    # Each person their own: the manager still gets the default.
    other = make_app("manager", query={"link": str(link.id), "team": "101"}).run()
    assert other.text_area(key=f"detail_msg_{link.id}_th").value.endswith("ขอบคุณค่ะ")


def test_edits_survive_switching_the_message_language_and_start_again_undoes_them(
    make_app, sandbox
):
    _template(sandbox)
    at = _create(make_app("sales").run().switch_page("pages/create_link.py").run())
    link = next(ln for ln in sandbox.client().list_links(101) if ln.name == "Deposit 1042")
    box = at.text_area(key=f"created_msg_{link.id}_th")
    ready = box.value
    box.set_value("เรียนคุณสมชาย " + ready).run()
    at.radio(key=f"created_lang_{link.id}").set_value("en").run()
    assert at.text_area(key=f"created_msg_{link.id}_en").value.startswith("Hello")
    at.radio(key=f"created_lang_{link.id}").set_value("th").run()
    no_exception(at)
    assert at.text_area(key=f"created_msg_{link.id}_th").value == "เรียนคุณสมชาย " + ready
    assert "Your edits are kept when you switch language." in texts(at)
    at.button(key=f"created_msg_{link.id}_th_reset").click().run()
    no_exception(at)
    assert at.text_area(key=f"created_msg_{link.id}_th").value == ready
