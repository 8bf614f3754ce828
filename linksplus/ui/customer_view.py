"""The customer on a link and voiding it, as the Links page and Settings show them: the
team's customers and void links (cached a few seconds), a link's Customer and Void panel,
and the admin's erasure of one customer's details."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from linksplus.console.links_table import LinkExtras, PreparedLinks
from linksplus.console.users import effective_role
from linksplus.i18n import _, format_datetime
from linksplus.ui import audit_trail, reminder_view
from linksplus.ui.cached import cached_loader
from linksplus.ui.context import PageContext
from linksplus.ui.widgets import field_error, md_escape
from linksplus.ui.workspace_data import WORKSPACE, WorkspaceUnavailable, workspace
from linksplus.workspace import Workspace, activity
from linksplus.workspace import customers as cust


@cached_loader(ttl=5, max_entries=32, depends_on=(WORKSPACE,))
def _customers(team_id: int, *, workspace_url: str, _records: Workspace) -> pd.DataFrame:
    return cust.customers_frame(_records, team_id)


@cached_loader(ttl=5, max_entries=32, depends_on=(WORKSPACE,))
def _voided(team_id: int, *, workspace_url: str, _records: Workspace) -> pd.DataFrame:
    return cust.voids_frame(_records, team_id)


def forget() -> None:
    """Drop the cached customers and voids after this session changed one."""
    _customers.clear()
    _voided.clear()


def team_customers(team_id: int) -> pd.DataFrame | None:
    """`team_id`'s customers (cached a few seconds), or None when the records are down."""
    try:
        return _customers(team_id)
    except WorkspaceUnavailable:
        return None


def team_voided(team_id: int) -> set[int]:
    """`team_id`'s void links (cached a few seconds); none when the records are down."""
    return set(team_voids(team_id)["link_id"].tolist())


def team_voids(team_id: int) -> pd.DataFrame:
    """`team_id`'s void links with when each was voided (`customers.voids_frame`; cached a
    few seconds); none when the records are down."""
    try:
        return _voided(team_id)
    except WorkspaceUnavailable:
        return pd.DataFrame(columns=["link_id", "voided_by", "voided_at", "reason"])


def extras(ctx: PageContext, links: PreparedLinks) -> LinkExtras:
    """The team's customers and void links for the rows of `links`."""
    return LinkExtras.of(links.frame, team_customers(ctx.team_id), team_voided(ctx.team_id))


def void_status(status: np.ndarray, void: np.ndarray) -> np.ndarray:
    """`status` with "void" for the void rows."""
    return np.where(void, "void", status) if void.any() else status


# -- a link's detail ----------------------------------------------------------------------


def may_void(ctx: PageContext, link_id: int) -> bool:
    """The link's maker, a manager or an admin may void a link and un-void it."""
    if effective_role(ctx.user.roles) in ("manager", "admin"):
        return True
    try:
        owner = workspace().owner(link_id)
    except WorkspaceUnavailable:
        return False
    return owner is not None and owner.made_by == ctx.user.username.lower()


def detail_section(ctx: PageContext, row: dict) -> None:
    """In a link's detail: its customer (this team's only) and whether it is void, with
    Void / Un-void for those who may."""
    link_id = int(row["id"])
    try:
        ws = workspace()
        customer = cust.customer_of(ws, link_id, ctx.team_id)
        void = cust.void_of(ws, link_id, ctx.team_id)
    except WorkspaceUnavailable as exc:
        st.caption(f":material/info: {md_escape(exc)}")
        return
    with st.container(key="link_customer"):
        if customer is None:
            st.caption(":material/person: " + _("No customer noted for this link."))
        else:
            _customer_facts(customer)
    if void is not None:
        when = format_datetime(pd.Timestamp(void.voided_at).to_pydatetime(), ctx.tz)
        st.container(key="link_void").warning(
            _("Void: marked by {user} on {when}. Reason: {reason}").format(
                user=md_escape(void.voided_by), when=when, reason=md_escape(void.reason)
            ),
            icon=":material/block:",
        )
    may = may_void(ctx, link_id)
    reminder_view.detail_section(ctx, row, customer, may and void is None)
    if may:
        _void_controls(ctx, link_id, void)


