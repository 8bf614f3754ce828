"""Where the product's settings come from: one mapping (Streamlit secrets or the environment).

Keys, each also readable as an environment variable with the ``LINKSPLUS_`` prefix:
``api_base_url``, ``api_key``, ``api_auth`` (raw | basic | bearer), ``account_country``
(where the Omise account is registered: th, jp, sg or my), ``eventlog_url``, ``sandbox_url``
(the sandbox's test controls, when the API is the sandbox), ``users_file`` (the console's
YAML users file), ``cookie_key`` (signs the console's login cookie; a secret),
``trusted_proxies`` (the reverse proxies whose X-Forwarded-For the login throttle believes;
none by default), ``audit_days`` (days the audit log keeps its rows; 400), and for the
paid-link alerts ``smtp_url``, ``mail_from``,
``line_channel_token``, ``line_api_url`` and ``console_url``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from linksplus.i18n import _
from linksplus.money import DEFAULT_ACCOUNT_COUNTRY, get_account_country

LIVE_BASE_URL = "https://linksplus-api.omise.co"
DEFAULT_EVENTLOG_URL = "sqlite:///.linksplus/events.db"
AUTH_STYLES = ("basic", "bearer", "raw")
# Omise's Links+ page (docs.omise.co/payment-links-apis) sends the Links+ dashboard's key
# bare, `Authorization: {key}`; the product brief's Basic and Bearer stay selectable.
DEFAULT_AUTH = "raw"
LINE_API_URL = "https://api.line.me"


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str | Iterable[str] | None) -> tuple[list[Network], list[str]]:
    """The networks in a comma-separated list (or a list) of addresses and CIDRs, and the
    entries that are neither."""
    items = value.split(",") if isinstance(value, str) else list(value or ())
    networks, bad = [], []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            bad.append(item)
    return networks, bad


def mask_key(key: str | None) -> str:
    """A key as it may be shown: its prefix and last four characters, never the rest."""
    if not key:
        return "(not set)"
    key = str(key)
    if len(key) <= 8:
        return "•" * len(key)
    prefix = key[: key.find("_", 5) + 1] if key.startswith("skey_") else ""
    return f"{prefix}••••{key[-4:]}"


def key_tail(key: str | None) -> str:
    """The shortest form of a key that still tells keys apart: "••••" and its last four."""
    masked = mask_key(key)
    return "••••" + masked[-4:] if "••••" in masked else masked


@dataclass(frozen=True)
class Settings:
    """The API connection and event-log location; the key is masked in every repr."""

    api_base_url: str = LIVE_BASE_URL
    api_key: str = field(default="", repr=False)
    api_auth: str = DEFAULT_AUTH
    account_country: str = DEFAULT_ACCOUNT_COUNTRY
    eventlog_url: str = DEFAULT_EVENTLOG_URL
    sandbox_url: str | None = None
    users_file: str | None = None
    cookie_key: str = field(default="", repr=False)
    cookie_expiry_days: str = "1"  # days the login cookie keeps a browser logged in; 0: none
    # Addresses and CIDRs, comma-separated: the only peers whose X-Forwarded-For is read.
    trusted_proxies: str = ""
    app_metrics_port: str = ""  # [host:]port of the app's /metrics (README); off when empty
    audit_days: str = "400"  # days the audit log keeps a row; the app removes older ones
    # Paid-link alerts (`linksplus notifier`): the SMTP server (its password never shown),
    # the sender address, LINE's channel access token and API address, and the console's
    # address that the messages link back to.
    smtp_url: str = field(default="", repr=False)
    mail_from: str = ""
    line_channel_token: str = field(default="", repr=False)
    line_api_url: str = LINE_API_URL
    console_url: str = ""

    def __repr__(self) -> str:
        return (
            f"Settings(api_base_url={self.api_base_url!r}, api_key={mask_key(self.api_key)!r}, "
            f"api_auth={self.api_auth!r}, account_country={self.account_country!r}, "
            f"eventlog_url={self.eventlog_url!r})"
        )

    @property
    def environment(self) -> str | None:
        """``live``, ``sandbox``, or None when the settings do not say.

        Omise's own address is ``live``: a Links+ dashboard key carries no test or live
        prefix, so nothing here can tell a test key, and it is live unless the base URL
        says otherwise. Another address with sandbox controls set is the ``sandbox``.
        Another address without them (a proxy, say) is not known either way.
        """
        host = (urlsplit(self.api_base_url).hostname or "").lower()
        if host == "omise.co" or host.endswith(".omise.co"):
            return "live"
        return "sandbox" if self.sandbox_url else None

    def problems(self) -> list[str]:
        """What an admin must set before the product can work, as sentences."""
        out = []
        if not self.api_key:
            out.append(
                _(
                    "No Links+ API key is set. Put `api_key` under `[linksplus]` in "
                    ".streamlit/secrets.toml, or set LINKSPLUS_API_KEY."
                )
            )
        if self.api_auth not in AUTH_STYLES:
            out.append(
                _(
                    "`api_auth` is {value}; it must be one of raw, basic, bearer "
                    "(Settings' connection check tells which one Links+ accepts)."
                ).format(value=repr(self.api_auth))
            )
        try:
            get_account_country(self.account_country)
        except ValueError as exc:
            out.append(f"{exc} " + _("Set `account_country` or LINKSPLUS_ACCOUNT_COUNTRY."))
        if urlsplit(self.api_base_url).scheme not in ("http", "https"):
            out.append(
                _("`api_base_url` ({url}) must start with https://.").format(url=self.api_base_url)
            )
        if not _days(self.cookie_expiry_days):
            out.append(
                _(
                    "`cookie_expiry_days` is {value}; it must be a number of days (for example "
                    "1, or 0.5 for twelve hours; 0 turns the login cookie off)."
                ).format(value=repr(self.cookie_expiry_days))
            )
        if self.audit_keep_days is None:
            out.append(
                _(
                    "`audit_days` is {value}; it must be a whole number of days, at least 1 "
                    "(for example 400)."
                ).format(value=repr(self.audit_days))
            )
        _networks, bad = parse_networks(self.trusted_proxies)
        if bad:
            out.append(
                _(
                    "`trusted_proxies` has {value}, which is not an address or a network; "
                    "list addresses like 10.0.0.5 or networks like 10.0.0.0/24."
                ).format(value=", ".join(repr(b) for b in bad))
            )
        return out

    @property
    def audit_keep_days(self) -> int | None:
        """How many days the audit log keeps a row: `audit_days`, or None when that is
        not a whole number of at least 1 (problems() says so)."""
        try:
            days = int(str(self.audit_days).strip())
        except ValueError:
            return None
        return days if days >= 1 else None

    @property
    def proxy_networks(self) -> list[Network]:
        """The `trusted_proxies` as networks (entries that are neither are left out)."""
        return parse_networks(self.trusted_proxies)[0]

    @classmethod
    def load(
        cls, secrets: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Settings from a ``[linksplus]`` secrets table, overridden by LINKSPLUS_* variables."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        if secrets:
            section = secrets.get("linksplus", secrets)
            values.update({k: section[k] for k in _FIELDS if k in section})
        for name in _FIELDS:
            env = environ.get(f"LINKSPLUS_{name.upper()}")
            if env:
                values[name] = env
        values = {k: _text(v) for k, v in values.items() if v not in (None, "")}
        if "api_auth" in values:
            values["api_auth"] = values["api_auth"].strip().lower()
        if "account_country" in values:
            # A name (Thailand) or any case (TH) is the code (th); anything else is kept as
            # typed, for problems() to name.
            with contextlib.suppress(ValueError):
                values["account_country"] = get_account_country(values["account_country"]).code
        return cls(**values)


def _text(value: Any) -> str:
    # A TOML list (trusted_proxies = ["10.0.0.5", ...]) is kept as the variable's form.
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def _days(value: Any) -> bool:
    try:
        return 0 <= float(value) < 10_000
    except (TypeError, ValueError):
        return False


_FIELDS = (
    "api_base_url",
    "api_key",
    "api_auth",
    "account_country",
    "eventlog_url",
    "sandbox_url",
    "users_file",
    "cookie_key",
    "cookie_expiry_days",
    "trusted_proxies",
    "app_metrics_port",
    "audit_days",
    "smtp_url",
    "mail_from",
    "line_channel_token",
    "line_api_url",
    "console_url",
)
