"""The Links page's parts about whose link it is, kept apart from links_view: who made a
link, sending it, and making another like it (in a link's detail)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from linksplus.ui.context import PageContext
from linksplus.ui.create_view import DUPLICATE_KEY
from linksplus.ui.share_view import share_panel
from linksplus.ui.widgets import md_escape
from linksplus.ui.workspace_data import WorkspaceUnavailable, workspace
from linksplus.workspace import OUTSIDE

HOW_LABELS = {
    "form": "the Create link form",
    "template": "a template",
    "bulk": "a bulk upload",
    "duplicate": "a copy of another link",
}


def made_by_text(ctx: PageContext, link_id: int) -> str:
    """ "Made by somchai on 3 Mar 2026, 14:05, with the Create link form", or that the link
    was made outside the console."""
    try:
        owner = workspace().owner(link_id)
    except WorkspaceUnavailable as exc:
        return str(exc)
    if owner is None:
        return f"This link was {OUTSIDE} (for instance in the Links+ dashboard)."
    when = pd.Timestamp(owner.made_at).tz_convert(ctx.tz).strftime("%d %b %Y, %H:%M")
    return f"Made by {owner.made_by} on {when}, with {HOW_LABELS.get(owner.how, owner.how)}."


def detail_extras(ctx: PageContext, row: dict) -> None:
    """In a link's detail: who made it, the Send it panel and Make another like this."""
    st.caption(f":material/person: {md_escape(made_by_text(ctx, int(row['id'])))}")
    if row.get("payment_url"):
        share_panel(
            link_id=int(row["id"]),
            name=str(row["name"]),
            amount=int(row["amount"]),
            currency=str(row["currency"]),
            url=str(row["payment_url"]),
            key="detail",
        )
    if st.button("Make another like this", icon=":material/content_copy:", key="duplicate"):
        template = row.get("template_id")
        st.session_state[DUPLICATE_KEY] = {
            "template_id": None if pd.isna(template) else int(template),
            "name": row["name"],
            "amount": int(row["amount"]),
            "currency": row["currency"],
            "multiple_usage": bool(row["multiple_usage"]),
            "additional": row.get("additional") or "",
        }
        st.switch_page("pages/create_link.py")
