"""Links+ Console's shared library: the Links+ API client, money, the webhook receiver and
event log, and a local sandbox of the Links+ service. No Streamlit here."""

__version__ = "0.1.0"

from linksplus.client import LinksPlusClient
from linksplus.errors import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    LinksPlusError,
    NotFoundError,
    ServerError,
    ValidationError,
)
from linksplus.models import Link, Template

__all__ = [
    "APIConnectionError",
    "AuthenticationError",
    "BadRequestError",
    "Link",
    "LinksPlusClient",
    "LinksPlusError",
    "NotFoundError",
    "ServerError",
    "Template",
    "ValidationError",
    "__version__",
]