def _customer_facts(customer: cust.Customer) -> None:
    facts = {
        _("Customer"): customer.name,
        _("Phone"): customer.phone,
        _("Email"): customer.email,
        _("LINE"): customer.line,
    }
    st.markdown(
        "  \n".join(f"**{k}:** {md_escape(v)}" for k, v in facts.items() if v),
    )


def _void_controls(ctx: PageContext, link_id: int, void: cust.Void | None) -> None:
    ws = workspace()
    if void is not None:
        if st.button(_("Un-void this link"), key=f"unvoid_{link_id}", icon=":material/undo:"):
            cust.unvoid_link(ws, link_id, ctx.team_id)
            audit_trail.note(activity.LINK_UNVOIDED, link=link_id, team=ctx.team_id)
            forget()
            st.rerun()
        return
    with st.popover(_("Void this link"), icon=":material/block:"):
        st.caption(
            _(
                "Links+ cannot cancel a link: the customer can still pay it. Void takes it "
                "off your follow-ups and Still owed, and flags any payment that arrives."
            )
        )
        reason = st.text_input(
            _("Why (required)"), key=f"void_reason_{link_id}", max_chars=cust.REASON_MAX
        )
        if st.button(_("Void"), key=f"void_{link_id}", type="primary"):
            if not reason.strip():
                field_error(_("Say why the link is void, for example: wrong amount."))
                return
            cust.void_link(ws, link_id, ctx.team_id, ctx.user.username, reason)
            audit_trail.note(
                activity.LINK_VOIDED, link=link_id, team=ctx.team_id, reason=reason.strip()
            )
            forget()
            st.rerun()


# -- erasure (admins, on Settings) --------------------------------------------------------


def erase_section(ctx: PageContext) -> None:
    """Find a customer by name, email or phone in every team, and erase their details
    from every link (Thailand's PDPA: erasure on request)."""
    if effective_role(ctx.user.roles) != "admin":
        return
    st.subheader(_("Erase a customer's details"))
    st.caption(
        _(
            "On a customer's request: their name, phone, email and LINE are deleted from "
            "every link they were noted on. The links and payments stay."
        )
    )
    text = st.text_input(_("Name, email or phone contains"), key="erase_query")
    if st.session_state.pop("erased_note", None):
        st.success(st.session_state.pop("erased_text", ""), icon=":material/delete:")
    if len(text.strip()) < 2:
        return
    try:
        found = cust.find_customers(workspace(), text)
    except WorkspaceUnavailable as exc:
        st.caption(f":material/info: {md_escape(exc)}")
        return
    if found.empty:
        st.caption(_("No customer matches."))
        return
    shown = found.drop(columns=["upload_id", "row_no"]).rename(
        columns={
            "link_id": _("Link"),
            "team_id": _("Team"),
            "name": _("Customer"),
            "phone": _("Phone"),
            "email": _("Email"),
            "line": _("LINE"),
        }
    )
    st.container(key="erase_found").dataframe(shown, hide_index=True)
    sure = st.checkbox(
        _("Erase these {n} customers' details for good").format(n=len(found)), key="erase_sure"
    )
    st.button(
        _("Erase"),
        type="primary",
        disabled=not sure,
        key="erase_go",
        on_click=_erase,
        args=cust.found_keys(found),
    )


def _erase(link_ids: list[int], upload_rows: list[tuple[str, int]]) -> None:
    """The Erase button's callback (before the page redraws: it may empty the search):
    the customers of `link_ids` and of the bulk rows not made yet, `upload_rows`."""
    erased = cust.erase_customers(workspace(), link_ids, upload_rows)
    # The audit keeps which links, never what was erased (a copy would defeat the erasure).
    audit_trail.note(activity.CUSTOMER_ERASED, links=link_ids, erased=erased)
    forget()
    st.session_state["erased_note"] = True
    st.session_state["erased_text"] = _("Erased the customer's details from {n} links.").format(
        n=erased
    )
    st.session_state["erase_sure"] = False
    st.session_state["erase_query"] = ""
