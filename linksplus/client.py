"""`LinksPlusClient`: one object for every call to the Links+ API."""

from __future__ import annotations

import base64
import logging
import random
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import Enum
from itertools import count, islice
from typing import Any, TypeVar

import orjson
import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase

from linksplus._version import __version__
from linksplus.config import AUTH_STYLES, LIVE_BASE_URL, mask_key
from linksplus.errors import (
    UNREADABLE_ANSWER,
    APIConnectionError,
    CreateUnconfirmedError,
    LinksPlusError,
    RateLimitError,
    ServerError,
    ValidationError,
    error_from_response,
    factual_message,
    request_id_from,
)
from linksplus.models import Link, Page, Template
from linksplus.validation import link_param_errors

log = logging.getLogger("linksplus.client")

PAGE_SIZE = 100  # Omise caps list pages at 100
# Pages fetched at once. The real service is tens of milliseconds away, so a list's time is
# mostly waiting: 8 requests in flight list 10,000 links in about a seventh of the time of
# one page after another at 40 ms (bench/client_list.py), while staying a small burst.
DEFAULT_CONCURRENCY = 8
# A first page back within this many seconds means the service is near (a local sandbox):
# the time is then CPU, not waiting, and threads only contend for the GIL. Measured listing
# 10,000 links at 0 ms latency (medians of 9, CPU / wall of the client process): 1 worker
# 137 / 214 ms, 2 workers 129 / 178 ms, 8 workers 153 / 206 ms (the plain loop 140 / 211).
# Two workers still overlap our parsing with the service's answering. At 40 ms a page
# the first one takes over 40 ms, so the full concurrency is kept where users feel it.
NEAR_SERVICE = 0.010
NEAR_CONCURRENCY = 2
# After a create with no clear answer, how many of the team's newest pages to search.
CHECK_PAGES = 5
# How far back a made link may be stamped when the service's clock is unknown (no Date
# header): clocks of ordinary machines are within a minute or two of each other.
CLOCK_ALLOWANCE = timedelta(minutes=2)
# A 429 asking for a longer wait than this is raised at once rather than slept through.
MAX_RETRY_AFTER = 30.0
T = TypeVar("T", Link, Template)


class CreateCheck(Enum):
    """What `create_link` tells its `on_check` hook while it makes sure of one link."""

    CHECKING = "checking"  # no clear answer: looking for the link among the newest ones
    FOUND = "found"  # it was made: that link is the answer, no second one is made
    NOT_FOUND = "not_found"  # it was not made: it may be created (once) again


