"""`LinksPlusClient`: one object for every call to the Links+ API."""

from __future__ import annotations

import base64
import logging
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import certifi
import orjson
import urllib3
from requests.utils import get_environ_proxies

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

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = LIVE_BASE_URL,
        auth: str = "basic",
        timeout: float = 10.0,
        max_retries: int = 2,
        max_concurrency: int = 4,
        backoff: float = 0.25,
    ):
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
        self._http, self._url_prefix = _connection_pool(self.base_url, self.max_concurrency + 1)
        self._timeout = urllib3.Timeout(connect=timeout, read=timeout)
        self._headers = {
            "User-Agent": f"linksplus-console/{__version__}",
            "Accept": "application/json",
            "Authorization": self._auth_header(),
        }

    def __repr__(self) -> str:
        return (
            f"LinksPlusClient(base_url={self.base_url!r}, auth={self.auth!r}, "
            f"key={mask_key(self._api_key)!r})"
        )

    def close(self) -> None:
        if isinstance(self._http, urllib3.PoolManager):
            self._http.clear()
        else:
            self._http.close()

    def __enter__(self) -> LinksPlusClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- links ---------------------------------------------------------------------------

    def create_link(
        self,
        *,
        template_id: int,
        team_id: int,
        name: str,
        amount: int,
        currency: str | None = None,
        multiple_usage: bool | None = None,
        additional: str | None = None,
        custom_webhook: str | None = None,
        idempotency_key: str | None = None,
    ) -> Link:
        """Create a payment link; `amount` is in minor units of `currency`.

        The parameters are checked first (`ValidationError` names the field). The request
        carries an Idempotency-Key, made here when not given; retries reuse it, so a
        retried create never makes two links. Pass the same key again to get the same link.
        """
        params: dict[str, Any] = {
            "template_id": template_id,
            "team_id": team_id,
            "name": name,
            "amount": amount,
        }
        optional = {
            "currency": currency.lower() if isinstance(currency, str) else currency,
            "multiple_usage": multiple_usage,
            "additional": additional,
            "custom_webhook": custom_webhook or None,
        }
        params.update({k: v for k, v in optional.items() if v is not None})
        errors = link_param_errors(params)
        if errors:
            field, message = next(iter(errors.items()))
            raise ValidationError(field, message)
        key = idempotency_key or str(uuid.uuid4())
        data = self._request(
            "POST", "/external/links", json=params, headers={"Idempotency-Key": key}, retry=True
        )
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

    def iter_pages(
        self, path: str, *, order: str = "chronological", parse: Callable[[dict], Any] | None = None
    ) -> Iterator[list]:
        """The pages of a list, in order, each item passed through `parse` when given.

        Pages after the first are fetched, and parsed, by up to `max_concurrency` threads.
        """
        if order not in ("chronological", "reverse_chronological"):
            raise ValueError("order must be chronological or reverse_chronological")

        def page(offset: int) -> tuple[list, int]:
            body = self._request(
                "GET", path, params={"limit": PAGE_SIZE, "offset": offset, "order": order}
            )
            items = body.get("data") or []
            return (
                [parse(item) for item in items] if parse else items,
                int(body.get("total") or 0),
            )

        items, total = page(0)
        yield items
        offsets = range(PAGE_SIZE, total, PAGE_SIZE)
        if self.max_concurrency == 1 or len(offsets) <= 1:
            for offset in offsets:
                yield page(offset)[0]
            return
        with ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="linksplus") as pool:
            for items, _ in pool.map(page, offsets):
                yield items

    def _list(self, path: str, model: type[T], order: str) -> list[T]:
        return [
            item
            for items in self.iter_pages(path, order=order, parse=model.from_api)
            for item in items
        ]

    def _auth_header(self) -> str:
        if self.auth == "bearer":
            return f"Bearer {self._api_key}"
        if self.auth == "raw":
            return self._api_key
        return "Basic " + base64.b64encode(f"{self._api_key}:".encode()).decode()

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json: dict | None = None,
        headers: dict | None = None,
        retry: bool | None = None,
    ) -> Any:
        """Send one call, retrying where it is safe; the decoded JSON, or a LinksPlusError."""
        retry = method == "GET" if retry is None else retry
        url = self._url_prefix + path + ("?" + urlencode(params) if params else "")
        all_headers = {**self._headers, **(headers or {})}
        body = None
        if json is not None:
            body = orjson.dumps(json)
            all_headers["Content-Type"] = "application/json"
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                resp = self._http.urlopen(
                    method,
                    url,
                    body=body,
                    headers=all_headers,
                    timeout=self._timeout,
                    retries=False,
                    redirect=False,
                )
            except urllib3.exceptions.HTTPError as exc:
                error: LinksPlusError = APIConnectionError(
                    f"Could not reach Links+ at {self.base_url} ({_reason(exc)}). Check the "
                    "connection and try again."
                )
            else:
                log.debug(
                    "%s %s -> %s in %.0f ms",
                    method,
                    path,
                    resp.status,
                    (time.perf_counter() - started) * 1000,
                )
                try:
                    data = orjson.loads(resp.data)
                except orjson.JSONDecodeError:
                    data = _UNREADABLE
                if resp.status < 400 and data is not _UNREADABLE:
                    return data
                if resp.status < 400:
                    error = ServerError(
                        "Links+ sent an answer that could not be read. "
                        "Please try again in a minute.",
                        status=resp.status,
                    )
                else:
                    error = error_from_response(resp.status, data)
            retryable = isinstance(error, (ServerError, APIConnectionError))
            if not (retry and retryable and attempt < self.max_retries):
                raise error
            delay = self.backoff * (2**attempt) * random.uniform(0.5, 1.5)
            log.info(
                "%s %s failed (%s); retry %d of %d in %.2f s",
                method,
                path,
                error.code,
                attempt + 1,
                self.max_retries,
                delay,
            )
            time.sleep(delay)
            attempt += 1


_UNREADABLE = object()


def _connection_pool(base_url: str, size: int) -> tuple[Any, str]:
    """Keep-alive connections for `base_url`, and the prefix to put before a request path.

    Honours the proxy (with NO_PROXY) and CA-bundle variables. The client speaks urllib3
    (requests' own engine) directly, and without a proxy to the host's own connection pool:
    paging is bound by the client's cost per request, and this halves it.
    """
    ca_bundle = (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or certifi.where()
    )
    options = {"maxsize": size, "block": False, "cert_reqs": "CERT_REQUIRED", "ca_certs": ca_bundle}
    proxies = get_environ_proxies(base_url)
    parts = urlsplit(base_url)
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if proxy:
        return urllib3.ProxyManager(proxy, **options), base_url
    pool = urllib3.PoolManager(**options).connection_from_url(base_url)
    return pool, parts.path.rstrip("/")


def _id(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            return int(str(value), 10)
        except ValueError:
            raise ValidationError(name, f'"{name}" must be a number.') from None
    return value


def _reason(exc: urllib3.exceptions.HTTPError) -> str:
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return "timed out"
    return "connection failed"
