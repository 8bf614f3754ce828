"""The Create link page: one form, errors beside their fields, exactly one link per form.

A create that gets no clear answer is checked by the client (is the link among the team's
newest?) before it is sent again; the page says so while it checks. The form's first
attempt time lives in session state until a link is made, so pressing Create link again
after an error looks for the link first too. The form's Idempotency-Key is kept the same
way (harmless where Links+ ignores it), and a second click right after a success does
nothing.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import streamlit as st

from linksplus.client import CreateCheck
from linksplus.console import users
from linksplus.console.make_link import LinkRequest, MadeLink, make_link
from linksplus.console.qr import qr_png
from linksplus.errors import CreateUnconfirmedError, LinksPlusError, ValidationError
from linksplus.i18n import N_, _
from linksplus.models import Link, Template
from linksplus.money import CURRENCIES, format_amount, get_account_country
from linksplus.ui import audit_trail, cached_reads, customer_view, reminder_view
from linksplus.ui.context import PageContext
from linksplus.ui.share_view import share_panel
from linksplus.ui.widgets import (
    field_error,
    labels,
    md_escape,
    money_hint,
    nav_page,
    parse_money,
    show_error,
)
from linksplus.ui.workspace_data import forget_owners, workspace
from linksplus.validation import ADDITIONAL_MAX, NAME_MAX, link_param_errors
from linksplus.workspace import activity
from linksplus.workspace.customers import (
    EMAIL_MAX,
    LINE_MAX,
    PHONE_MAX,
    Customer,
    customer_errors,
)
from linksplus.workspace.customers import NAME_MAX as CUSTOMER_NAME_MAX

DOUBLE_CLICK_SECONDS = 2.0
# Session key of a link to copy into the form ("Make another like this" on the Links page).
DUPLICATE_KEY = "create_duplicate_of"
# The customer fields' session keys, by the Customer field each fills.
CUSTOMER_KEYS = {
    "name": "cl_cust_name",
    "phone": "cl_cust_phone",
    "email": "cl_cust_email",
    "line": "cl_cust_line",
}
CHECKING = N_("Links+ did not answer; checking whether your link was made…")
FOUND = N_("Links+ did not answer at first, so the Console checked: your link was made, once.")


def idempotency_key() -> str:
    """This form's Idempotency-Key, made once and kept until a link is created."""
    if "cl_idem" not in st.session_state:
        st.session_state["cl_idem"] = str(uuid.uuid4())
    return st.session_state["cl_idem"]


def _apply_template(template: Template | None) -> None:
    """Fill the template's default currency and amount into the form."""
    if template is None:
        return
    if template.currency and template.currency.lower() in CURRENCIES:
        st.session_state["cl_currency"] = template.currency.lower()
    if template.amount and st.session_state.get("cl_currency"):
        st.session_state["cl_amount"] = format_amount(
            template.amount, st.session_state["cl_currency"]
        )


def _apply_duplicate(link: dict | None, templates: dict[int, Template]) -> None:
    """Fill the form like `link` (from "Make another like this"), under a new name."""
    if not link:
        return
    s = st.session_state
    if link.get("template_id") in templates:
        s["cl_template"] = link["template_id"]
    currency = str(link.get("currency") or "").lower()
    if currency in CURRENCIES:
        s["cl_currency"] = currency
        s["cl_amount"] = format_amount(int(link.get("amount") or 0), currency)
    s["cl_multiple"] = bool(link.get("multiple_usage"))
    s["cl_additional"] = link.get("additional") or ""
    s["cl_name"] = _("{name} (copy)").format(name=link.get("name") or "")[:NAME_MAX]
    for field_name, key in CUSTOMER_KEYS.items():  # another link for the same customer
        s[key] = (link.get("customer") or {}).get(field_name) or ""
    s["cl_how"] = "duplicate"
    s.pop("cl_created", None)


def _on_template_change(templates: dict[int, Template]) -> None:
    _apply_template(templates.get(st.session_state.get("cl_template")))
    st.session_state.pop("cl_errors", None)