class LinksPlusClient:
    """A client for the Links+ API, scoped by team.

    >>> client = LinksPlusClient(key)                                   # the real service
    >>> client = LinksPlusClient(key, base_url="http://127.0.0.1:8765")  # the sandbox

    `auth` is how the key is sent: ``raw`` (the bare key as the Authorization header, as
    Omise's Links+ page documents; the default), ``basic`` (as the Basic user) or
    ``bearer``. GETs are retried on 5xx, 429 and connection errors up to `max_retries`
    times with exponential backoff and jitter (a 429's Retry-After is honoured). A create
    is never made twice: after an answer that leaves it unknown whether the link was made,
    the client looks for it among the team's newest links before creating it again. List
    pages after the first are fetched with up to `max_concurrency` requests at once over
    one pooled `requests.Session` (proxies, NO_PROXY and CA bundles from the environment,
    as requests reads them); `session` may be given to use another transport.
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = LIVE_BASE_URL,
        auth: str = "raw",
        timeout: float = 10.0,
        max_retries: int = 2,
        max_concurrency: int = DEFAULT_CONCURRENCY,
        backoff: float = 0.25,
        session: requests.Session | None = None,
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
        self._owns_session = session is None
        self._session = session or _pooled_session(self.max_concurrency)
        self._session.auth = _KeyAuth(api_key, auth)
        self._session.headers.update(
            {"User-Agent": f"linksplus-console/{__version__}", "Accept": "application/json"}
        )
        # The service's clock minus ours, in seconds, from the last answer's Date header.
        self._clock_offset: float | None = None
        self._last_date: tuple[str, datetime | None] = ("", None)
        # Proxies (NO_PROXY included) and CA bundle from the environment, as requests reads
        # them, once: every call goes to the one host of base_url, so the answer cannot
        # differ between calls, and `Session.request` would redo it per call (with the
        # proxy lookup in the environment, the largest of requests' own costs per call in a
        # profile of list_links against a local sandbox: about 0.5 ms of ~1.5 ms).
        self._transport = self._session.merge_environment_settings(
            self.base_url, {}, None, None, None
        )
        # A GET prepared once (session headers, auth, hooks), copied per call: preparing
        # from scratch merges settings and runs the auth each time, ~70 us a call.
        self._get_template = self._session.prepare_request(requests.Request("GET", self.base_url))

    def __repr__(self) -> str:
        return (
            f"LinksPlusClient(base_url={self.base_url!r}, auth={self.auth!r}, "
            f"key={mask_key(self._api_key)!r})"
        )

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

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
        made_since: datetime | None = None,
        on_check: Callable[[CreateCheck], None] | None = None,
    ) -> Link:
        """Create a payment link once; `amount` is in minor units of `currency`.

        The parameters are checked first (`ValidationError` names the field). When an
        attempt ends without a clear answer (a timeout or dropped connection after sending,
        a 5xx, an unreadable success), the team's newest links are searched for this one
        (same name, amount, currency, template, usage and note, made since the first
        attempt); only when it is not there is it sent again. `on_check` hears each step
        of that search. `made_since`: an earlier call for the same form ended in an error at
        about that time (UTC), so look for its link before sending anything.

        An Idempotency-Key is sent too (made here when not given, the same on every
        attempt), which spares the search where the service honours it; correctness does
        not depend on it. `CreateUnconfirmedError` when the search itself fails.
        """
        params = _new_link_params(
            template_id=template_id,
            team_id=team_id,
            name=name,
            amount=amount,
            currency=currency,
            multiple_usage=multiple_usage,
            additional=additional,
            custom_webhook=custom_webhook,
        )
        headers = {
            "Idempotency-Key": idempotency_key or str(uuid.uuid4()),
            "Content-Type": "application/json",
        }
        notify = on_check or _ignore
        if made_since is not None:
            found = self._check_created(params, made_since, notify)
            if found is not None:
                return found
        return self._send_create(params, headers, made_since, notify)

    def _send_create(
        self,
        params: dict[str, Any],
        headers: dict[str, str],
        since: datetime | None,
        notify: Callable[[CreateCheck], None],
    ) -> Link:
        """POST a new link until its outcome is clear: resend what is safe to resend, and
        after an answer that leaves it unknown, look for the link (made since `since`, else
        the first attempt) before sending it again."""
        body = orjson.dumps(params)
        attempt = 0
        while True:
            if since is None:
                since = datetime.now(UTC)
            try:
                return Link.from_api(self._call("POST", "/external/links", None, body, headers))
            except LinksPlusError as error:
                unknown = _outcome_unknown(error)
                if not (unknown or _safe_to_resend(error)):
                    raise
                delay = self._retry_delay(error, attempt)
                if delay is not None:
                    # Before a check too: a slow service may still be making the link.
                    self._wait("POST", "/external/links", error, attempt, delay)
                if unknown:
                    found = self._check_created(params, since, notify)
                    if found is not None:
                        return found
                if delay is None:
                    raise
                attempt += 1

    def get_link(self, link_id: int) -> Link:
        """One link by id."""
        return Link.from_api(self._request("GET", f"/external/links/{_id(link_id, 'link_id')}"))

    def list_links(self, team_id: int, *, order: str = "chronological") -> list[Link]:
        """Every link of a team, following the pages to the end."""
        return self._list(f"/external/{_id(team_id, 'team_id')}/links", Link, order)

    def list_all_links(
        self, *, order: str = "chronological", max_links: int | None = None
    ) -> list[Link]:
        """Every link of every team the key can see (``GET /external/links``); with
        `max_links`, only the first that many in `order` (no page past them is asked for)."""
        return self._list("/external/links", Link, order, max_links)

    def links_page(
        self,
        team_id: int,
        *,
        offset: int = 0,
        limit: int = PAGE_SIZE,
        order: str = "reverse_chronological",
    ) -> Page:
        """One page of a team's links, newest first unless `order` says otherwise, with
        the list's envelope (total, from, to, location...)."""
        path = f"/external/{_id(team_id, 'team_id')}/links"
        return self._page(path, offset, order, Link.from_api, limit)

    # -- templates -----------------------------------------------------------------------

    def get_template(self, template_id: int) -> Template:
        """One template by id."""
        path = f"/external/templates/{_id(template_id, 'template_id')}"
        return Template.from_api(self._request("GET", path))

    def list_templates(self, team_id: int, *, order: str = "chronological") -> list[Template]:
        """Every template of a team, following the pages to the end."""
        return self._list(f"/external/{_id(team_id, 'team_id')}/templates", Template, order)

    # -- lists ---------------------------------------------------------------------------

    def iter_pages(
        self,
        path: str,
        *,
        order: str = "chronological",
        parse: Callable[[dict], Any] | None = None,
        max_items: int | None = None,
    ) -> Iterator[list]:
        """The items of each page of a list, in order, each passed through `parse` if given.

        Pages after the first are fetched, and parsed, by up to `max_concurrency` threads
        (two when the first page came back within `NEAR_SERVICE`: the service is local).
        When the answer gives no `total`, pages are fetched until a short one. With
        `max_items`, no page starting at or past that many items is fetched.
        """
        for page in self._pages(path, order, parse, max_items):
            yield page.data

    def _pages(
        self,
        path: str,
        order: str,
        parse: Callable[[dict], Any] | None,
        max_items: int | None = None,
    ) -> Iterator[Page]:
        if order not in ("chronological", "reverse_chronological"):
            raise ValueError("order must be chronological or reverse_chronological")
        bound = max_items if max_items is not None else float("inf")
        started = time.perf_counter()
        first = self._page(path, 0, order, parse)
        near = time.perf_counter() - started < NEAR_SERVICE
        workers = min(NEAR_CONCURRENCY, self.max_concurrency) if near else self.max_concurrency
        yield first
        # The service's own page size, if it capped ours.
        step = first.limit if first.limit and 0 < first.limit <= PAGE_SIZE else PAGE_SIZE
        fetch = lambda offset: self._page(path, offset, order, parse, step)  # noqa: E731
        if first.total is not None:
            offsets = range(step, int(min(first.total, bound)), step)
            if workers == 1 or len(offsets) <= 1:
                yield from map(fetch, offsets)
                return
            with ThreadPoolExecutor(workers, thread_name_prefix="linksplus") as pool:
                yield from pool.map(fetch, offsets)
            return
        if len(first.data) < step or step >= bound:
            return
        # No total: keep `workers` pages ahead in flight until one comes back short.
        offsets = (
            iter(range(step, int(bound), step)) if max_items is not None else count(step, step)
        )
        with ThreadPoolExecutor(workers, thread_name_prefix="linksplus") as pool:
            ahead: deque[Future[Page]] = deque(
                pool.submit(fetch, offset) for offset in islice(offsets, workers)
            )
            try:
                while ahead:
                    page = ahead.popleft().result()
                    yield page
                    if len(page.data) < step:
                        return
                    offset = next(offsets, None)
                    if offset is not None:
                        ahead.append(pool.submit(fetch, offset))
            finally:
                for future in ahead:
                    future.cancel()

    def _page(
        self,
        path: str,
        offset: int,
        order: str,
        parse: Callable[[dict], Any] | None,
        limit: int = PAGE_SIZE,
    ) -> Page:
        params = {"limit": limit, "offset": offset, "order": order}
        return Page.from_api(self._request("GET", path, params=params), parse)

    def _list(self, path: str, model: type[T], order: str, max_items: int | None = None) -> list[T]:
        pages = self.iter_pages(path, order=order, parse=model.from_api, max_items=max_items)
        items = [item for page in pages for item in page]
        return items if max_items is None else items[:max_items]

    # -- the create check ----------------------------------------------------------------

    def _check_created(
        self, params: dict[str, Any], since: datetime, notify: Callable[[CreateCheck], None]
    ) -> Link | None:
        """The link `params` asked for if it was made at or after `since`, else None."""
        notify(CreateCheck.CHECKING)
        try:
            found = self._find_created(params, since)
        except LinksPlusError as exc:
            raise CreateUnconfirmedError(
                f"The create got no clear answer and the check for the link failed: {exc}",
                status=exc.status,
            ) from exc
        notify(CreateCheck.FOUND if found is not None else CreateCheck.NOT_FOUND)
        if found is not None:
            log.info("create without a clear answer: link %s was made; not sending again", found.id)
        return found

    def _find_created(self, params: dict[str, Any], since: datetime) -> Link | None:
        """Search the team's newest links, page by page, back to `since`."""
        team_id = params["team_id"]
        wanted = _Wanted.of(params)
        offset = 0
        for _ in range(CHECK_PAGES):
            page = self.links_page(team_id, offset=offset)
            step = page.limit if page.limit and 0 < page.limit <= PAGE_SIZE else PAGE_SIZE
            offset += step
            start = self._server_time(since)
            if wanted.currency is None:
                wanted = wanted.with_template_currency(self)
            for link in page.data:
                if link.created_at is not None and link.created_at < start:
                    return None  # newest first: everything further is older still
                if wanted.matches(link):
                    return link
            if len(page.data) < step:
                return None
        raise LinksPlusError(f"More than {offset} links were made since the attempt began.")

    def _server_time(self, local: datetime) -> datetime:
        """The earliest time the service's clock may have shown at our `local` time."""
        if self._clock_offset is None:
            return local - CLOCK_ALLOWANCE
        # Date headers and created_at are both whole seconds: one second of slack each.
        return local + timedelta(seconds=self._clock_offset - 2)

    # -- one request ---------------------------------------------------------------------

    def _request(
        self, method: str, path: str, *, params: dict | None = None, json: Any = None
    ) -> Any:
        """Send one call, retrying GETs where it is safe; the decoded JSON, or a
        LinksPlusError. (Creates retry in `create_link`, after making sure.)"""
        body = None if json is None else orjson.dumps(json)
        headers = {"Content-Type": "application/json"} if body is not None else None
        attempt = 0
        while True:
            try:
                return self._call(method, path, params, body, headers)
            except LinksPlusError as error:
                delay = self._retry_delay(error, attempt) if method == "GET" else None
                if delay is None:
                    raise
                self._wait(method, path, error, attempt, delay)
                attempt += 1

    def _call(
        self,
        method: str,
        path: str,
        params: dict | None,
        body: bytes | None,
        headers: dict | None,
    ) -> Any:
        """One request and its decoded answer, once."""
        started = time.perf_counter()
        resp = self._send(method, path, params, body, headers)
        log.debug(
            "%s %s -> %s in %.0f ms",
            method,
            path,
            resp.status_code,
            (time.perf_counter() - started) * 1000,
        )
        self._note_clock(resp)
        return _decode(resp)

    def _send(
        self,
        method: str,
        path: str,
        params: dict | None,
        body: bytes | None,
        headers: dict | None,
    ) -> requests.Response:
        """Put the request on the wire; `APIConnectionError` when no answer came."""
        try:
            if method == "GET" and headers is None and not self._session.cookies:
                prepared = self._get_template.copy()
                prepared.prepare_url(self.base_url + path, params)
            else:  # cookies the service set are sent back, as requests does
                request = requests.Request(
                    method, self.base_url + path, headers, data=body, params=params
                )
                prepared = self._session.prepare_request(request)
            return self._session.send(
                prepared,
                timeout=self.timeout,
                allow_redirects=False,
                **self._transport,
            )
        except requests.RequestException as exc:
            reason = _reason(exc)
            raise APIConnectionError(
                f"No answer from {self.base_url}: {reason}.",
                request_sent=_was_sent(exc),
                url=self.base_url,
                reason=reason,
            ) from exc

    def _note_clock(self, resp: requests.Response) -> None:
        date = resp.headers.get("Date")
        if not date:
            return
        # Date has whole seconds: a list's pages mostly share one, parsed once.
        server = self._last_date[1] if date == self._last_date[0] else _parse_date(date)
        if server is None:
            return
        self._last_date = (date, server)
        self._clock_offset = (server - datetime.now(UTC)).total_seconds()

    def _retry_delay(self, error: LinksPlusError, attempt: int) -> float | None:
        """Seconds to wait before sending again after `error`, or None: do not retry."""
        if attempt >= self.max_retries:
            return None
        if isinstance(error, RateLimitError):
            if error.retry_after is not None:
                return error.retry_after if error.retry_after <= MAX_RETRY_AFTER else None
        elif not isinstance(error, ServerError | APIConnectionError):
            return None
        return backoff_delay(self.backoff, attempt)

    def _wait(
        self, method: str, path: str, error: LinksPlusError, attempt: int, delay: float
    ) -> None:
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


