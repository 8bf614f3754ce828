"""The Links page: filters (kept in the URL), the table, CSV, and one link's detail."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st

from linksplus.console import payments_report
from linksplus.console import users as u
from linksplus.console.aging import BUCKETS, bucket_label
from linksplus.console.chart_text import column_px
from linksplus.console.links_table import (
    STATUSES,
    TABLE_MIN_PX,
    LinkExtras,
    LinkFilters,
    PreparedLinks,
    link_row,
    links_csv,
    prepare_links,
)
from linksplus.console.qr import qr_png
from linksplus.errors import LinksPlusError
from linksplus.i18n import (
    DEFAULT_LANGUAGE,
    N_,
    _,
    current_language,
    format_datetime,
    format_number,
    ngettext,
)
from linksplus.money import CURRENCIES, to_decimal
from linksplus.simulate import simulate_payment
from linksplus.ui import (
    audit_trail,
    cached_reads,
    customer_view,
    delivery_history_view,
    my_links_view,
)
from linksplus.ui.auth import users as users_file
from linksplus.ui.context import PageContext
from linksplus.ui.payments_view import REFRESH_SECONDS  # the product's refresh interval
from linksplus.ui.widgets import (
    date_column,
    eventlog_problem,
    field_error,
    labels,
    md_escape,
    money_hint,
    nav_page,
    parse_money,
    refresh_button,
    selected_id,
    show_error,
)
from linksplus.workspace import OUTSIDE

USE_LABELS = {
    "any": N_("Single or multiple"),
    "single": N_("Single use"),
    "multiple": N_("Multiple use"),
}
STATUS_WORDS = {
    "active": N_("Active"),
    "used": N_("Paid"),  # Links+'s word for a single-use link that was paid
    "expired": N_("Expired"),
    "disabled": N_("Disabled"),
    "void": N_("Void"),  # marked void in the console
}
ANY_CURRENCY = "any"
ANY_AGE = ""
ROW_PX = 35
# The date picker's earliest day; a range starting there is "up to the end day" (a URL with
# only ``to=``), since a range picker cannot leave its start empty.
FIRST_DAY = date(2000, 1, 1)


def _seed_widgets(filters: LinkFilters) -> None:
    """Put filters (from the URL) into the filter widgets' state, once per visit."""
    cur = filters.currency
    st.session_state.update(
        {
            "lf_text": filters.text,
            "lf_status": list(filters.statuses),
            "lf_template": list(filters.template_ids),
            "lf_use": filters.usage,
            "lf_cur": cur or ANY_CURRENCY,
            "lf_min": str(to_decimal(filters.amount_min, cur))
            if cur and filters.amount_min is not None
            else "",
            "lf_max": str(to_decimal(filters.amount_max, cur))
            if cur and filters.amount_max is not None
            else "",
            "lf_created": _created_range(filters.created_from, filters.created_to),
            "lf_age": filters.age or ANY_AGE,
        }
    )


def _created_range(start: date | None, end: date | None) -> tuple[date, ...]:
    """The "Created between" picker's value for optional bounds: (), (start,) or both."""
    if start and end:
        return (min(start, end), max(start, end))
    if end:
        return (FIRST_DAY, end)
    return (start,) if start else ()


def _clear_filters() -> None:
    _seed_widgets(LinkFilters())
    st.session_state.pop("links_table", None)


