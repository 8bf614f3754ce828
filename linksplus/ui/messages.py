"""The sentences the app shows for errors: one place that turns an exception into words a
salesperson reads (and where a translation will hook in). No Streamlit import here.

The errors carry facts (`LinksPlusError.status`, ``code``, ``server_message``, ``field``,
``request_id``) and a plain English ``message``; which words and which box a person sees
is decided here, never by the error's ``str()`` (that is for logs and library users).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from linksplus.errors import APIConnectionError, AuthenticationError, LinksPlusError, ServerError
from linksplus.ui.markdown import md_escape


@dataclass(frozen=True, slots=True)
class Notice:
    """What to show for an error: the box (`level`), its Markdown `text` and its `icon`."""

    level: Literal["error", "warning"]
    text: str
    icon: str


# Markdown: the setting's name shows as code.
_KEY_HINT = "An admin sets the key in .streamlit/secrets.toml (`api_key`) or LINKSPLUS_API_KEY."


def error_notice(exc: BaseException, *, what: str = "") -> Notice:
    """How the app shows `exc`, after `what` went wrong ("The links could not be loaded.").

    The error's own words are escaped: an API error can echo what was typed.
    """
    prefix = f"{what} " if what else ""
    if isinstance(exc, AuthenticationError):
        return Notice(
            "error", f"{prefix}{md_escape(exc.message)} {_KEY_HINT}", ":material/key_off:"
        )
    if isinstance(exc, (APIConnectionError, ServerError)):
        return Notice("warning", f"{prefix}{md_escape(exc.message)}", ":material/cloud_off:")
    if isinstance(exc, LinksPlusError):
        return Notice("error", f"{prefix}{md_escape(exc.message)}", ":material/error:")
    return Notice(
        "error",
        f"{prefix}Something went wrong ({type(exc).__name__}). Please try again; if it keeps "
        "happening, tell an admin.",
        ":material/error:",
    )