def backoff_delay(base: float, attempt: int, jitter: Callable[[], float] | None = None) -> float:
    """Exponential backoff: `base` doubled per attempt, times a random factor in
    [0.5, 1.5) so that clients failing together do not retry together."""
    return base * (2**attempt) * (jitter or _jitter)()


def _jitter() -> float:
    return random.uniform(0.5, 1.5)


def _new_link_params(
    *,
    template_id: int,
    team_id: int,
    name: str,
    amount: int,
    currency: str | None,
    multiple_usage: bool | None,
    additional: str | None,
    custom_webhook: str | None,
) -> dict[str, Any]:
    """A create's body, the parameters not given left out; `ValidationError` names the
    first field refused."""
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
    return params


def _ignore(_: CreateCheck) -> None:
    pass


@dataclass(frozen=True)
class _Wanted:
    """What a link made from a create request looks like in a list."""

    team_id: int
    template_id: int
    name: str
    amount: int
    currency: str | None  # None: the template's, not known yet (or the template has none)
    multiple_usage: bool
    additional: str | None
    template_checked: bool = False

    @classmethod
    def of(cls, params: dict[str, Any]) -> _Wanted:
        return cls(
            params["team_id"],
            params["template_id"],
            params["name"],
            params["amount"],
            params.get("currency"),
            bool(params.get("multiple_usage", False)),
            params.get("additional") or None,
        )

    def with_template_currency(self, client: LinksPlusClient) -> _Wanted:
        """The currency left out is the template's: learn it (once) to match exactly."""
        if self.template_checked:
            return self
        try:
            currency = client.get_template(self.template_id).currency
        except LinksPlusError:
            currency = None  # then any currency matches: a duplicate is the worse mistake
        return _Wanted(**{**self.__dict__, "currency": currency, "template_checked": True})

    def matches(self, link: Link) -> bool:
        return (
            link.template_id == self.template_id
            and (link.team_id is None or link.team_id == self.team_id)
            and str(link.name).strip() == self.name.strip()
            and link.amount == self.amount
            and (self.currency is None or link.currency == self.currency)
            and link.multiple_usage == self.multiple_usage
            and (link.additional or None) == self.additional
        )


