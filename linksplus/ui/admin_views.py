"""The admin pages: the webhook delivery log and the configuration check."""

from __future__ import annotations

import streamlit as st

from linksplus.config import mask_key
from linksplus.connection import STYLE_WORDS, check_connection
from linksplus.console.csv_export import frame_csv
from linksplus.eventlog import NOT_COUNTED, OUTCOMES
from linksplus.i18n import N_, _, current_language, format_number
from linksplus.money import get_account_country
from linksplus.ui import data, reconcile_view
from linksplus.ui.context import PageContext
from linksplus.ui.messages import connection_advice
from linksplus.ui.widgets import eventlog_problem, labels, show_error


def webhook_log(ctx: PageContext) -> None:
    """Every webhook delivery the receiver saw: accepted, duplicate or rejected, and why."""
    st.title(_("Webhook log"))
    st.caption(
        _(
            "Each delivery Links+ made to our receiver. A payment reaches us up to three "
            "times (system, dashboard and custom webhooks); it is counted once, the rest "
            "are marked duplicate. Every well-formed delivery is kept; one that is not surely "
            "a payment (another event, an unknown currency, a zero amount, a date in the "
            'future) is marked "stored, not counted" with the reason, and reports leave it out.'
        )
    )
    _deliveries(ctx)
    reconcile_view.reconcile_panel(ctx)


SHOWN = 500
NOT_COUNTED_LABEL = N_("Not counted")
# The outcome filter's values stay English (the code compares them); shown translated.
OUTCOME_WORDS = (N_("All"), N_("Accepted"), N_("Duplicate"), N_("Rejected"))


@st.fragment(run_every=5)
def _deliveries(ctx: PageContext) -> None:
    try:
        counts = data.delivery_counts()  # over the whole log, counted in SQL
        frame = data.deliveries(SHOWN)
    except Exception as exc:
        eventlog_problem(exc, what=_("The webhook log"), retrying=True)
        return
    total = sum(counts.values())
    cols = st.columns(len(OUTCOMES) + 1)
    cols[0].metric(_("Deliveries"), format_number(total))
    for col, outcome in zip(cols[1:], OUTCOMES, strict=True):
        col.metric(_(outcome.title()), format_number(counts.get(outcome, 0)))
    if frame.empty:
        st.info(_("No webhook has arrived yet."), icon=":material/webhook:")
        return
    pick = (
        st.segmented_control(
            _("Show"),
            options := ["All", *[o.title() for o in OUTCOMES], NOT_COUNTED_LABEL],
            default="All",
            key="wh_outcome",
            format_func=labels(options),
        )
        or "All"
    )
    if total > len(frame):
        st.caption(
            _("The table lists the latest {shown} of {total} deliveries.").format(
                shown=format_number(len(frame)), total=format_number(total)
            )
        )
    # No reason (accepted, duplicate) is an empty cell, not "None".
    frame = frame.assign(reason=frame["reason"].fillna(""))
    not_counted = (frame["outcome"] == "accepted") & frame["reason"].str.startswith(NOT_COUNTED)
    if not_counted.any():
        st.caption(
            _(
                "{n} of the deliveries listed were stored, not counted: the Payments page "
                "leaves them out."
            ).format(n=format_number(int(not_counted.sum())))
        )
    if pick == "All":
        view = frame
    elif pick == NOT_COUNTED_LABEL:
        view = frame[not_counted]
    else:
        view = frame[frame["outcome"] == pick.lower()]
    language = current_language()
    st.download_button(
        _("Download CSV"),
        # Payment ids, events and reasons came from outside: neutralised.
        data=lambda: frame_csv(view, language),
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
            "received_at": st.column_config.DatetimeColumn(_("Received"), format="D MMM, HH:mm:ss"),
            "outcome": _("Outcome"),
            "reason": _("Reason"),
            "event": _("Event"),
            "payment_id": _("Payment"),
            "link_id": st.column_config.NumberColumn(_("Link"), format="%d"),
            "remote": _("From"),
        },
    )


