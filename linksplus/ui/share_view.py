"""Sending a link: a ready message (Thai or English, editable), buttons that open it in
LINE, WhatsApp, email and SMS, a copy box, and the QR code as a card for printing."""

from __future__ import annotations

import streamlit as st

from linksplus.console.qr import qr_print_png
from linksplus.console.sharing import (
    DEFAULT_PARTICLE,
    LANGUAGES,
    PARTICLES,
    payment_message,
    share_urls,
    subject,
)
from linksplus.i18n import N_, _
from linksplus.money import format_amount
from linksplus.ui.workspace_data import WorkspaceUnavailable, workspace

APPS = {
    "LINE": ":material/chat:",
    "WhatsApp": ":material/forum:",
    N_("Email"): ":material/mail:",  # the others are names, the same in Thai
    "SMS": ":material/sms:",
}


def share_panel(*, link_id: int, name: str, amount: int, currency: str, url: str, key: str) -> None:
    """The Send it panel for one link; `key` keeps its widgets apart from another panel's."""
    st.markdown("##### " + _("Send it to your customer"))
    lang = st.radio(
        _("Message language"),
        list(LANGUAGES),  # Thai first: Thailand's customers are reached in Thai, on LINE
        format_func=LANGUAGES.get,
        horizontal=True,
        key=f"{key}_lang_{link_id}",
    )
    box = f"{key}_msg_{link_id}_{lang}"
    particle = _particle_choice(f"{key}_particle_{link_id}", box) if lang == "th" else None
    message = _message_box(
        box, payment_message(name, amount, currency, url, lang, particle or DEFAULT_PARTICLE)
    )
    urls = share_urls(message, subject(name, lang))
    for col, (app, icon) in zip(st.columns(len(APPS)), APPS.items(), strict=True):
        col.link_button(_(app), urls[app], icon=icon, width="stretch")
    # Streamlit shows a code box's copy icon only under the pointer (or a tap): say so.
    st.caption(
        _("Or copy it: point at the box below (on a phone, tap it) and click its copy icon.")
    )
    st.code(message, language=None, wrap_lines=True)
    st.download_button(
        _("Download QR code for printing"),
        data=lambda: qr_print_png(url, name, format_amount(amount, currency, code=True)),
        file_name=f"link-{link_id}-qr-print.png",
        mime="image/png",
        icon=":material/print:",
        on_click="ignore",
        key=f"{key}_print_{link_id}",
    )


def stored_particle(username: str) -> str:
    """How `username` chose to end Thai messages ("ka" or "krap"; "ka" until they choose,
    or when the console's records cannot be read)."""
    try:
        return (workspace().thai_particle(username) if username else None) or DEFAULT_PARTICLE
    except WorkspaceUnavailable:
        return DEFAULT_PARTICLE


def _particle_choice(widget_key: str, box: str) -> str:
    """The user's Thai particle (ค่ะ or ครับ), asked beside the message `box` and kept for
    them; a message not edited yet is written again with the new choice."""
    username = st.session_state.get("username") or ""
    try:
        ws = workspace()
        stored = ws.thai_particle(username) if username else None
    except WorkspaceUnavailable:
        ws, stored = None, None
    choice = st.radio(
        _("End Thai messages with"),
        list(PARTICLES),
        index=list(PARTICLES).index(stored or DEFAULT_PARTICLE),
        format_func=PARTICLES.get,
        horizontal=True,
        key=widget_key,
        on_change=lambda: None if box in _drafts() else st.session_state.pop(box, None),
    )
    if ws is not None and username and choice != stored:
        ws.set_thai_particle(username, choice)
    return choice


def _drafts() -> dict[str, str]:
    """This session's edited messages, by message box."""
    return st.session_state.setdefault("share_drafts", {})


def _message_box(box: str, ready: str) -> str:
    """The editable message. What the user typed is kept per language (switching to the
    other language and back brings the edits back); Start again goes back to `ready`."""
    drafts = _drafts()

    def keep() -> None:
        drafts[box] = st.session_state[box]

    text = st.text_area(
        _("Message (you can edit it before sending)"),
        value=drafts.get(box, ready),
        height=120,
        key=box,
        on_change=keep,
    )
    if drafts.get(box, ready) != ready:
        st.caption(_("Your edits are kept when you switch language."))
        if st.button(_("Start again"), key=f"{box}_reset", icon=":material/restart_alt:"):
            drafts.pop(box, None)
            del st.session_state[box]  # else the box keeps showing the edits
            st.rerun()
    return text
