"""The app's own figures and the small HTTP server that shows them to Prometheus.

Streamlit serves no metrics of its own, and the app's figures live in the Streamlit
process, so that process serves them: `start_server` starts prometheus-client's server
on its own port (LINKSPLUS_APP_METRICS_PORT / `app_metrics_port`; off unless set), once
per process, bound to 127.0.0.1 unless told otherwise. The figures:

- ``linksplus_app_active_sessions``: browser sessions that ran the script in the last
  ACTIVE_WINDOW seconds;
- ``linksplus_app_page_seconds{page}``: how long each run of a page took;
- ``linksplus_app_api_calls_total{method}`` and ``linksplus_app_api_errors_total{kind}``:
  requests sent to Links+ (each retry too), and those that failed, by kind.
"""

from __future__ import annotations

import threading
import time

import requests
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    start_http_server,
)
from requests.adapters import HTTPAdapter

from linksplus.errors import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    LinksPlusError,
    NotFoundError,
    RateLimitError,
    ServerError,
)

disable_created_metrics()  # see receiver_metrics

ACTIVE_WINDOW = 300.0
PAGE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60)
TIMEOUT = "timeout"

REGISTRY = CollectorRegistry()
PAGE_SECONDS = Histogram(
    "linksplus_app_page_seconds",
    "Seconds one run of a page's script took (each rerun is a run), by page.",
    ["page"],
    buckets=PAGE_BUCKETS,
    registry=REGISTRY,
)
API_CALLS = Counter(
    "linksplus_app_api_calls",
    "Requests the app sent to the Links+ API (a retry is another), by HTTP method.",
    ["method"],
    registry=REGISTRY,
)
API_ERRORS = Counter(
    "linksplus_app_api_errors",
    "Links+ API requests that failed, by kind: the error's code (bad_request, "
    "authentication_failure, not_found, too_many_requests, internal_error, error) or "
    "connection_error / timeout when no answer came.",
    ["kind"],
    registry=REGISTRY,
)
ProcessCollector(registry=REGISTRY)

# Kinds by status, as `errors.error_from_response` classifies: a bounded label set (the
# service's own code is free text and is not used).
_KINDS: dict[int, type[LinksPlusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    404: NotFoundError,
    429: RateLimitError,
}


def error_kind(status: int) -> str:
    """The kind of an error answer with HTTP `status` (400 and above)."""
    if status >= 500:
        return ServerError.default_code
    return _KINDS.get(status, LinksPlusError).default_code


class _Sessions:
    """Sessions by when each last ran the script; the gauge counts the recent ones."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def seen(self, session_id: str) -> None:
        with self._lock:
            self._seen[session_id] = time.monotonic()

    def active(self) -> int:
        cutoff = time.monotonic() - ACTIVE_WINDOW
        with self._lock:
            for session_id in [s for s, at in self._seen.items() if at < cutoff]:
                del self._seen[session_id]
            return len(self._seen)


SESSIONS = _Sessions()
Gauge(
    "linksplus_app_active_sessions",
    f"Browser sessions that ran a page in the last {ACTIVE_WINDOW:g} seconds.",
    registry=REGISTRY,
).set_function(SESSIONS.active)


class CountingSession(requests.Session):
    """A requests session that counts every request it sends, and each failure by kind.

    Given to `LinksPlusClient(session=...)`: the client's transport, so every call and
    retry is counted in plain Python, whatever asked for it.
    """

    def __init__(self, pool_size: int = 8):
        super().__init__()
        # As the client's own session: pooled connections, no retries of the adapter's.
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        API_CALLS.labels(request.method or "GET").inc()
        try:
            response = super().send(request, **kwargs)
        except requests.Timeout:
            API_ERRORS.labels(TIMEOUT).inc()
            raise
        except requests.RequestException:
            API_ERRORS.labels(APIConnectionError.default_code).inc()
            raise
        if response.status_code >= 400:
            API_ERRORS.labels(error_kind(response.status_code)).inc()
        return response


_server_lock = threading.Lock()
_server_port: int | None = None


def start_server(port: int, addr: str = "127.0.0.1") -> int:
    """Serve REGISTRY at http://addr:port/metrics from a thread, once per process (later
    calls return the port of the first); the port actually bound (0 picks a free one).
    OSError when the port is taken."""
    global _server_port
    with _server_lock:
        if _server_port is None:
            server, _thread = start_http_server(port, addr, registry=REGISTRY)
            _server_port = server.server_address[1]
        return _server_port


def server_port() -> int | None:
    """The port the metrics server of this process listens on, or None."""
    return _server_port
