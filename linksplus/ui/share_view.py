"""Sending a link: a ready message (Thai or English, editable), buttons that open it in
LINE, WhatsApp, email and SMS, a copy box, and the QR code as a card for printing."""

from __future__ import annotations

import streamlit as st

from linksplus.console.qr import qr_print_png
from linksplus.console.sharing import LANGUAGES, payment_message, share_urls, subject
from linksplus.i18n import N_, _
from linksplus.money import format_amount

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
    message = st.text_area(
        _("Message (you can edit it before sending)"),
        value=payment_message(name, amount, currency, url, lang),
        height=120,
        # One box per language: switching language starts from that language's text.
        key=f"{key}_msg_{link_id}_{lang}",
    )
    urls = share_urls(message, subject(name, lang))
    for col, (app, icon) in zip(st.columns(len(APPS)), APPS.items(), strict=True):
        col.link_button(_(app), urls[app], icon=icon, width="stretch")
    st.caption(_("Or copy the message with the button at its top right:"))
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
