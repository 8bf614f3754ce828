"""The admin pages: the webhook delivery log and the configuration check."""

from __future__ import annotations

import streamlit as st

from linksplus.config import mask_key
from linksplus.connection import STYLE_WORDS, check_connection
from linksplus.console.csv_export import frame_csv
from linksplus.eventlog import NOT_COUNTED, OUTCOMES
from linksplus.money import get_account_country
from linksplus.ui import data, reconcile_view
from linksplus.ui.context import PageContext
from linksplus.ui.messages import connection_advice
from linksplus.ui.widgets import eventlog_problem, show_error


def webhook_log(ctx: PageContext) -> None:
    """Every webhook delivery the receiver saw: accepted, duplicate or rejected, and why."""
    st.title("Webhook log")
    st.caption(
        "Each delivery Links+ made to our receiver. A payment reaches us up to three "
        "times (system, dashboard and custom webhooks); it is counted once, the rest "
        "are marked duplicate. Every well-formed delivery is kept; one that is not surely "
        "a payment (another event, an unknown currency, a zero amount, a date in the "
        'future) is marked "stored, not counted" with the reason, and reports leave it out.'
    )
    _deliveries(ctx)
    reconcile_view.reconcile_panel(ctx)


SHOWN = 500
NOT_COUNTED_LABEL = "Not counted"


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
            "Show",
            ["All", *[o.title() for o in OUTCOMES], NOT_COUNTED_LABEL],
            default="All",
            key="wh_outcome",
        )
        or "All"
    )
    if total > len(frame):
        st.caption(f"The table lists the latest {len(frame):,} of {total:,} deliveries.")
    # No reason (accepted, duplicate) is an empty cell, not "None".
    frame = frame.assign(reason=frame["reason"].fillna(""))
    not_counted = (frame["outcome"] == "accepted") & frame["reason"].str.startswith(NOT_COUNTED)
    if not_counted.any():
        st.caption(
            f"{int(not_counted.sum()):,} of the deliveries listed were stored, not counted: "
            "the Payments page leaves them out."
        )
    if pick == "All":
        view = frame
    elif pick == NOT_COUNTED_LABEL:
        view = frame[not_counted]
    else:
        view = frame[frame["outcome"] == pick.lower()]
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


ENVIRONMENTS = {"live": "Live", "sandbox": "Sandbox", None: "Not known"}
ENVIRONMENT_HELP = {
    "live": "Omise's own address. A Links+ key does not say test or live, so it is "
    "treated as live.",
    "sandbox": "Not Omise's address, and sandbox controls are set: the local sandbox.",
    None: "Not Omise's address, and no sandbox controls are set, so whether this is the "
    "real service (through a proxy, say) or a sandbox is not known.",
}


def settings_page(ctx: PageContext) -> None:
    """What is configured, and whether it works: API connection, event log, login setup."""
    s = ctx.settings
    st.title("Settings")
    st.caption("Read-only: values come from .streamlit/secrets.toml or LINKSPLUS_* variables.")
    account = get_account_country(s.account_country)
    # Words, not emoji: without a colour-emoji font the emoji were empty boxes.
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Environment", ENVIRONMENTS[s.environment], help=ENVIRONMENT_HELP[s.environment])
    c2.metric("API key", mask_key(s.api_key))
    c3.metric("Auth style", s.api_auth, help=STYLE_WORDS.get(s.api_auth))
    c4.metric(
        "Account country",
        account.name,
        help="Where the Omise account is registered; its charge limits apply to amounts "
        f"in {account.currency.upper()} (`account_country`, LINKSPLUS_ACCOUNT_COUNTRY).",
    )
    st.markdown(f"**API base URL:** `{s.api_base_url}`")
    if s.sandbox_url:
        st.markdown(f"**Sandbox controls:** `{s.sandbox_url}`")

    st.subheader("Connection")
    st.caption(
        "Checks the key with the configured auth style; if Links+ refuses it, tries the "
        "other styles once each and says which one to set."
    )
    team = next(iter(ctx.teams), None)
    # With no team known, the key's own links: the call Omise's Links+ page shows.
    path, what = (
        (f"/external/{int(team)}/templates", f"templates on the first page of team {team}")
        if team is not None
        else ("/external/links", "links on the first page")
    )
    if st.button("Check the connection", type="primary", icon=":material/network_check:"):
        with st.spinner("Asking Links+…"):
            report = check_connection(
                s.api_key, base_url=s.api_base_url, auth=s.api_auth, path=path
            )
        answer, advice = report.answer, connection_advice(report)
        if report.ok and answer is not None:
            st.success(
                f"Links+ answered in {answer.ms:.0f} ms ({answer.items} {what}). {advice}",
                icon=":material/check_circle:",
            )
        elif answer is not None:
            st.warning(advice, icon=":material/key:")
        elif len(report.attempts) == 1:  # no answer, or a server error: not the key
            show_error(report.attempts[-1].error, what="The connection check failed.")
        else:
            st.error(advice, icon=":material/key_off:")

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

    reconcile_view.settings_summary(ctx)

    st.subheader("Login")
    st.markdown(
        f"**Users file:** `{s.users_file}`  \n"
        f"**Cookie key:** {'set' if s.cookie_key else 'missing'} (never shown)"
    )
    if st.button("Clear cached data", icon=":material/delete_sweep:"):
        data.clear_api_cache()
        data.clear_event_cache()
        st.toast("Cached data cleared.")