def filter_widgets(links: PreparedLinks) -> LinkFilters:
    """The filter bar; answers the filters it shows."""
    if "lf_text" not in st.session_state:
        from_url = LinkFilters.from_query_params(st.query_params.to_dict())
        for problem in from_url.problems:  # they quote the address: escaped
            st.info(md_escape(problem), icon=":material/info:")
        _seed_widgets(from_url)
    currencies = _currency_options(links)
    # Search stays on top; the rest fold away so that on a phone the links come first.
    text = st.text_input(
        _("Name contains"),
        key="lf_text",
        placeholder=_("e.g. coffee"),
        icon=":material/search:",
        help=_("The link's name or its customer's name."),
    )
    active = _folded_active()
    label = _("Filters ({n} active)").format(n=active) if active else _("Filters")
    folded = st.expander(label, icon=":material/filter_list:", key="lf_folded")
    with folded:
        statuses, template_ids, usage = _kind_filters(links.template_names)
        d0, d1, d2, d3 = st.columns([3, 2, 2, 2])
        created_from, created_to = _created_between(d0)
        currency, low, high = _amount_filters(currencies, d1, d2, d3)
        age = st.selectbox(
            _("Still owed, made"),
            [ANY_AGE, *BUCKETS],
            key="lf_age",
            format_func=labels(
                [ANY_AGE, *BUCKETS], lambda a: _("Any age") if a == ANY_AGE else bucket_label(a)
            ),
            help=_("Single-use links not paid yet, by days since they were made."),
        )
    filters = LinkFilters(
        text=text or "",
        statuses=tuple(statuses),
        template_ids=tuple(template_ids),
        currency=currency,
        amount_min=low,
        amount_max=high,
        created_from=_as_date(created_from),
        created_to=_as_date(created_to),
        usage=usage or "any",
        age=age or None,
    )
    folded.button(
        _("Clear filters"),
        on_click=_clear_filters,
        icon=":material/filter_alt_off:",
        disabled=not filters.active,
    )
    return filters


def _kind_filters(template_names: dict) -> tuple[list, list, str | None]:
    """Status, template and use (single or multiple), side by side."""
    c1, c2, c3 = st.columns(3)
    statuses = c1.multiselect(
        _("Status"),
        STATUSES,
        key="lf_status",
        placeholder=_("Any status"),
        format_func=labels(STATUSES, status_word),
    )
    template_ids = c2.multiselect(
        _("Template"),
        list(template_names),
        key="lf_template",
        placeholder=_("Any template"),
        format_func=lambda t: template_names.get(t, f"#{t}"),
    )
    usage = c3.selectbox(
        _("Use"),
        list(USE_LABELS),
        key="lf_use",
        format_func=labels(USE_LABELS, lambda k: _(USE_LABELS[k])),
    )
    return statuses, template_ids, usage


def _created_between(column) -> tuple:
    """The first and last day of creation picked in `column` (either may be None)."""
    # One range picker: a single day picked (the range half done) means "from that day".
    st.session_state.setdefault("lf_created", ())
    created = column.date_input(
        _("Created between"),
        key="lf_created",  # its value is seeded from the address (_seed_widgets)
        min_value=FIRST_DAY,
        format="YYYY-MM-DD",
    )
    created_from, created_to = (*created, None, None)[:2]
    if created_from == FIRST_DAY:
        created_from = None
    return created_from, created_to


def _currency_options(links: PreparedLinks) -> list[str]:
    """The currencies of the team's links (all known ones when none), and the one in the
    session should the address name another."""
    currencies = [c for c in links.currencies if c in CURRENCIES] or list(CURRENCIES)
    if st.session_state.get("lf_cur") in (None, ""):
        st.session_state["lf_cur"] = ANY_CURRENCY
    if st.session_state["lf_cur"] not in (ANY_CURRENCY, *currencies):
        currencies.append(st.session_state["lf_cur"])
    return currencies


def _amount_filters(currencies: list[str], d1, d2, d3) -> tuple[str | None, int | None, int | None]:
    """The currency picked in `d1` and, once there is one, the amounts from (`d2`) and to
    (`d3`) in its minor units, each with its error under it."""
    picked = d1.selectbox(
        _("Currency"),
        [ANY_CURRENCY, *currencies],
        key="lf_cur",
        format_func=labels(
            [ANY_CURRENCY, *currencies],
            lambda c: _("Any currency") if c == ANY_CURRENCY else c.upper(),
        ),
        help=_("Choose a currency to filter by amount too."),
    )
    currency = None if picked in (None, ANY_CURRENCY) else picked
    if not currency:  # amounts are in a currency's units: asked for only once there is one
        return None, None, None
    hint = money_hint(currency)
    low_text = d2.text_input(_("Amount from"), key="lf_min", placeholder="1,000", help=hint)
    high_text = d3.text_input(_("Amount to"), key="lf_max", placeholder="5,000.00", help=hint)
    low, low_error = parse_money(low_text, currency)
    high, high_error = parse_money(high_text, currency)
    with d2:
        field_error(low_error)
    with d3:
        field_error(high_error)
    if low is not None and high is not None and low > high:
        with d3:
            field_error(_("“Amount to” is below “Amount from”."))
    return currency, low, high


