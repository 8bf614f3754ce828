"""The Links page's parts about whose link it is, kept apart from links_view: My links and
Team, the Made by filter and column (managers), Needs follow-up, Paid since you last
looked, and in a link's detail who made it, sending it and making another like it."""

from __future__ import annotations

import contextlib
from contextlib import nullcontext
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st

from linksplus.console.follow_up import made_by, needs_follow_up, paid_since
from linksplus.console.links_table import VOID, LinkExtras, LinkFilters, PreparedLinks
from linksplus.console.sharing import LANGUAGES, reminder_message
from linksplus.console.users import CREATE, UserRecord, effective_role
from linksplus.i18n import N_, _, format_datetime, ngettext
from linksplus.money import format_amount
from linksplus.ui import audit_trail, cached_reads, reminder_view
from linksplus.ui.context import PageContext
from linksplus.ui.create_view import DUPLICATE_KEY
from linksplus.ui.payments_view import REFRESH_SECONDS  # the product's refresh interval
from linksplus.ui.share_view import share_panel, stored_particle
from linksplus.ui.widgets import labels, md_escape, nav_page
from linksplus.ui.workspace_data import WorkspaceUnavailable, forget_owners, workspace
from linksplus.ui.workspace_data import owners as owners_of
from linksplus.workspace import OUTSIDE, activity
from linksplus.workspace.customers import customer_of
from linksplus.workspace.store import FOLLOW_UP_DAYS_RANGE

VIEWS = {"mine": N_("My links"), "team": N_("Team")}
FOLLOW_UP_SHOWN = 20
PAID_MARKER = "_paid_marker"  # the change marker of the user's links at the last look

HOW_LABELS = {
    "form": N_("the Create link form"),
    "template": N_("a template"),
    "bulk": N_("a bulk upload"),
    "duplicate": N_("a copy of another link"),
}
MADE_BY = N_("Made by")


def made_by_text(ctx: PageContext, link_id: int) -> str:
    """ "Made by somchai on 3 Mar 2026, 14:05, with the Create link form", or that the link
    was made outside the console."""
    try:
        owner = workspace().owner(link_id)
    except WorkspaceUnavailable as exc:
        return str(exc)
    if owner is None:
        return _("This link was made outside the console (for instance in the Links+ dashboard).")
    when = format_datetime(pd.Timestamp(owner.made_at).to_pydatetime(), ctx.tz)
    how = _(HOW_LABELS[owner.how]) if owner.how in HOW_LABELS else owner.how
    return _("Made by {user} on {when}, with {how}.").format(user=owner.made_by, when=when, how=how)


def detail_extras(ctx: PageContext, row: dict) -> None:
    """Under a link's detail: who made it, the Send it panel and Make another like this."""
    with st.container(border=True, key="link_share"):
        _detail_extras(ctx, row)


def _detail_extras(ctx: PageContext, row: dict) -> None:
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
    if st.button(_("Make another like this"), icon=":material/content_copy:", key="duplicate"):
        template = row.get("template_id")
        st.session_state[DUPLICATE_KEY] = {
            "template_id": None if pd.isna(template) else int(template),
            "name": row["name"],
            "amount": int(row["amount"]),
            "currency": row["currency"],
            "multiple_usage": bool(row["multiple_usage"]),
            "additional": row.get("additional") or "",
            "customer": _customer_dict(ctx, int(row["id"])),
        }
        st.switch_page(nav_page(CREATE))


def _customer_dict(ctx: PageContext, link_id: int) -> dict:
    """The link's customer (this team's) as a dict, for Make another like this."""
    try:
        found = customer_of(workspace(), link_id, ctx.team_id)
    except WorkspaceUnavailable:
        return {}
    return asdict(found) if found else {}


# -- My links / Team, Made by -------------------------------------------------------------


def _default_view(ctx: PageContext) -> str:
    return "mine" if effective_role(ctx.user.roles) == "sales" else "team"


