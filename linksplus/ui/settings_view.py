"""The Settings page (admins): what is configured, and whether it works."""

from __future__ import annotations

import streamlit as st

from linksplus.config import Settings, key_tail, mask_key
from linksplus.connection import STYLE_WORDS, check_connection
from linksplus.i18n import DEFAULT_LANGUAGE, N_, _, current_language, format_number
from linksplus.money import get_account_country
from linksplus.ui import cached_reads, customer_view, reconcile_view
from linksplus.ui.context import PageContext
from linksplus.ui.messages import connection_advice
from linksplus.ui.widgets import eventlog_problem, show_error

# The event log's backend by its product's name ("sqlite" is a setting's word).
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# The auth style in a word of the reader's language; the setting's value beside it.
STYLE_SHORT = {"raw": N_("Bare key"), "basic": N_("HTTP Basic"), "bearer": N_("Bearer token")}
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
    st.title(_("Settings"))
    st.caption(_("Read-only: values come from .streamlit/secrets.toml or LINKSPLUS_* variables."))
    _configured(ctx.settings)
    st.subheader(_("Connection"))
    st.caption(
        _(
            "Checks the key with the configured auth style; if Links+ refuses it, tries the "
            "other styles once each and says which one to set."
        )
    )
    _connection_check(ctx)
    st.subheader(_("Event log"))
    _eventlog_health()
    reconcile_view.settings_summary(ctx)
    _login(ctx.settings)
    customer_view.erase_section(ctx)


def auth_style_value(style: str) -> str:
    """The auth style as Settings shows it: the setting's value ("raw"), and in another
    language a word of that language before it ("คีย์ล้วน (raw)")."""
    if current_language() == DEFAULT_LANGUAGE or style not in STYLE_SHORT:
        return style
    return f"{_(STYLE_SHORT[style])} ({style})"


def _configured(s: Settings) -> None:
    """The environment, key (masked), auth style, account country and addresses."""
    account = get_account_country(s.account_country)
    # Words, not emoji: without a colour-emoji font the emoji were empty boxes.
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(
        _("Environment"),
        _(ENVIRONMENTS[s.environment]),
        help=_(ENVIRONMENT_HELP[s.environment]),
    )
    # Only the last four in the tile (a quarter of the page, a phone's width): they are what
    # tells one key from another, and a longer value was cut at its end.
    c2.metric(_("API key"), key_tail(s.api_key), help=mask_key(s.api_key))
    style = STYLE_WORDS.get(s.api_auth)
    c3.metric(_("Auth style"), auth_style_value(s.api_auth), help=_(style) if style else None)
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


def _connection_check(ctx: PageContext) -> None:
    """The Check the connection button, and what Links+ answered."""
    s = ctx.settings
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
    if not st.button(_("Check the connection"), type="primary", icon=":material/network_check:"):
        return
    with st.spinner(_("Asking Links+…")):
        report = check_connection(s.api_key, base_url=s.api_base_url, auth=s.api_auth, path=path)
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


def _eventlog_health() -> None:
    """Whether the event log answers, its backend and how many payments it holds."""
    try:
        health, ms = cached_reads.timed(lambda: cached_reads.eventlog().health())
    except Exception as exc:
        eventlog_problem(exc, what=_("The event log"))
        return
    ok = health.get("ok")
    (st.success if ok else st.error)(
        (
            _("Healthy: backend {backend}, {n} payments recorded ({ms} ms).")
            if ok
            else _("Not healthy: backend {backend}, {n} payments recorded ({ms} ms).")
        ).format(
            backend=BACKEND_NAMES.get(health.get("backend"), health.get("backend", "?")),
            n=format_number(health.get("events", 0)),
            ms=format_number(round(ms)),
        )
    )


def _login(s: Settings) -> None:
    """The login setup (the cookie key never shown), and the button that clears caches."""
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
        cached_reads.clear_api_cache()
        cached_reads.clear_event_cache()
        st.toast(_("Cached data cleared."))