def _folded_active() -> int:
    """How many of the folded filters are set (their widgets' state, before they draw)."""
    s = st.session_state
    set_ = [
        bool(s.get("lf_status")),
        bool(s.get("lf_template")),
        s.get("lf_use", "any") != "any",
        bool(s.get("lf_created")),
        bool(s.get("lf_age")),
        s.get("lf_cur", ANY_CURRENCY) not in (None, "", ANY_CURRENCY),
    ]
    if set_[-1]:
        set_ += [bool(s.get("lf_min")), bool(s.get("lf_max"))]
    return sum(set_)


def _as_date(value) -> date | None:
    return value if isinstance(value, date) else None


def _sync_url(ctx: PageContext, filters: LinkFilters, link_id: int | None) -> None:
    wanted = {"team": str(ctx.team_id), **filters.to_query_params()}
    wanted.update(my_links_view.query_params(ctx))
    if link_id is not None:
        wanted["link"] = str(link_id)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def render(ctx: PageContext) -> None:
    """The whole Links page for `ctx.team_id`: header, filters, toolbar, table, detail."""
    _header(ctx)
    if not cached_reads.links_ready(ctx.team_id, wait=FIRST_WAIT):
        _newest_first(ctx)
        return
    try:
        # The cached loaders show their own spinner, only while they really load.
        links, problem = cached_reads.prepared_links(ctx.team_id, ctx.tz)
    except LinksPlusError as exc:
        show_error(exc, what=_("The links could not be loaded."))
        st.stop()
    if links.frame.empty:
        st.info(_("This team has no payment links yet."), icon=":material/link_off:")
        st.page_link(
            nav_page(u.CREATE), label=_("Create the first link"), icon=":material/add_link:"
        )
        return
    if problem:
        st.caption(f":material/info: {md_escape(problem)}")  # may quote a database error
    filters = filter_widgets(links)
    extras = customer_view.extras(ctx, links)  # the team's customers and void links
    # The links come first: the Paid since / Needs follow-up panels go below the table, or
    # on a phone they push it off the first screen; a link's detail goes between them, by
    # the row tapped (a phone stacks everything: below the panels it was a long scroll away).
    links_slot, detail_slot, panels_slot = st.container(), st.container(), st.container()
    with links_slot:
        # The rerun's only work on 20,000 rows: one boolean mask over precomputed columns.
        mask, makers = my_links_view.scope(
            ctx, links, links.mask(filters, extras), panels_slot, extras=extras, filters=filters
        )
        count = len(links.frame) if mask is None else int(mask.sum())
        names = _maker_names(ctx, makers)
        _toolbar(ctx, links, mask, count, filters, names)
        selected = _table(links, mask, count, names, filters.active, extras)
    _sync_url(ctx, filters, selected)
    with detail_slot:
        _selected_detail(ctx, links, selected)


def _selected_detail(ctx: PageContext, links: PreparedLinks, selected: int | None) -> None:
    """The selected link's detail, or how to get one."""
    if selected is None:
        st.caption(
            ":material/touch_app: " + _("Select a row to see its QR code, URL and payments.")
        )
        return
    row = link_row(links.frame, selected)
    if row is None:
        st.warning(
            _("Link {link} is not one of {team}'s links.").format(
                link=selected, team=md_escape(ctx.team_name)
            ),
            icon=":material/link_off:",
        )
        return
    detail(ctx, row)


def _header(ctx: PageContext) -> None:
    # A horizontal container wraps instead of stacking as columns do below 640 px: on a
    # phone the title and Refresh share one line.
    with st.container(horizontal=True, vertical_alignment="center"):
        st.title(_("Links"), width="content")
        with st.container(horizontal_alignment="right"):
            refresh_button(cached_reads.clear_api_cache, key="links_refresh")
    st.caption(
        _("Payment links of **{team}**, times in {tz}.").format(
            team=md_escape(ctx.team_name), tz=ctx.tz
        )
    )