class _KeyAuth(AuthBase):
    """Puts the key in the Authorization header in the chosen style. Set as the session's
    auth, it also keeps requests from replacing the header with a ~/.netrc entry."""

    def __init__(self, api_key: str, style: str):
        if style == "bearer":
            self._header = f"Bearer {api_key}"
        elif style == "raw":
            self._header = api_key
        else:
            self._header = "Basic " + base64.b64encode(f"{api_key}:".encode()).decode()
        self._masked = mask_key(api_key)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._header
        return request

    def __repr__(self) -> str:
        return f"_KeyAuth(key={self._masked!r})"


def _pooled_session(size: int) -> requests.Session:
    """A session keeping up to `size` connections per host alive; retries are the
    client's own (they depend on what was asked), so the adapter makes none."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


_UNREADABLE = object()


def _decode(resp: requests.Response) -> Any:
    """The JSON of a success, or the LinksPlusError an answer stands for."""
    try:
        data = orjson.loads(resp.content)
    except orjson.JSONDecodeError:
        data = _UNREADABLE
    if resp.status_code < 400:
        if data is not _UNREADABLE and resp.status_code < 300:
            return data
        raise ServerError(
            factual_message(resp.status_code, UNREADABLE_ANSWER),
            code=UNREADABLE_ANSWER,
            status=resp.status_code,
            request_id=request_id_from(resp.headers),
        )
    raise error_from_response(resp.status_code, None if data is _UNREADABLE else data, resp.headers)


def _parse_date(date: str) -> datetime | None:
    """An HTTP Date header as an aware datetime, or None when unreadable."""
    try:
        server = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        return None
    return server.replace(tzinfo=UTC) if server.tzinfo is None else server


def _outcome_unknown(error: LinksPlusError) -> bool:
    """Whether a create that failed this way may still have made the link."""
    if isinstance(error, APIConnectionError):
        return error.request_sent
    return isinstance(error, ServerError)


def _safe_to_resend(error: LinksPlusError) -> bool:
    """Whether a create that failed this way certainly made nothing, and may be retried."""
    return isinstance(error, RateLimitError) or (
        isinstance(error, APIConnectionError) and not error.request_sent
    )


def _was_sent(exc: requests.RequestException) -> bool:
    """False when the connection could not even be opened: the request never left."""
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.ProxyError):
        return False
    if isinstance(exc, requests.exceptions.SSLError):
        return False  # the handshake comes before the request
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    return not isinstance(
        reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError
    )


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
    return "connection failed"