def _read_form(ctx: PageContext) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's new-link parameters (the API's names) and its problems, by field."""
    s = st.session_state
    errors: dict[str, str] = {}
    currency = s.get("cl_currency")
    amount, amount_error = parse_money(s.get("cl_amount", ""), currency)
    if amount_error:
        errors["amount"] = amount_error
    elif amount is None:
        errors["amount"] = _("Enter an amount, for example 1,250.50.")
    template_id = s.get("cl_template")
    params = {
        "template_id": template_id,
        "team_id": ctx.team_id,
        "name": (s.get("cl_name") or "").strip(),
        "amount": amount if amount else 0,
        "currency": currency,
        "multiple_usage": bool(s.get("cl_multiple")),
        "additional": (s.get("cl_additional") or "").strip() or None,
        # Only admins see the field; nothing else may bring one in.
        "custom_webhook": ((s.get("cl_webhook") or "").strip() or None)
        if users.effective_role(ctx.user.roles) == "admin"
        else None,
    }
    if template_id is None:
        errors["template_id"] = _("Choose a template.")
    for field_name, message in customer_errors(form_customer()).items():
        errors["customer_" + field_name] = message
    if remind_error := reminder_view.form_error(form_customer()):
        errors["remind"] = remind_error
    account_country = ctx.settings.account_country
    for field, message in link_param_errors(params, account_country=account_country).items():
        errors.setdefault(field, message)
    return params, errors


def form_customer() -> Customer:
    """The customer typed into the form (every field may be empty)."""
    return Customer.of(**{f: st.session_state.get(k) for f, k in CUSTOMER_KEYS.items()})


def _on_check(step: CreateCheck) -> None:
    """Tell the user while the client checks whether a link with no clear answer was made."""
    if step is CreateCheck.CHECKING:
        st.toast(_(CHECKING), icon=":material/sync:")
    st.session_state["cl_checked"] = step


def _make(ctx: PageContext, params: dict[str, Any]) -> MadeLink:
    """Make the form's link and record that this user made it, and how (the Links page's
    My links and Made by read this)."""
    s = st.session_state
    request = LinkRequest(**{k: v for k, v in params.items() if k != "team_id"})
    made = make_link(
        cached_reads.client(ctx.settings),
        workspace,  # opened only to record: a failure to open it is a record error
        request,
        team_id=ctx.team_id,
        made_by=ctx.user.username,
        how=s.get("cl_how") or "form",
        idempotency_key=idempotency_key(),
        # An earlier press of this form ended in an error: its link may exist.
        made_since=s.get("cl_tried_at"),
        on_check=_on_check,
        customer=form_customer(),
    )
    audit_trail.note(
        activity.LINK_CREATED, link=made.link.id, team=ctx.team_id, how=s.get("cl_how") or "form"
    )
    # Whatever was recorded is on the very next page: the maker, and the customer to search.
    forget_owners()
    if made.record_error is None and (remind_error := reminder_view.after_create(ctx, made.link)):
        made = dataclasses.replace(made, record_error=remind_error)
    customer_view.forget()
    return made


def _submit(ctx: PageContext, templates: dict[int, Template]) -> None:
    """The submit button's callback: validate, then create (runs before the page redraws,
    so errors appear beside their fields in the same run)."""
    s = st.session_state
    if time.monotonic() - s.get("cl_last_success", -DOUBLE_CLICK_SECONDS) < DOUBLE_CLICK_SECONDS:
        return  # the second click of a double click: the link is already made
    s.pop("cl_api_error", None)
    params, errors = _read_form(ctx)
    if errors:
        s["cl_errors"] = errors
        return
    s["cl_errors"] = {}
    s.pop("cl_checked", None)
    started = datetime.now(UTC)
    try:
        made = _make(ctx, params)
    except ValidationError as exc:
        s["cl_errors"] = {exc.field: exc.message}
        return
    except LinksPlusError as exc:
        s["cl_api_error"] = exc
        s.setdefault("cl_tried_at", started)  # pressing again looks for the link first
        return
    s["cl_created"] = made.link.to_dict()
    s["cl_record_error"] = made.record_error
    s.pop("cl_how", None)
    s["cl_last_success"] = time.monotonic()
    s["cl_toast"] = True
    for key in ("cl_idem", "cl_tried_at"):  # the next link starts afresh
        s.pop(key, None)
    for key in ("cl_name", "cl_additional", "cl_webhook", *CUSTOMER_KEYS.values()):
        s[key] = ""
    # The next link starts from the template's own amount, which its card beside the form
    # names, not from the one just sent.
    s["cl_amount"] = ""
    _apply_template(templates.get(s.get("cl_template")))
    cached_reads.clear_api_cache()


def _templates(ctx: PageContext) -> dict[int, Template]:
    """The team's templates by id (the page stops with a sentence when they cannot be
    loaded; says what to do when there are none)."""
    try:
        with st.spinner(_("Loading templates…")):
            templates = {t.id: t for t in cached_reads.templates(ctx.team_id)}
    except LinksPlusError as exc:
        show_error(exc, what=_("The templates could not be loaded."))
        st.stop()
    if not templates:
        st.info(
            _(
                "This team has no templates yet; a link is always made from a template. "
                "Ask your manager to create one in the Links+ dashboard."
            ),
            icon=":material/dashboard_customize:",
        )
    return templates


def _prefill(ctx: PageContext, templates: dict[int, Template]) -> None:
    """Fill the form from a chosen template or a link to copy, else keep what it holds."""
    # A template chosen on the Templates page (or ?template=) preselects the form.
    wanted = st.session_state.pop("create_template_id", None) or st.query_params.get("template")
    try:
        wanted = int(wanted) if wanted is not None else None
    except ValueError:
        wanted = None
    if wanted in templates and st.session_state.get("cl_template") != wanted:
        st.session_state["cl_template"] = wanted
        _apply_template(templates[wanted])
        st.session_state["cl_how"] = "template"
    _apply_duplicate(st.session_state.pop(DUPLICATE_KEY, None), templates)
    if st.session_state.get("cl_template") not in templates:
        st.session_state["cl_template"] = next(iter(templates))
        _apply_template(templates[st.session_state["cl_template"]])
    account = get_account_country(ctx.settings.account_country)
    st.session_state.setdefault("cl_currency", account.currency)
    st.session_state.setdefault("cl_amount", "")
    idempotency_key()


def render(ctx: PageContext) -> None:
    """The whole Create link page."""
    st.title(_("Create a payment link"))
    st.caption(
        _("For **{team}**. The payer sees the name and the amount.").format(
            team=md_escape(ctx.team_name)
        )
    )
    templates = _templates(ctx)
    if not templates:
        return
    _prefill(ctx, templates)
    created = st.session_state.get("cl_created")
    if created:
        _success(created)

    errors: dict[str, str] = st.session_state.get("cl_errors", {})
    form_col, help_col = st.columns([3, 2])
    with form_col:
        st.selectbox(
            _("Template"),
            list(templates),
            key="cl_template",
            format_func=labels(
                templates, lambda t: templates[t].name or _("Template {id}").format(id=t)
            ),
            on_change=_on_template_change,
            args=(templates,),
            help=_("The template sets the page design and the default amount."),
        )
        field_error(errors.get("template_id"))
        _form(ctx, templates, errors)
        _form_errors(errors)
    with help_col:
        _template_card(templates[st.session_state["cl_template"]])


def _form(ctx: PageContext, templates: dict[int, Template], errors: dict[str, str]) -> None:
    """The form itself: name, amount and currency, usage, note and webhook, each field's
    error beside it, and the Create link button."""
    with st.form("create_link", border=True, enter_to_submit=False):
        st.text_input(
            _("Link name"),
            key="cl_name",
            max_chars=NAME_MAX,
            placeholder=_("e.g. Deposit for order 1042"),
            help=_("Shown to the payer; at most {n} characters.").format(n=NAME_MAX),
        )
        field_error(errors.get("name"))
        _amount_fields(ctx, errors)
        st.toggle(
            _("Can be paid many times"),
            key="cl_multiple",
            help=_(
                "Off: the link closes after one payment. On: anyone can pay it "
                "again, e.g. for a class fee."
            ),
        )
        field_error(errors.get("multiple_usage"))
        st.text_area(
            _("Note for your team (optional)"),
            key="cl_additional",
            max_chars=ADDITIONAL_MAX,
            height=80,
        )
        field_error(errors.get("additional"))
        _customer_fields(errors)
        reminder_view.create_fields(ctx)
        field_error(errors.get("remind"))
        if users.effective_role(ctx.user.roles) == "admin":  # technical: admins only
            st.text_input(
                _("Custom webhook (optional)"),
                key="cl_webhook",
                placeholder="https://example.com/hooks/links",
                help=_("Links+ also notifies this HTTPS address of each payment."),
            )
            field_error(errors.get("custom_webhook"))
        st.form_submit_button(
            _("Create link"),
            type="primary",
            icon=":material/add_link:",
            on_click=_submit,
            args=(ctx, templates),
        )


def _customer_fields(errors: dict[str, str]) -> None:
    """Who the link is for (optional): kept in the console's records for the team only,
    never sent to Links+."""
    wrong = any(k.startswith("customer_") for k in errors)
    filled = any(st.session_state.get(k) for k in CUSTOMER_KEYS.values())
    with st.expander(_("Customer (optional)"), expanded=wrong or filled, icon=":material/person:"):
        st.caption(
            _(
                "Only your team sees these details; Links+ and the payer's page do not. "
                "They let you find the link by the customer's name."
            )
        )
        n, p = st.columns(2)
        n.text_input(_("Customer's name"), key="cl_cust_name", max_chars=CUSTOMER_NAME_MAX)
        with n:
            field_error(errors.get("customer_name"))
        p.text_input(
            _("Phone"), key="cl_cust_phone", max_chars=PHONE_MAX, placeholder="+66 81 234 5678"
        )
        with p:
            field_error(errors.get("customer_phone"))
        e, line = st.columns(2)
        e.text_input(
            _("Email"), key="cl_cust_email", max_chars=EMAIL_MAX, placeholder="somsak@example.com"
        )
        with e:
            field_error(errors.get("customer_email"))
        line.text_input(
            _("LINE (user ID or a note)"),
            key="cl_cust_line",
            max_chars=LINE_MAX,
            placeholder=_("e.g. @somsak"),
        )
        with line:
            field_error(errors.get("customer_line"))


def _amount_fields(ctx: PageContext, errors: dict[str, str]) -> None:
    """Amount and currency side by side, with the account's charge limits as help."""
    account = get_account_country(ctx.settings.account_country)
    a, c = st.columns([3, 1])
    currency = st.session_state.get("cl_currency")
    a.text_input(_("Amount"), key="cl_amount", placeholder="1,250.50", help=money_hint(currency))
    c.selectbox(
        _("Currency"),
        list(CURRENCIES),  # every currency Omise lists (linksplus.money)
        key="cl_currency",
        format_func=str.upper,
        help=_(
            "Every currency Omise takes. For accounts in {country}, Omise takes {low} "
            "to {high} per charge in {currency}; any currency needs at least 100 of "
            "its smallest unit."
        ).format(
            country=_(account.name),
            low=format_amount(account.min_amount, account.currency, code=True),
            high=format_amount(account.max_amount, account.currency, code=True),
            currency=account.currency.upper(),
        ),
    )
    with a:
        field_error(errors.get("amount"))
    with c:
        field_error(errors.get("currency"))