def _toolbar(
    ctx: PageContext,
    links: PreparedLinks,
    mask: np.ndarray | None,
    count: int,
    filters: LinkFilters,
    names: np.ndarray | None = None,
) -> None:
    """How many links match and the CSV of exactly those (with who made each, by name,
    when `names` gives every row's maker: managers)."""
    row = st.container(horizontal=True, vertical_alignment="center")  # one line on a phone
    row.markdown(
        (
            _("**{shown}** of {total} links match the filters.")
            if filters.active
            else _("**{shown}** of {total} links.")
        ).format(shown=format_number(count), total=format_number(len(links.frame))),
        width="content",
    )
    tz, language, outside, team_id = ctx.tz, current_language(), _(OUTSIDE), ctx.team_id

    def csv() -> bytes:  # built only when clicked
        made = None
        if names is not None:
            picked = names if mask is None else names[mask]
            made = np.where(picked == OUTSIDE, outside, picked).tolist()
        return links_csv(
            links.rows(mask),
            tz,
            language,
            made,
            customers=customer_view.team_customers(team_id),
            void_ids=customer_view.team_voided(team_id),
        )

    row.download_button(
        _("Download CSV"),
        data=csv,
        on_click=audit_trail.exported("links", team=ctx.team_id),
        file_name=f"links-team-{ctx.team_id}-{date.today():%Y%m%d}.csv",
        mime="text/csv",
        icon=":material/download:",
        disabled=count == 0,
    )


def _sized(config: dict, header: str) -> dict:
    """The date column's `config` (as `date_column` makes it) with its width."""
    return {**config, "width": column_px(header, TABLE_MIN_PX["created"])}


def _maker_names(ctx: PageContext, makers: np.ndarray | None) -> np.ndarray | None:
    """Every row's maker (`makers`: usernames) by the person's name, as Team performance
    shows them; a username not in the users file stays as it is."""
    if makers is None:
        return None
    try:
        people = {p.username: p.name for p in users_file(ctx.settings).values()}
    except Exception:  # the users file is read at login; names are a nicety here
        return makers
    return pd.Series(makers).map(lambda m: people.get(m) or m).to_numpy(dtype=object)


def _table(
    links: PreparedLinks,
    mask: np.ndarray | None,
    count: int,
    makers: np.ndarray | None,
    filtered: bool,
    extras: LinkExtras | None = None,
) -> int | None:
    """The links passing `mask` (with who made each for managers: `makers`; "void" for the
    void ones of `extras`); answers the id of the row selected, else the URL's link."""
    shown = links.shown(mask)
    if extras is not None and extras.void.any():
        void = extras.void if mask is None else extras.void[mask]
        at = shown.schema.get_field_index("status")
        status = customer_view.void_status(shown.column(at).to_numpy(zero_copy_only=False), void)
        shown = shown.set_column(at, "status", pa.array(status, pa.string()))
    shown = _worded(my_links_view.with_made_by(shown, makers, mask))
    shown, created = date_column(shown, "created", _("Created"))
    event = st.dataframe(
        shown,
        hide_index=True,
        key="links_table",
        on_select="rerun",
        selection_mode="single-row",
        height=_table_height(count),
        column_config={**table_columns(), "created": _sized(created, _("Created"))},
        column_order=[_(_MADE_BY) if c == "made_by" else c for c in TABLE_MIN_PX],
    )
    if count == 0:
        _nothing_shown(filtered)
    return selected_id(event, lambda i: shown.column("id")[i].as_py(), "link")


def _nothing_shown(filtered: bool) -> None:
    """Why the table is empty: the filters, or (My links, no filter) no link made yet."""
    if filtered:
        st.info(
            _("No link matches these filters. Loosen them or clear them."),
            icon=":material/filter_alt_off:",
        )
        return
    st.info(
        _("You have not made a link yet. Make your first one, then send it to a customer."),
        icon=":material/add_link:",
    )
    st.page_link(nav_page(u.CREATE), label=_("Create link"), icon=":material/add_link:")


_MADE_BY = my_links_view.MADE_BY


