"""`LinksPlusClient`: one object for every call to the Links+ API."""

from __future__ import annotations

import base64
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter

from linksplus import __version__
from linksplus.config import AUTH_STYLES, LIVE_BASE_URL, mask_key
from linksplus.errors import (
    APIConnectionError,
    LinksPlusError,
    ServerError,
    ValidationError,
    error_from_response,
)
from linksplus.models import Link, Template
from linksplus.validation import link_param_errors

log = logging.getLogger("linksplus.client")

PAGE_SIZE = 100  # Omise caps list pages at 100
T = TypeVar("T", Link, Template)


class LinksPlusClient:
    """A client for the Links+ API, scoped by team.

    >>> client = LinksPlusClient("skey_test_...")             # the real service
    >>> client = LinksPlusClient(key, base_url="http://127.0.0.1:8765")  # the sandbox

    `auth` is how the key is sent: ``basic`` (as the Basic user), ``bearer``, or ``raw``
    (the bare key as the Authorization header, as Omise's Links+ page shows). GETs are
    retried on 5xx and connection errors up to `max_retries` times with exponential
    backoff and jitter; creates are retried only with the same Idempotency-Key. List pages
    after the first are fetched with up to `max_concurrency` requests at once.
    """

    def __init__(self, api_key: str, *, base_url: str = LIVE_BASE_URL, auth: str = "basic",
                 timeout: float = 10.0, max_retries: int = 2, max_concurrency: int = 4,
                 backoff: float = 0.25, session: requests.Session | None = None):
        if not api_key:
            raise ValueError("api_key is required")
        if auth not in AUTH_STYLES:
            raise ValueError(f"auth must be one of {', '.join(AUTH_STYLES)}, not {auth!r}")
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.timeout = timeout
        self.max_retries = max(0, int(max_retries))
        self.max_concurrency = max(1, int(max_concurrency))
        self.backoff = backoff
        self._session = session or requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=self.max_concurrency + 1)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers["User-Agent"] = f"linksplus-console/{__version__}"

    def __repr__(self) -> str:
        return (f"LinksPlusClient(base_url={self.base_url!r}, auth={self.auth!r}, "
                f"key={mask_key(self._api_key)!r})")

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> LinksPlusClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- links ---------------------------------------------------------------------------

    def create_link(self, *, template_id: int, team_id: int, name: str, amount: int,
                    currency: str | None = None, multiple_usage: bool | None = None,
                    additional: str | None = None, custom_webhook: str | None = None,
                    idempotency_key: str | None = None) -> Link:
        """Create a payment link; `amount` is in minor units of `currency`.

        The parameters are checked first (`ValidationError` names the field). The request
        carries an Idempotency-Key, made here when not given; retries reuse it, so a
        retried create never makes two links. Pass the same key again to get the same link.
        """
        params: dict[str, Any] = {"template_id": template_id, "team_id": team_id,
                                  "name": name, "amount": amount}
        optional = {"currency": currency.lower() if isinstance(currency, str) else currency,
                    "multiple_usage": multiple_usage, "additional": additional,
                    "custom_webhook": custom_webhook or None}
        params.update({k: v for k, v in optional.items() if v is not None})
        errors = link_param_errors(params)
        if errors:
            field, message = next(iter(errors.items()))
            raise ValidationError(field, message)
        key = idempotency_key or str(uuid.uuid4())
        data = self._request("POST", "/external/links", json=params,
                             headers={"Idempotency-Key": key}, retry=True)
        return Link.from_api(data)

    def get_link(self, link_id: int) -> Link:
        """One link by id."""
        return Link.from_api(self._request("GET", f"/external/links/{_id(link_id, 'link_id')}"))

    def list_links(self, team_id: int, *, order: str = "chronological") -> list[Link]:
        """Every link of a team, following the pages to the end."""
        return self._list(f"/external/{_id(team_id, 'team_id')}/links", Link, order)

    def list_all_links(self, *, order: str = "chronological") -> list[Link]:
        """Every link of every team the key can see (``GET /external/links``)."""
        return self._list("/external/links", Link, order)

    # -- templates -----------------------------------------------------------------------

    def get_template(self, template_id: int) -> Template:
        """One template by id."""
        path = f"/external/templates/{_id(template_id, 'template_id')}"
        return Template.from_api(self._request("GET", path))

    def list_templates(self, team_id: int, *, order: str = "chronological") -> list[Template]:
        """Every template of a team, following the pages to the end."""
        return self._list(f"/external/{_id(team_id, 'team_id')}/templates", Template, order)

    # -- plumbing ------------------------------------------------------------------------

    def iter_pages(self, path: str, *, order: str = "chronological") -> Iterator[list[dict]]:
        """The raw pages of a list, in order; pages after the first fetched concurrently."""
        if order not in ("chronological", "reverse_chronological"):
            raise ValueError("order must be chronological or reverse_chronological")

        def page(offset: int) -> dict:
            return self._request("GET", path,
                                 params={"limit": PAGE_SIZE, "offset": offset, "order": order})

        first = page(0)
        yield first.get("data", [])
        total = int(first.get("total") or 0)
        offsets = range(PAGE_SIZE, total, PAGE_SIZE)
        if not offsets:
            return
        if self.max_concurrency == 1 or len(offsets) == 1:
            for offset in offsets:
                yield page(offset).get("data", [])
            return
        with ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="linksplus") as pool:
            for result in pool.map(page, offsets):
                yield result.get("data", [])

    def _list(self, path: str, model: type[T], order: str) -> list[T]:
        parse: Callable[[dict], T] = model.from_api
        return [parse(item) for data in self.iter_pages(path, order=order) for item in data]

    def _auth_header(self) -> str:
        if self.auth == "bearer":
            return f"Bearer {self._api_key}"
        if self.auth == "raw":
            return self._api_key
        return "Basic " + base64.b64encode(f"{self._api_key}:".encode()).decode()

    def _request(self, method: str, path: str, *, params: dict | None = None,
                 json: dict | None = None, headers: dict | None = None,
                 retry: bool | None = None) -> Any:
        """Send one call, retrying where it is safe; the decoded JSON, or a LinksPlusError."""
        retry = method == "GET" if retry is None else retry
        url = self.base_url + path
        all_headers = {"Authorization": self._auth_header(), "Accept": "application/json"}
        all_headers.update(headers or {})
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                resp = self._session.request(method, url, params=params, json=json,
                                             headers=all_headers, timeout=self.timeout)
            except requests.RequestException as exc:
                error: LinksPlusError = APIConnectionError(
                    f"Could not reach Links+ at {self.base_url} ({_reason(exc)}). Check the "
                    "connection and try again.")
            else:
                log.debug("%s %s -> %s in %.0f ms", method, path, resp.status_code,
                          (time.perf_counter() - started) * 1000)
                if resp.status_code < 400:
                    try:
                        return resp.json()
                    except ValueError:
                        error = ServerError("Links+ sent an answer that could not be read. "
                                            "Please try again in a minute.",
                                            status=resp.status_code)
                else:
                    try:
                        body = resp.json()
                    except ValueError:
                        body = None
                    error = error_from_response(resp.status_code, body)
            retryable = isinstance(error, (ServerError, APIConnectionError))
            if not (retry and retryable and attempt < self.max_retries):
                raise error
            delay = self.backoff * (2**attempt) * random.uniform(0.5, 1.5)
            log.info("%s %s failed (%s); retry %d of %d in %.2f s", method, path,
                     error.code, attempt + 1, self.max_retries, delay)
            time.sleep(delay)
            attempt += 1


def _id(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            return int(str(value), 10)
        except ValueError:
            raise ValidationError(name, f'"{name}" must be a number.') from None
    return value


def _reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed"
    return type(exc).__name__
