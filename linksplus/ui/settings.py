"""The settings of this run: ``[linksplus]`` in Streamlit secrets, overridden by the
environment (see `linksplus.config.Settings`)."""

from __future__ import annotations

import hashlib
import os

import streamlit as st

from linksplus.config import Settings
from linksplus.i18n import _


def _secrets() -> dict:
    """Streamlit secrets as a plain dict; empty when there is no secrets.toml."""
    try:
        return st.secrets.to_dict()
    except Exception:  # no secrets file, or one that cannot be parsed: env vars may suffice
        return {}


def current_settings() -> Settings:
    """The settings, read on every run (cheap) so a changed secret takes effect at once."""
    return Settings.load(_secrets(), os.environ)


def key_fingerprint(settings: Settings) -> str:
    """A short one-way digest of the API key: lets caches change with the key without
    putting the key itself into a cache key."""
    return hashlib.sha256(f"linksplus:{settings.api_key}".encode()).hexdigest()[:12]


def setup_problems(settings: Settings) -> list[str]:
    """Everything an admin must set before anyone can log in, as sentences."""
    problems = list(settings.problems())
    if not settings.cookie_key:
        problems.append(
            _(
                "No login cookie key is set. Put a long random `cookie_key` under "
                "`[linksplus]` in .streamlit/secrets.toml, or set LINKSPLUS_COOKIE_KEY "
                '(for example the output of `python -c "import secrets; '
                'print(secrets.token_urlsafe(32))"`).'
            )
        )
    elif len(settings.cookie_key) < 16:
        problems.append(_("The login cookie key is too short: use at least 16 random characters."))
    # No users file: the users live in the workspace database (managed on the Users page).
    return problems
