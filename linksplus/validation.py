"""The rules a new link must meet, shared by the client, the sandbox and the create form."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from linksplus.i18n import _
from linksplus.money import MIN_AMOUNT, AmountError, check_amount, get_currency

NAME_MAX = 45
ADDITIONAL_MAX = 255


def webhook_url_problem(url: str) -> str | None:
    """Why `url` cannot be a custom webhook (it must be an absolute https URL), or None."""
    text = str(url).strip()
    if any(ch.isspace() for ch in text):
        return _("The custom webhook must be a web address without spaces.")
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return _("The custom webhook is not a valid web address.")
    if parts.scheme.lower() != "https":
        return _("The custom webhook must start with https:// (Links+ refuses http and others).")
    if not parts.hostname or ("." not in parts.hostname and parts.hostname != "localhost"):
        return _("The custom webhook must name a host, like https://example.com/hooks.")
    if port == 0:
        return _("The custom webhook is not a valid web address.")
    return None


def link_param_errors(
    params: dict[str, Any], *, account_country: str | None = None
) -> dict[str, str]:
    """Every problem with new-link parameters, as ``{field: sentence}``; empty when valid.

    `params` uses the API's names: template_id, team_id, name, amount (minor units),
    currency, multiple_usage, additional, custom_webhook. The amount must meet Links+'s
    documented minimum; with the `account_country` (the console's setting) also the charge
    limits Omise documents for that country (`linksplus.money.check_amount`).
    """
    errors: dict[str, str] = {}
    for key in ("template_id", "team_id"):
        value = params.get(key)
        if value is None:
            errors[key] = _('"{field}" is required.').format(field=key)
        elif isinstance(value, bool) or not isinstance(value, int):
            errors[key] = _('"{field}" must be a number.').format(field=key)

    name = params.get("name")
    if not isinstance(name, str) or not name.strip():
        errors["name"] = _("Give the link a name; the payer sees it.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("The name can be at most {n} characters (it has {has}).").format(
            n=NAME_MAX, has=len(name)
        )

    currency = params.get("currency")
    if currency is not None:
        try:
            get_currency(currency)
        except AmountError as exc:
            errors["currency"] = str(exc)
            currency = None
    amount = params.get("amount")
    if amount is None:
        errors["amount"] = _("Enter an amount.")
    elif currency is not None:
        problem = check_amount(amount, currency, account_country)
        if problem:
            errors["amount"] = problem
    elif isinstance(amount, bool) or not isinstance(amount, int) or amount < MIN_AMOUNT:
        # No currency (the template's applies): only Links+'s own minimum can be checked.
        errors["amount"] = _(
            "The amount must be a whole number of at least {n} in the currency's "
            "smallest unit (Links+'s minimum)."
        ).format(n=MIN_AMOUNT)

    if "multiple_usage" in params and not isinstance(params["multiple_usage"], bool):
        errors["multiple_usage"] = _('"{field}" must be true or false.').format(
            field="multiple_usage"
        )

    additional = params.get("additional")
    if additional is not None:
        if not isinstance(additional, str):
            errors["additional"] = _("The note must be text.")
        elif len(additional) > ADDITIONAL_MAX:
            errors["additional"] = _(
                "The note can be at most {n} characters (it has {has})."
            ).format(n=ADDITIONAL_MAX, has=len(additional))

    hook = params.get("custom_webhook")
    if hook not in (None, ""):
        problem = (
            webhook_url_problem(hook)
            if isinstance(hook, str)
            else _("The custom webhook must be a web address.")
        )
        if problem:
            errors["custom_webhook"] = problem
    return errors
