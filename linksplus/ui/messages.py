"""The sentences the app shows for errors: the one place that turns an error's facts into
words a salesperson reads (and where a translation will hook in). No Streamlit import here.

The errors carry facts (`LinksPlusError.status`, ``code``, ``server_message``, ``field``,
``request_id``, `RateLimitError.retry_after`, `APIConnectionError.url` and ``reason``) and a
factual ``message`` for logs; which words and which box a person sees is decided here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from linksplus.connection import STYLE_WORDS, ConnectionReport
from linksplus.errors import (
    UNREADABLE_ANSWER,
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    CreateUnconfirmedError,
    LinksPlusError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from linksplus.i18n import N_, _, ngettext
from linksplus.ui.markdown import md_escape


@dataclass(frozen=True, slots=True)
class Notice:
    """What to show for an error: the box (`level`), its Markdown `text` and its `icon`."""

    level: Literal["error", "warning"]
    text: str
    icon: str


# Markdown: the setting's name shows as code.
_KEY_HINT = N_("An admin sets the key in .streamlit/secrets.toml (`api_key`) or LINKSPLUS_API_KEY.")


def error_notice(exc: BaseException, *, what: str = "") -> Notice:
    """How the app shows `exc`, after `what` went wrong ("The links could not be loaded.").

    The error's own words are escaped: an API error can echo what was typed.
    """
    prefix = f"{what} " if what else ""
    if isinstance(exc, AuthenticationError):
        return Notice(
            "error",
            f"{prefix}{md_escape(error_sentence(exc))} {_(_KEY_HINT)}",
            ":material/key_off:",
        )
    if isinstance(exc, (APIConnectionError, ServerError)):
        return Notice(
            "warning", f"{prefix}{md_escape(error_sentence(exc))}", ":material/cloud_off:"
        )
    if isinstance(exc, LinksPlusError):
        return Notice("error", f"{prefix}{md_escape(error_sentence(exc))}", ":material/error:")
    return Notice(
        "error",
        prefix
        + _(
            "Something went wrong ({error}). Please try again; if it keeps happening, tell an "
            "admin."
        ).format(error=type(exc).__name__),
        ":material/error:",
    )


def error_sentence(exc: LinksPlusError) -> str:
    """The plain sentence (not Markdown) a person reads for `exc`, from its facts."""
    if isinstance(exc, ValidationError):
        return exc.message  # the create form's own sentence for the field
    if isinstance(exc, BadRequestError):
        reason = exc.server_message or _("a parameter is missing or invalid")
        return _sentence(_("Links+ refused the request: {reason}").format(reason=reason))
    if isinstance(exc, AuthenticationError):
        return _("Links+ did not accept the API key. Ask an admin to check the key in Settings.")
    if isinstance(exc, NotFoundError):
        return _(
            "That link or template was not found. It may have been removed or belong to "
            "another team."
        )
    if isinstance(exc, RateLimitError):
        return _(
            "Links+ is receiving too many requests right now. Please try again {when}."
        ).format(when=_when(exc))
    if isinstance(exc, ServerError):
        if exc.code == UNREADABLE_ANSWER:
            return _("Links+ sent an answer that could not be read. Please try again in a minute.")
        return _(
            "Links+ is having trouble right now (error {status}). Please try again in a minute."
        ).format(status=exc.status)
    if isinstance(exc, APIConnectionError) and exc.url is not None:
        return _(
            "Could not reach Links+ at {url} ({reason}). Check the connection and try again."
        ).format(url=exc.url, reason=exc.reason or _("connection failed"))
    if isinstance(exc, CreateUnconfirmedError):
        return _(
            "Links+ did not answer, and it could not be checked whether your link was made. "
            "Look for it on the Links page before creating it again."
        )
    if exc.status is not None:
        reason = exc.server_message or _("unexpected answer")
        return _sentence(
            _("Links+ answered with error {status}: {reason}").format(
                status=exc.status, reason=reason
            )
        )
    # Raised outside the client (the sandbox's test controls): their facts are the words.
    return exc.message


def connection_advice(report: ConnectionReport) -> str:
    """Markdown: which style Links+ accepts the key in and, when that is not the configured
    one, how to set it; or why the connection check could not tell."""
    tried = ", ".join(a.auth for a in report.attempts if a.refused)
    if report.ok:
        return _("Links+ accepts the key sent as {style}.").format(
            style=_(STYLE_WORDS[report.configured])
        )
    if report.accepted:
        return _(
            "Links+ refused the key sent as {configured} but accepts it sent as {style}. To "
            'use that style, put `api_auth = "{accepted}"` under `[linksplus]` in '
            ".streamlit/secrets.toml, or set LINKSPLUS_API_AUTH={accepted}, and restart the "
            "app."
        ).format(
            configured=report.configured,
            style=_(STYLE_WORDS[report.accepted]),
            accepted=report.accepted,
        )
    last = report.attempts[-1]
    said = md_escape(error_sentence(last.error)) if last.error is not None else ""
    if all(a.refused for a in report.attempts):
        return _(
            "Links+ refused the key in every style ({tried}), so the key itself is wrong or "
            "revoked. Copy it again from the Links+ dashboard (Settings > API Keys) into "
            "`api_key` or LINKSPLUS_API_KEY."
        ).format(tried=tried)
    if tried:
        return _(
            "Links+ refused the key sent as {tried}. Sent as {auth}: {said} So the check "
            "could not tell which style Links+ accepts; try again later."
        ).format(tried=tried, auth=last.auth, said=said)
    return said


def _when(exc: RateLimitError) -> str:
    if exc.retry_after is None:
        return _("in a minute")
    seconds = round(exc.retry_after)
    return ngettext("in {n} second", "in {n} seconds", seconds).format(n=seconds)


def _sentence(text: str) -> str:
    """`text` with one full stop at its end (the service's message may bring its own)."""
    return f"{text}.".replace("..", ".")