def table_columns() -> dict:
    """The Links table's column headers and widths (`TABLE_MIN_PX`), in the current
    language."""
    text, number = st.column_config.TextColumn, st.column_config.NumberColumn
    labels_ = {
        "id": _("Link"),
        "name": _("Name"),
        "status": _("Status"),
        "template": _("Template"),
        "amount_text": _("Amount"),
        "currency": _("Cur."),
        "use": _("Use"),
        "created": _("Created"),
        "payment_url": _("Payment URL"),
        "paid_count": _("Paid"),
        "paid_text": _("Paid amount"),
        "made_by": _(_MADE_BY),
    }
    px = {key: column_px(label, TABLE_MIN_PX[key]) for key, label in labels_.items()}
    config = {key: text(label, width=px[key]) for key, label in labels_.items()}
    config["id"] = number(labels_["id"], format="%d", width=px["id"])
    config["paid_count"] = number(labels_["paid_count"], format="%d", width=px["paid_count"])
    config["created"] = st.column_config.DatetimeColumn(
        labels_["created"], format="D MMM YYYY, HH:mm", width=px["created"]
    )
    config["payment_url"] = st.column_config.LinkColumn(
        labels_["payment_url"], display_text=_("Open ↗"), width=px["payment_url"]
    )
    # The Made by column is named by its header (my_links_view.with_made_by).
    config[labels_["made_by"]] = config.pop("made_by")
    return config


def status_word(status: str) -> str:
    """A link's status as a word of the current language ("Active")."""
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else str(status).title()


def _worded(shown: pa.Table) -> pa.Table:
    """The table with its status and use cells as words of the current language (the shared
    table holds Links+'s own: "used" is "Paid"). Only the few distinct words are translated,
    whatever the number of rows: each column's dictionary is replaced, its rows are left as
    they are."""
    thai = current_language() != DEFAULT_LANGUAGE  # English keeps "Single" / "Multiple"
    use = {"Single": _("Single use"), "Multiple": _("Multiple use")} if thai else {}
    for name, word in (("status", status_word), ("use", lambda v: use.get(v, v))):
        at = shown.schema.get_field_index(name)
        if at < 0 or not shown.num_rows:
            continue
        coded = shown.column(at).combine_chunks().dictionary_encode()
        words = pa.array([word(v) for v in coded.dictionary.to_pylist()], pa.string())
        shown = shown.set_column(
            at, name, pa.DictionaryArray.from_arrays(coded.indices, words).cast(pa.string())
        )
    return shown


def _table_height(rows: int) -> int:
    """Just the rows there are (header included), up to twelve rows; then it scrolls."""
    return ROW_PX * (min(max(rows, 1), 12) + 1) + 3


def detail(ctx: PageContext, row: dict) -> None:
    """One link: QR code, URL to copy, facts, its payments (kept up to date while it is
    open) and (sandbox) a test payment."""
    with st.container(border=True, key="link_detail"):
        st.subheader(md_escape(row["name"]))
        url = row["payment_url"]
        left, right = st.columns([1, 2])
        with left:
            if url:  # to show and scan; the printable card is under "Send it" below
                st.image(qr_png(url), caption=_("Scan to pay"), width=220)
        with right:
            _live_facts(ctx, row)
            st.markdown(_("**Payment URL** (copy icon at its top right: point at it or tap it)"))
            st.code(url or _("(no URL yet)"), language=None, wrap_lines=True)
            if url:
                st.link_button(_("Open payment page"), url, icon=":material/open_in_new:")
            _facts(ctx, row)
            customer_view.detail_section(ctx, row)
        _simulate(ctx, row)
        delivery_history_view.delivery_history(ctx, row)
    my_links_view.detail_extras(ctx, row)


def _facts(ctx: PageContext, row: dict) -> None:
    created = pd.Timestamp(row["created_at"])
    facts = {
        _("Link"): f"#{row['id']}",
        _("Template"): row["template"],
        _("Use"): _("Multiple payments") if row["multiple_usage"] else _("One payment"),
        _("Created"): (
            format_datetime(created.to_pydatetime(), ctx.tz) if not pd.isna(created) else "—"
        ),
    }
    if row.get("additional"):
        facts[_("Note")] = row["additional"]
    st.markdown("  \n".join(f"**{k}:** {md_escape(v)}" for k, v in facts.items()))


def paid_words(count: int) -> str:
    """How often a link was paid, in words: "Not yet", "1 time", "3 times"."""
    if not count:
        return _("Not yet")
    return ngettext("{n} time", "{n} times", count).format(n=format_number(count))


def live_status(row: dict, paid: int) -> str:
    """The link's status as the console knows it now: a single-use link with a successful
    payment is paid, whether or not the links list has caught up (its cache, or Links+)."""
    if paid and not row["multiple_usage"] and row["status"] == "active":
        return "used"
    return str(row["status"])


