"""The admin pages: the webhook delivery log and the configuration check."""

from __future__ import annotations

import streamlit as st

from linksplus.config import mask_key
from linksplus.console.csv_export import frame_csv
from linksplus.errors import LinksPlusError
from linksplus.eventlog import OUTCOMES
from linksplus.ui import data
from linksplus.ui.context import PageContext
from linksplus.ui.widgets import eventlog_problem, show_error


def webhook_log(ctx: PageContext) -> None:
    """Every webhook delivery the receiver saw: accepted, duplicate or rejected, and why."""
    st.title("Webhook log")
    st.caption(
        "Each delivery Links+ made to our receiver. A payment reaches us up to three "
        "times (system, dashboard and custom webhooks); it is counted once, the rest "
        "are marked duplicate."
    )
    _deliveries(ctx)


SHOWN = 500


@st.fragment(run_every=5)
def _deliveries(ctx: PageContext) -> None:
    try:
        counts = data.delivery_counts()  # over the whole log, counted in SQL
        frame = data.deliveries(SHOWN)
    except Exception as exc:
        eventlog_problem(exc, what="The webhook log", retrying=True)
        return
    total = sum(counts.values())
    cols = st.columns(len(OUTCOMES) + 1)
    cols[0].metric("Deliveries", f"{total:,}")
    for col, outcome in zip(cols[1:], OUTCOMES, strict=True):
        col.metric(outcome.title(), f"{counts.get(outcome, 0):,}")
    if frame.empty:
        st.info("No webhook has arrived yet.", icon=":material/webhook:")
        return
    pick = (
        st.segmented_control(
            "Show", ["All", *[o.title() for o in OUTCOMES]], default="All", key="wh_outcome"
        )
        or "All"
    )
    if total > len(frame):
        st.caption(f"The table lists the latest {len(frame):,} of {total:,} deliveries.")
    # No reason (accepted, duplicate) is an empty cell, not "None".
    frame = frame.assign(reason=frame["reason"].fillna(""))
    view = frame if pick == "All" else frame[frame["outcome"] == pick.lower()]
    st.download_button(
        "Download CSV",
        data=lambda: frame_csv(view),  # payment ids, events and reasons came from outside
        on_click="ignore",
        file_name="webhook-deliveries.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    # A display-only table has no key of its own in Streamlit: its container names it.
    st.container(key="deliveries_table").dataframe(
        view,
        hide_index=True,
        column_config={
            "received_at": st.column_config.DatetimeColumn("Received", format="D MMM, HH:mm:ss"),
            "outcome": "Outcome",
            "reason": "Reason",
            "event": "Event",
            "payment_id": "Payment",
            "link_id": st.column_config.NumberColumn("Link", format="%d"),
            "remote": "From",
        },
    )


def settings_page(ctx: PageContext) -> None:
    """What is configured, and whether it works: API connection, event log, login setup."""
    s = ctx.settings
    st.title("Settings")
    st.caption("Read-only: values come from .streamlit/secrets.toml or LINKSPLUS_* variables.")
    # Words, not emoji: without a colour-emoji font the emoji were empty boxes.
    env_label = {"live": "Live", "test": "Test", "sandbox": "Sandbox"}[s.environment]
    c1, c2, c3 = st.columns(3)
    c1.metric("Environment", env_label)
    c2.metric("API key", mask_key(s.api_key))
    c3.metric("Auth style", s.api_auth)
    st.markdown(f"**API base URL:** `{s.api_base_url}`")
    if s.sandbox_url:
        st.markdown(f"**Sandbox controls:** `{s.sandbox_url}`")

    st.subheader("Connection")
    team = next(iter(ctx.teams), None)
    if st.button("Check the connection", type="primary", icon=":material/network_check:"):
        if team is None:
            st.warning("No team is known, so there is nothing to ask Links+ for.")
        else:
            try:
                path = f"/external/{int(team)}/templates"
                page, ms = data.timed(lambda: next(data.client(s).iter_pages(path)))
            except LinksPlusError as exc:
                show_error(exc, what="The connection check failed.")
            else:
                st.success(
                    f"Links+ answered in {ms:.0f} ms ({len(page)} templates on the "
                    f"first page of team {team}).",
                    icon=":material/check_circle:",
                )

    st.subheader("Event log")
    try:
        health, ms = data.timed(lambda: data.eventlog().health())
    except Exception as exc:
        eventlog_problem(exc, what="The event log")
    else:
        ok = health.get("ok")
        (st.success if ok else st.error)(
            f"{'Healthy' if ok else 'Not healthy'}: backend {health.get('backend', '?')}, "
            f"{health.get('events', 0):,} payments recorded ({ms:.0f} ms)."
        )

    st.subheader("Login")
    st.markdown(
        f"**Users file:** `{s.users_file}`  \n"
        f"**Cookie key:** {'set' if s.cookie_key else 'missing'} (never shown)"
    )
    if st.button("Clear cached data", icon=":material/delete_sweep:"):
        data.clear_api_cache()
        data.clear_event_cache()
        st.toast("Cached data cleared.")
