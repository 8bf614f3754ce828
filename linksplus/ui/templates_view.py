"""The Templates page: the team's templates, filters, detail, and a way to use one."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from babel import Locale, UnknownLocaleError

from linksplus.console import users as u
from linksplus.console.csv_export import frame_csv
from linksplus.console.templates_table import (
    TemplateFilters,
    choices,
    filter_templates,
    templates_frame,
)
from linksplus.errors import LinksPlusError
from linksplus.i18n import N_, _, babel_locale, current_language, format_number
from linksplus.models import Template
from linksplus.money import CURRENCIES, format_amount
from linksplus.ui import audit_trail, cached_reads
from linksplus.ui.context import PageContext
from linksplus.ui.widgets import (
    date_column,
    labels,
    md_escape,
    nav_page,
    refresh_button,
    selected_id,
    show_error,
)

STATUS_WORDS = {"active": N_("Active"), "inactive": N_("Inactive")}


def status_word(status: str | None) -> str:
    """A template's status as a word of the current language."""
    if not status:
        return "—"
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else status.title()


def _use_template(template_id: int) -> None:
    st.session_state["create_template_id"] = template_id


def render(ctx: PageContext) -> None:
    """The whole Templates page: header, filters, table, and the selected template."""
    _header(ctx)
    try:
        with st.spinner(_("Loading templates…")):
            templates = cached_reads.templates(ctx.team_id)
            links = cached_reads.links_table(ctx.team_id)
    except LinksPlusError as exc:
        show_error(exc, what=_("The templates could not be loaded."))
        st.stop()
    if not templates:
        st.info(
            _("This team has no templates yet. Templates are made in the Links+ dashboard."),
            icon=":material/dashboard_customize:",
        )
        return
    frame = templates_frame(templates, links)
    view = filter_templates(frame, filter_bar(frame))
    _count_and_download(ctx, frame, view)
    selected = _table(view)
    if selected is None:
        st.caption(
            ":material/touch_app: " + _("Select a template to see it and make a link from it.")
        )
        return
    template = next((t for t in templates if t.id == selected), None)
    if template is None:
        st.warning(
            _("Template {id} is not one of {team}'s templates.").format(
                id=selected, team=md_escape(ctx.team_name)
            )
        )
        return
    st.query_params["template"] = str(selected)
    detail(template, links)


def _header(ctx: PageContext) -> None:
    head, button = st.columns([5, 1], vertical_alignment="bottom")
    head.title(_("Templates"))
    head.caption(
        _("Link templates of **{team}**: each sets a page design and default amount.").format(
            team=md_escape(ctx.team_name)
        )
    )
    with button:
        refresh_button(cached_reads.clear_api_cache, key="templates_refresh")


def filter_bar(frame: pd.DataFrame) -> TemplateFilters:
    """The filter widgets, offering the statuses and currencies in `frame`; answers the
    filters they show."""
    c1, c2, c3 = st.columns([3, 2, 2])
    text = c1.text_input(_("Name contains"), key="tf_text", icon=":material/search:")
    status = c2.multiselect(
        _("Status"),
        statuses := choices(frame, "status"),
        key="tf_status",
        placeholder=_("Any status"),
        format_func=labels(statuses, status_word),
    )
    cur = c3.multiselect(
        _("Currency"), choices(frame, "currency"), key="tf_currency", placeholder=_("Any currency")
    )
    return TemplateFilters(text, tuple(status), tuple(cur))


def _count_and_download(ctx: PageContext, frame: pd.DataFrame, view: pd.DataFrame) -> None:
    count, download = st.columns([5, 1], vertical_alignment="center")
    count.markdown(
        _("**{shown}** of {total} templates").format(
            shown=format_number(len(view)), total=format_number(len(frame))
        )
    )
    language = current_language()
    download.download_button(
        _("Download CSV"),
        data=lambda: frame_csv(view, language),
        on_click=audit_trail.exported("templates", team=ctx.team_id),
        file_name=f"templates-team-{ctx.team_id}.csv",
        mime="text/csv",
        icon=":material/download:",
        width="stretch",
    )


def table_columns() -> dict:
    """The templates table's column headers, in the current language."""
    return {
        "id": st.column_config.NumberColumn(_("Template"), format="%d", width="small"),
        "name": _("Name"),
        "status": _("Status"),
        "language": _("Language"),
        "currency": _("Currency"),
        "default_amount": _("Default amount"),
        "links": st.column_config.NumberColumn(_("Links"), format="%d"),
        "created": st.column_config.DatetimeColumn(_("Created"), format="D MMM YYYY"),
    }


def _table(view: pd.DataFrame) -> int | None:
    """The templates table; answers the id of the row selected, else the URL's template."""
    shown, created = date_column(view, "created", _("Created"), time=None)
    event = st.dataframe(
        shown,
        hide_index=True,
        key="templates_table",
        on_select="rerun",
        selection_mode="single-row",
        column_config={**table_columns(), "created": created},
    )
    return selected_id(event, lambda i: view.iloc[i]["id"], "template")


# A template's payment methods, as the reader says them (unknown ones as Links+ wrote them).
FEATURE_WORDS = {
    "card": N_("Card"),
    "promptpay": "PromptPay",
    "mobile_banking": N_("Mobile banking"),
    "internet_banking": N_("Internet banking"),
    "truemoney": "TrueMoney",
    "rabbit_linepay": "Rabbit LINE Pay",
}


def feature_word(feature: object) -> str:
    """A payment method of a template in the current language ("card" -> "บัตร")."""
    word = FEATURE_WORDS.get(str(feature))
    return _(word) if word else str(feature)


def language_name(code: str | None) -> str:
    """A template's language by name in the reader's language ("th" -> "ไทย"), "—" when
    none; a code Babel does not know stays as it is."""
    if not code:
        return "—"
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name(babel_locale()) or code
    except (ValueError, TypeError, UnknownLocaleError):
        return code


def detail(template: Template, links: pd.DataFrame) -> None:
    """One template: default amount, links made from it, facts, and a way to use it."""
    with st.container(border=True, key="template_detail"):
        st.subheader(md_escape(template.name or _("Template {id}").format(id=template.id)))
        m1, m2, m3 = st.columns(3)
        cur_code = (template.currency or "").lower()
        m1.metric(
            _("Default amount"),
            format_amount(template.amount, cur_code, code=True)
            if template.amount is not None and cur_code in CURRENCIES
            else "—",
        )
        m2.metric(
            _("Links made"),
            int((links["template_id"] == template.id).sum()) if not links.empty else 0,
        )
        m3.metric(_("Status"), md_escape(status_word(template.status)))
        facts = {
            _("Template"): f"#{template.id}",
            _("Language"): language_name(template.language),
        }
        if template.features:
            facts[_("Features")] = ", ".join(feature_word(f) for f in template.features)
        st.markdown("  \n".join(f"**{k}:** {md_escape(v)}" for k, v in facts.items()))
        if st.button(
            _("Create a link from this template"),
            type="primary",
            icon=":material/add_link:",
            on_click=_use_template,
            args=(template.id,),
        ):
            st.switch_page(nav_page(u.CREATE))