def _is_manager(ctx: PageContext) -> bool:
    return effective_role(ctx.user.roles) in ("manager", "admin")


def query_params(ctx: PageContext) -> dict[str, str]:
    """This module's part of the Links page's address: ``view`` and ``by`` when not the
    defaults."""
    out = {}
    view = st.session_state.get("lv_view")
    if view and view != _default_view(ctx):
        out["view"] = view
    chosen = st.session_state.get("lf_by") if _is_manager(ctx) else None
    if chosen:
        out["by"] = ",".join(chosen)
    return out


def scope(
    ctx: PageContext,
    links: PreparedLinks,
    mask: np.ndarray | None,
    panels: st.delta_generator.DeltaGenerator | None = None,
    *,
    extras: LinkExtras | None = None,
    filters: LinkFilters | None = None,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """My links or Team (and, for managers, Made by) narrowing `mask`; then Paid since you
    last looked and Needs follow-up (in `panels` when given). Answers the new mask and every row's
    maker when the Made by column is shown (managers), else None. My links leaves out the
    void links of `extras` unless the status filter of `filters` asks for them."""
    try:
        owners = owners_of(ctx.team_id)
    except WorkspaceUnavailable as exc:
        st.caption(f":material/info: {md_escape(exc)}")  # may quote a database error
        return mask, None
    makers = made_by(links.frame["id"], owners)
    s = st.session_state
    if "lv_view" not in s:  # once per visit: the address, else the role's default
        wanted = st.query_params.get("view")
        s["lv_view"] = wanted if wanted in VIEWS else _default_view(ctx)
        s["lf_by"] = [b for b in (st.query_params.get("by") or "").split(",") if b]
    view_col, by_col = st.columns([2, 3], vertical_alignment="bottom")
    view = view_col.segmented_control(
        _("Show"),
        list(VIEWS),
        format_func=labels(VIEWS, lambda v: _(VIEWS[v])),
        key="lv_view",
        required=True,
    )
    if view == "mine":
        mask = _and(mask, makers == ctx.user.username)
        wants_void = filters is not None and VOID in filters.statuses
        if extras is not None and extras.void.any() and not wants_void:
            mask = _and(mask, ~extras.void)
    if _is_manager(ctx):
        options = sorted(set(makers) | set(s.get("lf_by") or []))
        chosen = by_col.multiselect(
            _(MADE_BY),
            options,
            key="lf_by",
            placeholder=_("Anyone"),
            format_func=labels(options, maker_word),
        )
        if chosen:
            mask = _and(mask, np.isin(makers, chosen))
    with panels if panels is not None else nullcontext():  # the caller may place them
        _paid_since_panel(ctx, links)
        _follow_up_panel(ctx, links, owners, extras)
    return mask, makers if _is_manager(ctx) else None


def _and(mask: np.ndarray | None, other: np.ndarray) -> np.ndarray:
    return other if mask is None else mask & other


def with_made_by(shown: pa.Table, makers: np.ndarray | None, mask: np.ndarray | None) -> pa.Table:
    """The table with a Made by column, for managers."""
    if makers is None:
        return shown
    picked = makers if mask is None else makers[mask]
    words = np.where(picked == OUTSIDE, _(OUTSIDE), picked)
    return shown.append_column(_(MADE_BY), pa.array(words))


def maker_word(maker: str) -> str:
    """Who made a link, as the Made by column and filter show it."""
    return _(OUTSIDE) if maker == OUTSIDE else maker


# -- Needs follow-up ----------------------------------------------------------------------


def _follow_up_panel(
    ctx: PageContext, links: PreparedLinks, owners: pd.DataFrame, extras: LinkExtras | None
) -> None:
    ws = workspace()
    days = ws.follow_up_days(ctx.team_id)
    now = datetime.now(UTC)
    void_ids = links.frame["id"][extras.void] if extras is not None else ()
    due = needs_follow_up(links.frame, owners, ctx.user.username, days, now, void_ids)
    if not due.empty:
        # A payment that arrived since the table's totals were read leaves at once.
        try:
            paid = cached_reads.eventlog().payments(link_ids=due["id"].tolist())
            due = due[~due["id"].isin(paid.loc[paid["status"] == "successful", "link_id"])]
        except Exception:  # no event log: the table's own paid counts stand
            pass
    label = _("Needs follow-up ({n})").format(n=len(due)) if len(due) else _("Needs follow-up")
    with st.expander(label, expanded=bool(len(due)), icon=":material/notifications:"):
        if _is_manager(ctx):
            low, high = FOLLOW_UP_DAYS_RANGE
            new = st.number_input(
                _("Follow up single-use links unpaid after (days, for the whole team)"),
                min_value=low,
                max_value=high,
                value=days,
                step=1,
                key=f"fu_days_{ctx.team_id}",
            )
            if int(new) != days:
                ws.set_follow_up_days(ctx.team_id, int(new))
                audit_trail.note(activity.SETTINGS_CHANGED, what="follow_up_days", team=ctx.team_id)
                st.rerun()
            reminder_view.team_settings(ctx)
        else:
            st.caption(
                ngettext(
                    "Your single-use links still unpaid {n} day after you made them.",
                    "Your single-use links still unpaid {n} days after you made them.",
                    days,
                ).format(n=days)
            )
        if due.empty:
            st.caption(_("Nothing to follow up: every link of yours is paid or still fresh."))
            return
        lang = st.radio(
            _("Reminder language"),
            list(LANGUAGES),
            format_func=LANGUAGES.get,
            horizontal=True,
            key="fu_lang",
        )
        particle = stored_particle(ctx.user.username)  # chosen beside a link's message
        for row in due.head(FOLLOW_UP_SHOWN).to_dict("records"):
            _follow_up_row(ctx, row, lang, particle)
        if len(due) > FOLLOW_UP_SHOWN:
            st.caption(_("…and {n} more, older first.").format(n=len(due) - FOLLOW_UP_SHOWN))


def _follow_up_row(ctx: PageContext, row: dict, lang: str, particle: str) -> None:
    link_id = int(row["id"])
    amount = format_amount(int(row["amount"]), row["currency"], code=True)
    with st.container(border=True, key=f"fu_{link_id}"):
        text, button = st.columns([4, 1], vertical_alignment="center")
        age = int(row["age_days"])
        unpaid = ngettext("unpaid for {n} day", "unpaid for {n} days", age).format(n=age)
        text.markdown(f"**{md_escape(row['name'])}** (#{link_id}) · {md_escape(amount)} · {unpaid}")
        if button.button(_("Reminded"), key=f"fu_done_{link_id}", icon=":material/done:"):
            workspace().mark_reminded(link_id, ctx.user.username)
            forget_owners()
            st.toast(_("Noted: you reminded the customer of link #{link}.").format(link=link_id))
            st.rerun()
        if row.get("payment_url"):
            with st.popover(_("Copy reminder"), icon=":material/content_copy:"):
                st.code(
                    reminder_message(
                        str(row["name"]),
                        int(row["amount"]),
                        row["currency"],
                        str(row["payment_url"]),
                        lang,
                        particle,
                    ),
                    language=None,
                    wrap_lines=True,
                )


# -- Paid since you last looked ----------------------------------------------------------


def _new_payments(username: str) -> tuple[pd.DataFrame, datetime]:
    """Successful payments of `username`'s links since they last looked (the first look
    starts now, give or take a second: no backlog of old payments)."""
    ws = workspace()
    since = ws.paid_seen_at(username)
    if since is None:
        # From the second before: a payment's time has whole seconds (Links+'s and the
        # sandbox's), so one made just after this first look, in its second, reads as before.
        since = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
        ws.set_paid_seen(username, since)
    ids = ws.link_ids_of(username)
    if not ids:
        return pd.DataFrame(columns=["occurred_at", "link_id", "payment_id", "status"]), since
    return paid_since(cached_reads.eventlog().payments(start=since, link_ids=ids), since), since


def _paid_since_panel(ctx: PageContext, links: PreparedLinks) -> None:
    try:
        paid, _since = _new_payments(ctx.user.username)
    except Exception:  # the event log is optional for this list; Payments says why
        return
    if paid.empty:
        return
    names = dict(zip(links.frame["id"], links.frame["name"], strict=True))
    with st.container(border=True, key="paid_since"):
        st.markdown(
            "**:material/paid: " + _("Paid since you last looked ({n})").format(n=len(paid)) + "**"
        )
        lines = []
        for p in paid.head(10).to_dict("records"):
            name = names.get(int(p["link_id"]), _("Link #{link}").format(link=int(p["link_id"])))
            when = format_datetime(pd.Timestamp(p["occurred_at"]).to_pydatetime(), ctx.tz, "short")
            amount = format_amount(int(p["amount"]), str(p["currency"]).lower(), code=True)
            lines.append(f"- {md_escape(name)}: {amount}, {when}")
        st.markdown("\n".join(lines))
        if st.button(_("Dismiss"), key="paid_dismiss", icon=":material/done_all:"):
            workspace().set_paid_seen(ctx.user.username, datetime.now(UTC))
            st.rerun()


def paid_toasts(user: UserRecord, *, live: bool) -> None:
    """A toast for each new payment of `user`'s links, on whatever page is open; each
    payment is toasted once per session. With `live`, looked for again every
    REFRESH_SECONDS while the user is idle (a timed fragment); else at each run only.
    The caller passes live only once the login cookie is settled: a timed rerun during the
    cookie component's round trip lost the first login's cookie."""
    if live:
        _paid_toasts_every_few_seconds(user)
    else:
        _toast_new_payments(user)


@st.fragment(run_every=REFRESH_SECONDS)
def _paid_toasts_every_few_seconds(user: UserRecord) -> None:
    _toast_new_payments(user)


def _paid_marker(username: str) -> tuple[int, int]:
    """How many links `username` made and their change marker (it moves whenever one of
    their payments is stored or changes): a few primary-key reads."""
    ids = workspace().link_ids_of(username)
    return len(ids), cached_reads.eventlog().changes(ids) if ids else 0


def _toast_new_payments(user: UserRecord) -> None:
    s = st.session_state
    try:
        marker = _paid_marker(user.username)
        if s.get(PAID_MARKER) == marker:
            return  # nothing of theirs was paid since the last look: no payments query
        paid, _since = _new_payments(user.username)
    except Exception:  # no event log or records: nothing to announce
        return
    s[PAID_MARKER] = marker
    toasted: set[str] = s.setdefault("paid_toasted", set())
    fresh = [p for p in paid.to_dict("records") if p["payment_id"] not in toasted]
    # Once per person, ever: not again in the next session, tab or browser.
    try:
        ws = workspace()
        unseen = set(ws.unannounced(user.username, [p["payment_id"] for p in fresh]))
    except Exception:  # no records: this session's own memory still holds
        ws, unseen = None, {p["payment_id"] for p in fresh}
    fresh = [p for p in fresh if p["payment_id"] in unseen]
    for p in fresh[:3]:
        amount = format_amount(int(p["amount"]), str(p["currency"]).lower(), code=True)
        st.toast(
            _("Payment received: {amount} for your link #{link}.").format(
                amount=amount, link=int(p["link_id"])
            ),
            icon=":material/paid:",
            duration="long",
        )
    if len(fresh) > 3:
        st.toast(
            _("…and {n} more payments of your links.").format(n=len(fresh) - 3),
            icon=":material/paid:",
            duration="long",
        )
    toasted.update(p["payment_id"] for p in fresh)
    if ws is not None and fresh:
        # Shown in this session at least; if this fails, the next session may repeat it.
        with contextlib.suppress(Exception):
            ws.mark_announced(user.username, [p["payment_id"] for p in fresh])
