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
    problems: dict[str, str | None] = {
        key: _id_problem(key, params.get(key)) for key in ("template_id", "team_id")
    }
    problems["name"] = _name_problem(params.get("name"))
    problems.update(_money_problems(params.get("currency"), params.get("amount"), account_country))
    if "multiple_usage" in params and not isinstance(params["multiple_usage"], bool):
        problems["multiple_usage"] = _('"{field}" must be true or false.').format(
            field="multiple_usage"
        )
    problems["additional"] = _note_problem(params.get("additional"))
    problems["custom_webhook"] = _webhook_problem(params.get("custom_webhook"))
    return {field: problem for field, problem in problems.items() if problem}


def _id_problem(key: str, value: Any) -> str | None:
    if value is None:
        return _('"{field}" is required.').format(field=key)
    if isinstance(value, bool) or not isinstance(value, int):
        return _('"{field}" must be a number.').format(field=key)
    return None


def _name_problem(name: Any) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return _("Give the link a name; the payer sees it.")
    if len(name) > NAME_MAX:
        return _("The name can be at most {n} characters (it has {has}).").format(
            n=NAME_MAX, has=len(name)
        )
    return None


def _money_problems(
    currency: Any, amount: Any, account_country: str | None
) -> dict[str, str | None]:
    """The currency's problem and the amount's (checked in the currency when it is good)."""
    problems: dict[str, str | None] = {}
    if currency is not None:
        try:
            get_currency(currency)
        except AmountError as exc:
            problems["currency"] = str(exc)
            currency = None
    if amount is None:
        problems["amount"] = _("Enter an amount.")
    elif currency is not None:
        problems["amount"] = check_amount(amount, currency, account_country)
    elif isinstance(amount, bool) or not isinstance(amount, int) or amount < MIN_AMOUNT:
        # No currency (the template's applies): only Links+'s own minimum can be checked.
        problems["amount"] = _(
            "The amount must be a whole number of at least {n} in the currency's "
            "smallest unit (Links+'s minimum)."
        ).format(n=MIN_AMOUNT)
    return problems


def _note_problem(additional: Any) -> str | None:
    if additional is None:
        return None
    if not isinstance(additional, str):
        return _("The note must be text.")
    if len(additional) > ADDITIONAL_MAX:
        return _("The note can be at most {n} characters (it has {has}).").format(
            n=ADDITIONAL_MAX, has=len(additional)
        )
    return None


def _webhook_problem(hook: Any) -> str | None:
    if hook in (None, ""):
        return None
    if not isinstance(hook, str):
        return _("The custom webhook must be a web address.")
    return webhook_url_problem(hook)