ENVIRONMENTS = {"live": N_("Live"), "sandbox": N_("Sandbox"), None: N_("Not known")}
ENVIRONMENT_HELP = {
    "live": N_(
        "Omise's own address. A Links+ key does not say test or live, so it is treated as live."
    ),
    "sandbox": N_("Not Omise's address, and sandbox controls are set: the local sandbox."),
    None: N_(
        "Not Omise's address, and no sandbox controls are set, so whether this is the "
        "real service (through a proxy, say) or a sandbox is not known."
    ),
}


def settings_page(ctx: PageContext) -> None:
    """What is configured, and whether it works: API connection, event log, login setup."""
    s = ctx.settings
    st.title(_("Settings"))
    st.caption(_("Read-only: values come from .streamlit/secrets.toml or LINKSPLUS_* variables."))
    account = get_account_country(s.account_country)
    # Words, not emoji: without a colour-emoji font the emoji were empty boxes.
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(
        _("Environment"),
        _(ENVIRONMENTS[s.environment]),
        help=_(ENVIRONMENT_HELP[s.environment]),
    )
    c2.metric(_("API key"), mask_key(s.api_key))
    style = STYLE_WORDS.get(s.api_auth)
    c3.metric(_("Auth style"), s.api_auth, help=_(style) if style else None)
    c4.metric(
        _("Account country"),
        _(account.name),
        help=_(
            "Where the Omise account is registered; its charge limits apply to amounts in "
            "{currency} (`account_country`, LINKSPLUS_ACCOUNT_COUNTRY)."
        ).format(currency=account.currency.upper()),
    )
    st.markdown(_("**API base URL:** `{url}`").format(url=s.api_base_url))
    if s.sandbox_url:
        st.markdown(_("**Sandbox controls:** `{url}`").format(url=s.sandbox_url))

    st.subheader(_("Connection"))
    st.caption(
        _(
            "Checks the key with the configured auth style; if Links+ refuses it, tries the "
            "other styles once each and says which one to set."
        )
    )
    team = next(iter(ctx.teams), None)
    # With no team known, the key's own links: the call Omise's Links+ page shows.
    path, what = (
        (
            f"/external/{int(team)}/templates",
            _("templates on the first page of team {team}").format(team=team),
        )
        if team is not None
        else ("/external/links", _("links on the first page"))
    )
    if st.button(_("Check the connection"), type="primary", icon=":material/network_check:"):
        with st.spinner(_("Asking Links+…")):
            report = check_connection(
                s.api_key, base_url=s.api_base_url, auth=s.api_auth, path=path
            )
        answer, advice = report.answer, connection_advice(report)
        if report.ok and answer is not None:
            st.success(
                _("Links+ answered in {ms} ms ({n} {what}).").format(
                    ms=format_number(round(answer.ms)), n=answer.items, what=what
                )
                + f" {advice}",
                icon=":material/check_circle:",
            )
        elif answer is not None:
            st.warning(advice, icon=":material/key:")
        elif len(report.attempts) == 1:  # no answer, or a server error: not the key
            show_error(report.attempts[-1].error, what=_("The connection check failed."))
        else:
            st.error(advice, icon=":material/key_off:")

    st.subheader(_("Event log"))
    try:
        health, ms = data.timed(lambda: data.eventlog().health())
    except Exception as exc:
        eventlog_problem(exc, what=_("The event log"))
    else:
        ok = health.get("ok")
        (st.success if ok else st.error)(
            (
                _("Healthy: backend {backend}, {n} payments recorded ({ms} ms).")
                if ok
                else _("Not healthy: backend {backend}, {n} payments recorded ({ms} ms).")
            ).format(
                backend=health.get("backend", "?"),
                n=format_number(health.get("events", 0)),
                ms=format_number(round(ms)),
            )
        )

    reconcile_view.settings_summary(ctx)

    st.subheader(_("Login"))
    st.markdown(
        _("**Users file:** `{path}`").format(path=s.users_file)
        + "  \n"
        + (
            _("**Cookie key:** set (never shown)")
            if s.cookie_key
            else _("**Cookie key:** missing (never shown)")
        )
    )
    if st.button(_("Clear cached data"), icon=":material/delete_sweep:"):
        data.clear_api_cache()
        data.clear_event_cache()
        st.toast(_("Cached data cleared."))