@st.fragment(run_every=REFRESH_SECONDS)
def _live_facts(ctx: PageContext, row: dict) -> None:
    """Amount, times paid, status and the payments; read again every few seconds (a
    primary-key read unless a payment of this link arrived), so a payment made while the
    detail is open shows here as soon as the toast announces it."""
    try:
        paid = cached_reads.link_paid_count(int(row["id"]))
        problem = None
    except Exception as exc:  # the event log is down: the list says so below
        paid, problem = int(row["paid_count"]), exc
    status = live_status(row, paid)
    if int(row["id"]) in customer_view.team_voided(ctx.team_id):
        status = "void"  # voided in the console, whatever Links+ says
    m1, m2, m3 = st.columns(3)
    # The currency goes in the label: an amount with its code is cut off ("1,250.50 T…")
    # in a third of the column.
    m1.metric(
        _("Amount ({currency})").format(currency=md_escape(str(row["currency"]).upper())),
        row["amount_text"],
    )
    m2.metric(_("Paid"), paid_words(paid))
    m3.metric(_("Status"), md_escape(status_word(status)))
    _link_payments(ctx, row, problem)


def _link_payments(ctx: PageContext, row: dict, problem: Exception | None = None) -> None:
    st.markdown("##### " + _("Payments"))
    try:
        if problem is not None:
            raise problem
        mine = cached_reads.link_payments(int(row["id"]))
    except Exception as exc:
        eventlog_problem(exc, what=_("Payments"))
        return
    if mine.empty:
        st.caption(_("No payment yet."))
        return
    # A display-only table has no key of its own in Streamlit: its container names it.
    table, occurred = date_column(
        payments_report.payments_table(mine, None, ctx.tz), "occurred", _("When")
    )
    st.container(key="link_payments_table").dataframe(
        table,
        hide_index=True,
        column_order=["occurred", "payment_id", "status", "amount_text", "currency"],
        column_config={
            "occurred": occurred,
            "payment_id": _("Payment"),
            "status": _("Status"),
            "amount_text": _("Amount"),
            "currency": _("Cur."),
        },
    )


def _simulate(ctx: PageContext, row: dict) -> None:
    sandbox = ctx.settings.sandbox_url
    if not sandbox or ctx.settings.environment != "sandbox":
        return
    st.caption(":material/science: " + _("Sandbox only: pretend a customer pays this link."))
    c1, c2, _rest = st.columns([1, 1, 2])
    for status, col, label in (
        ("successful", c1, _("Simulate a payment")),
        ("failed", c2, _("Simulate a failed payment")),
    ):
        if col.button(label, key=f"sim_{status}_{row['id']}", disabled=row["status"] != "active"):
            try:
                payment = simulate_payment(sandbox, int(row["id"]), status=status)
            except LinksPlusError as exc:
                show_error(exc)
            else:
                cached_reads.clear_event_cache()
                cached_reads.clear_api_cache()
                paid = md_escape(payment.get("id", ""))
                st.toast(
                    (
                        _("Payment {payment} successful.")
                        if status == "successful"
                        else _("Payment {payment} failed.")
                    ).format(payment=paid)
                    + " "
                    + _("It appears here as soon as its webhook arrives."),
                    icon=":material/payments:",
                )


# How long the page waits for all of a team's links before it shows the newest first: a
# team of a few thousand is in by then.
FIRST_WAIT = 1.0


def _newest_first(ctx: PageContext) -> None:
    """The team's newest links at once, while all of them load (a team of 100,000 takes
    seconds); the page draws itself whole once they are in."""
    try:
        newest = cached_reads.newest_links(ctx.team_id)
    except LinksPlusError as exc:
        show_error(exc, what=_("The links could not be loaded."))
        st.stop()
    total = newest.total if newest.total is not None else len(newest.frame)
    st.caption(
        ":material/hourglass_top: "
        + _("The newest {shown} of {total} links, while all of them load…").format(
            shown=format_number(len(newest.frame)), total=format_number(total)
        )
    )
    shown = prepare_links(newest.frame, None, ctx.tz).shown(None)
    st.container(key="links_newest").dataframe(
        shown, hide_index=True, height=_table_height(len(shown)), column_config=table_columns()
    )
    _when_loaded(ctx.team_id)


@st.fragment(run_every=1.0)
def _when_loaded(team_id: int) -> None:
    if cached_reads.links_ready(team_id):
        st.rerun()