def _form_errors(errors: dict[str, str]) -> None:
    """Below the form: fields to correct, or what Links+ answered and whether to press again."""
    if errors:
        st.error(_("Please correct the fields marked in red."), icon=":material/error:")
    api_error = st.session_state.get("cl_api_error")
    if isinstance(api_error, CreateUnconfirmedError):
        show_error(api_error)
        st.caption(
            _(
                "Pressing Create link again is safe: it looks for the link first and "
                "makes it only if it is not there."
            )
        )
    elif api_error is not None:
        show_error(api_error, what=_("The link was not created."))
        st.caption(_("You can press Create link again: it will not make a second link."))


def _template_card(template: Template) -> None:
    """The chosen template's name and default amount, and how amounts are typed."""
    with st.container(border=True):
        st.markdown(f"**{md_escape(template.name)}**")
        if template.amount and template.currency and template.currency in CURRENCIES:
            default = format_amount(template.amount, template.currency, code=True)
            st.markdown(_("Default amount: {amount}").format(amount=default))
        st.caption(
            _(
                "Type amounts the way you write them: 1,250.50 or 1250.5. "
                "They are checked against Links+'s minimum and your account's charge "
                "limits before anything is sent."
            )
        )


def _success(created: dict) -> None:
    link = Link.from_api(created)
    if st.session_state.pop("cl_toast", False):
        st.toast(
            _("Link “{name}” created.").format(name=md_escape(link.name)),
            icon=":material/check_circle:",
        )
    with st.container(border=True, key="created_link"):
        st.success(
            _("Link #{id} “{name}” is ready: {amount}.").format(
                id=link.id,
                name=md_escape(link.name),
                amount=format_amount(link.amount, link.currency, code=True),
            ),
            icon=":material/check_circle:",
        )
        if st.session_state.get("cl_checked") is CreateCheck.FOUND:
            st.caption(_(FOUND))
        if st.session_state.get("cl_record_error"):
            st.warning(st.session_state["cl_record_error"], icon=":material/database:")
        left, right = st.columns([1, 3])
        if link.payment_url:
            left.image(qr_png(link.payment_url), caption=_("Scan to pay"), width=180)
            with right:
                st.markdown(_("Send this address to your customer (copy button on the right):"))
                st.code(link.payment_url, language=None, wrap_lines=True)
        with right:
            b1, b2 = st.columns(2)
            b1.page_link(
                nav_page(users.LINKS),
                label=_("See it on the Links page"),
                icon=":material/link:",
                query_params={"team": str(link.team_id), "link": str(link.id)},
            )
            if b2.button(_("Create another link"), icon=":material/add:"):
                st.session_state.pop("cl_created", None)
                st.rerun()
    if link.payment_url:
        with st.container(border=True, key="created_share"):
            share_panel(
                link_id=link.id,
                name=link.name,
                amount=link.amount,
                currency=link.currency,
                url=link.payment_url,
                key="created",
            )
