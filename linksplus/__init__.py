"""Links+ Console's shared library: the Links+ API client, money, the webhook receiver and
event log, and a local sandbox of the Links+ service. No Streamlit here."""

from linksplus._version import __version__
from linksplus.client import LinksPlusClient
from linksplus.errors import (
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
from linksplus.models import Link, Page, Template

__all__ = [
    "APIConnectionError",
    "AuthenticationError",
    "BadRequestError",
    "CreateUnconfirmedError",
    "Link",
    "LinksPlusClient",
    "LinksPlusError",
    "NotFoundError",
    "Page",
    "RateLimitError",
    "ServerError",
    "Template",
    "ValidationError",
    "__version__",
]
