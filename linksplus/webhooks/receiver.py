"""The webhook receiver: an ASGI app that records Links+ payment events exactly once.

``POST /webhooks/linksplus`` reads the body (refusing more than 64 KiB) and hands the
delivery to the receiver's worker process, which checks its signature (when a secret is
set) and payload and commits the deliveries of each loop turn together; the answer comes
only once the row is committed: 200 ``accepted`` (new) or 200 ``duplicate`` (already
stored: the same payment comes from the system, dashboard and custom webhooks, and from
retries). Rejections answer 400 (malformed, invalid, or a value no database can store;
the JSON names the field), 401 (signature), 413 (over 64 KiB), and 503 when the database
cannot take the event (the sender retries later; the worker lives on). Every attempt goes
to the delivery log. ``GET /healthz`` reports whether a write through the worker commits
and deliveries do; ``GET /metrics`` has the figures (Prometheus); ``GET /openapi.json``
describes all of it. Each answer's X-Request-Id is on the lines logged while serving it.
The HTTP server's own limits (431, 408, 503: header size and time, body time, connections)
are `limits`. ``/webhooks/linksplus/<source>`` (system, dashboard, custom): the same, logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from typing import Any

import uvicorn
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from linksplus.config import DEFAULT_EVENTLOG_URL
from linksplus.eventlog import EventLog
from linksplus.eventlog.audit import SOURCES, tag_remote
from linksplus.eventlog.ingest import WriteCheck, rejected_write
from linksplus.eventlog.schema import events
from linksplus.observability.logs import REQUEST_ID, new_request_id
from linksplus.observability.receiver_metrics import CONTENT_TYPE_LATEST, ReceiverMetrics
from linksplus.webhooks.delivery import Delivery, Rejection, WorkerError
from linksplus.webhooks.limits import KEEP_ALIVE_TIMEOUT, Limits, connection_limit, guarded_protocol
from linksplus.webhooks.openapi import OPENAPI, OPENAPI_PATH
from linksplus.webhooks.payload import MAX_BODY_BYTES
from linksplus.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, decode_secret
from linksplus.webhooks.worker import WebhookWorker

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/linksplus"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
# The two answers of the hot path, built once: a Response holds no per-request state.
_ACCEPTED = Response(b'{"status":"accepted"}', media_type="application/json")
_DUPLICATE = Response(b'{"status":"duplicate"}', media_type="application/json")
_NO_SUCH_PATH = JSONResponse(
    {"status": "rejected", "reason": f"no such webhook path; use one of {', '.join(SOURCES)}"},
    status_code=404,
)


def rejection_response(rejection: Rejection) -> JSONResponse:
    """What a refused sender is told: the reason, and the field when one is to blame."""
    content: dict[str, Any] = {"status": "rejected", "reason": rejection.reason}
    if rejection.field:
        content["field"] = rejection.field
    # A body refused before it was read in full ends the connection: what is left of it
    # would otherwise be read as the next request.
    headers = {"Connection": "close"} if rejection.status == 413 else None
    return JSONResponse(content, status_code=rejection.status, headers=headers)


def parse_secrets(secret: str | None) -> list[str]:
    """The configured secrets: several, comma-separated, while one is being rotated.

    ValueError when one is not base64, so a typo stops the receiver at start, not later.
    """
    secrets = [s.strip() for s in (secret or "").split(",") if s.strip()]
    for value in secrets:
        decode_secret(value)
    return secrets


_CONTENT_LENGTH = b"content-length"
_SIGNATURE = SIGNATURE_HEADER.lower().encode()
_TIMESTAMP = TIMESTAMP_HEADER.lower().encode()


def _headers(scope: dict) -> tuple[str | None, str | None, str | None]:
    """Content-Length (the first), Omise-Signature-Timestamp and Omise-Signature (the last,
    as `signing.verify` reads them) from the ASGI scope, in one pass over the raw list.

    ASGI servers give header names in lower case; values are decoded as Starlette does.
    """
    length = ts = sig = None
    for name, value in scope["headers"]:
        if name == _CONTENT_LENGTH:
            if length is None:
                length = value.decode("latin-1")
        elif name == _TIMESTAMP:
            ts = value.decode("latin-1")
        elif name == _SIGNATURE:
            sig = value.decode("latin-1")
    return length, ts, sig


async def read_body(
    request: Request, limit: int = MAX_BODY_BYTES, *, declared: str | None = None
) -> bytes:
    """The request body, refused (413) as soon as it is known to exceed `limit` bytes.

    Content-Length is checked first (`declared`, else read from the request), then the
    bytes actually streamed, since a sender may use chunked encoding or announce less than
    it sends. A body that does not come is the server's to end (`limits`: 408).
    """
    if declared is None:
        declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise Rejection(400, "Content-Length is not a number") from None
        if size > limit:
            raise Rejection(413, f"body larger than {limit} bytes")
    # ASGI messages read directly: Request.stream() adds an async generator per request.
    chunks, size, more = [], 0, True
    while more:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise Rejection(413, f"body larger than {limit} bytes")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


class RequestIds:
    """ASGI middleware: a fresh id per request, set as `REQUEST_ID` while it is served (so
    every log line meanwhile carries it) and sent back as its X-Request-Id header."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: dict) -> None:
            if message["type"] == "http.response.start":
                # A new list: the prepared answers' header lists are shared by every request.
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        token = REQUEST_ID.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)


def _warn_if_unlogged(written: asyncio.Future) -> None:
    if not written.cancelled() and written.exception() is not None:
        log.warning("could not write to the delivery log: %s", written.exception())


# /healthz checks at most this often, however often it is asked.
HEALTH_CACHE_SECONDS = 1.0
HEALTH_TIMEOUT = 5.0
# A delivery that could not be stored keeps /healthz at 503 until one is stored, or until
# this long passes without another failing (a sender backing off sends nothing to clear it).
FAILED_DELIVERY_SECONDS = 60.0


class HealthCheck:
    """What /healthz says: the event log read from this process, a write through the
    worker, the path deliveries take (`WriteCheck`: not read-only, locked, full, or an
    SQLite file deleted or replaced), and how the last delivery's write went: a full disk
    can take the check's one-row write and still refuse deliveries. All must work for
    "ok"."""

    def __init__(self, event_log: EventLog, worker: WebhookWorker):
        self._event_log, self._worker = event_log, worker
        self._lock = asyncio.Lock()
        self._report: dict[str, Any] | None = None
        self._at = 0.0
        self._failed: str | None = None  # the last delivery's error, while it stands
        self._failed_at = 0.0

    def delivery_stored(self) -> None:
        """A delivery's write committed: deliveries work again."""
        self._failed = None

    def delivery_failed(self, error: str) -> None:
        """A delivery could not be stored (answered 503)."""
        self._failed, self._failed_at = error, time.monotonic()

    async def report(self) -> dict[str, Any]:
        """The latest check, made afresh when older than HEALTH_CACHE_SECONDS, with the
        last delivery's failure (as it is now, not cached)."""
        async with self._lock:  # callers meanwhile wait for this check, not their own
            if self._report is None or time.monotonic() - self._at >= HEALTH_CACHE_SECONDS:
                self._report = await self._check()
                self._at = time.monotonic()
            report = self._report
        failed = self._failed
        if failed is not None and time.monotonic() - self._failed_at < FAILED_DELIVERY_SECONDS:
            error = f"deliveries fail: {failed}"[:300]
            if report["ok"]:
                report = {**report, "ok": False, "error": error}
            else:
                report = {**report, "error": f"{report.get('error')}; {error}"[:600]}
        return report

    async def _check(self) -> dict[str, Any]:
        report = await run_in_threadpool(self._event_log.health)
        try:
            await asyncio.wait_for(self._worker.submit(WriteCheck()), HEALTH_TIMEOUT)
        except (WorkerError, RuntimeError, TimeoutError) as exc:
            report = {**report, "ok": False, "error": f"writes fail: {exc}"[:300]}
        return report


def create_app(
    eventlog_or_url: EventLog | str | None = None,
    secret: str | None = None,
    *,
    log_format: str = "text",
) -> Starlette:
    """The receiver as an ASGI app, recording into an EventLog or the log at a URL.

    An EventLog made here from a URL is closed when the app shuts down; one passed in is
    left to its owner. `secret`: base64, several comma-separated during a rotation; None
    accepts unsigned events (a warning is logged). `log_format` is the worker's (text or
    json; this process's logging is its runner's to set up).
    """
    owns_log = not isinstance(eventlog_or_url, EventLog)
    event_log = EventLog(eventlog_or_url or DEFAULT_EVENTLOG_URL) if owns_log else eventlog_or_url
    metrics = ReceiverMetrics()
    # Checks and writes happen in the worker process; this process reads and answers.
    worker = WebhookWorker(
        event_log.url, _checked_secrets(secret), log_format=log_format, observer=metrics
    )
    health = HealthCheck(event_log, worker)
    deliver = _delivery_endpoint(worker, health, metrics)
    app = Starlette(
        routes=[
            Route(WEBHOOK_PATH, deliver, methods=["POST"]),
            # One path per webhook (system, dashboard, custom): the log can say which.
            Route(WEBHOOK_PATH + "/{source}", deliver, methods=["POST"]),
            Route(HEALTH_PATH, _health_endpoint(health), methods=["GET"]),
            Route(METRICS_PATH, _metrics_endpoint(health, metrics), methods=["GET"]),
            Route(OPENAPI_PATH, _openapi, methods=["GET"]),
        ],
        middleware=[Middleware(RequestIds)],
        lifespan=_lifespan(event_log, worker, owns_log, metrics),
    )
    app.state.eventlog = event_log
    app.state.worker = worker
    app.state.metrics = metrics
    return app


def _checked_secrets(secret: str | None) -> list[str]:
    """The signing secrets; without any, a warning that unsigned events are accepted."""
    secrets = parse_secrets(secret)
    if not secrets:
        log.warning(
            "No webhook secret is set: UNSIGNED events are accepted. Set "
            "--secret (or LINKSPLUS_WEBHOOK_SECRET) to check Omise-Signature."
        )
    return secrets


def _refused(rejection: Rejection, remote: str, metrics: ReceiverMetrics) -> JSONResponse:
    """Count and log a refusal, and the answer that tells the sender why."""
    metrics.refused(rejection.status)
    log.info("refused a delivery from %s (%d): %s", remote, rejection.status, rejection.reason)
    return rejection_response(rejection)


def _delivery_endpoint(
    worker: WebhookWorker, health: HealthCheck, metrics: ReceiverMetrics
) -> Callable[[Request], Awaitable[Response]]:
    """``POST /webhooks/linksplus``: read the delivery, have the worker check and commit it,
    answer what became of it."""

    async def receive(request: Request) -> Response:
        scope = request.scope
        client = scope.get("client")
        # Set even when unknown (a Unix socket): with a remote, a duplicate is logged too.
        remote = client[0] if client else "unknown"
        source = request.path_params.get("source")
        if source is not None:
            if source not in SOURCES:
                metrics.refused(404)
                return _NO_SUCH_PATH
            remote = tag_remote(remote, source)
        received_at = time.time()
        try:
            length, ts, sig = _headers(scope)
            body = await read_body(request, declared=length)
        except Rejection as rejection:  # too large: refused before it is read in full
            with contextlib.suppress(RuntimeError):  # the worker is closing: shutting down
                # Logged without waiting: a refusal need not wait for a commit.
                worker.submit(rejected_write(rejection.reason, None, remote)).add_done_callback(
                    _warn_if_unlogged
                )
            return _refused(rejection, remote, metrics)
        except ClientDisconnect:
            metrics.refused(None)
            return Response(status_code=400)
        try:
            # Checked and committed by the worker; the loop serves others meanwhile.
            new = await worker.submit(Delivery(body, ts, sig, remote, received_at))
        except Rejection as rejection:
            return _refused(rejection, remote, metrics)
        except Exception as exc:
            log.error("could not record a delivery from %s: %s", remote, exc)
            health.delivery_failed(str(exc))
            metrics.failed()
            return JSONResponse(
                {"status": "error", "reason": "the event log is unavailable; retry later"},
                status_code=503,
            )
        health.delivery_stored()
        if new:
            metrics.stored(received_at)
            return _ACCEPTED
        metrics.duplicate()
        return _DUPLICATE

    return receive


def _health_endpoint(health: HealthCheck) -> Callable[[Request], Awaitable[Response]]:
    """``GET /healthz``: 200 when a write through the worker commits, else 503."""

    async def healthz(request: Request) -> Response:
        report = await health.report()
        return JSONResponse(
            {"status": "ok" if report["ok"] else "unavailable", "database": report},
            status_code=200 if report["ok"] else 503,
        )

    return healthz


def _metrics_endpoint(
    health: HealthCheck, metrics: ReceiverMetrics
) -> Callable[[Request], Awaitable[Response]]:
    """``GET /metrics``: the figures in Prometheus's text format, health checked as
    /healthz checks it (at most once a second, however often either is asked)."""

    async def metrics_text(request: Request) -> Response:
        report = await health.report()
        return Response(metrics.exposition(report["ok"]), media_type=CONTENT_TYPE_LATEST)

    return metrics_text


def _newest_received(event_log: EventLog) -> float | None:
    """When the newest stored event was received, as Unix time; None when none is, or the
    database cannot say now."""
    try:
        with event_log.engine.connect() as conn:
            newest = conn.execute(select(func.max(events.c.received_at))).scalar()
    except Exception as exc:  # the lifespan warns of an unreachable database already
        log.debug("could not read the newest event's time: %s", exc)
        return None
    return newest.timestamp() if newest is not None else None


def _openapi(request: Request) -> Response:
    return JSONResponse(OPENAPI)


def _lifespan(
    event_log: EventLog, worker: WebhookWorker, owns_log: bool, metrics: ReceiverMetrics
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """Start: make the schema (warning when the database is down) and the worker. Stop:
    wait for what the worker holds, then close the log if the app made it."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Make the schema now rather than on the first delivery, and say if the DB is down.
        health = await run_in_threadpool(event_log.health)
        if not health["ok"]:
            log.warning(
                "the event log is not reachable yet (%s); deliveries get 503 until it is",
                health.get("error"),
            )
        else:  # the newest event's time survives a restart of the receiver
            newest = await run_in_threadpool(_newest_received, event_log)
            if newest is not None:
                metrics.event_received(newest)
        worker.start()
        try:
            yield
        finally:
            # Deliveries answered so far are committed; wait for any still in the worker.
            await worker.aclose()
            if owns_log:
                await run_in_threadpool(event_log.close)

    return lifespan


def run(
    app: Any,
    host: str,
    port: int,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    *,
    limits: Limits | None = None,
    log_format: str = "text",
) -> None:
    """Serve an ASGI app with the receiver's uvicorn settings (the bench's no-op uses it too).

    No access log: the delivery log records every attempt, and a line per request would
    cost a large share of the receiver's time. The HTTP protocol is uvicorn's httptools
    one behind the guard of `limits` (header size, header and body time, connections in
    all and per address); idle connections close after KEEP_ALIVE_TIMEOUT seconds. In the
    ``json`` log format uvicorn's own lines go to the root logger's JSON handler (set up by
    the caller, `configure_logging`) instead of uvicorn's text handlers.
    """
    limits = limits or Limits()
    limits = replace(limits, max_connections=connection_limit(limits.max_connections))
    logging_config = {} if log_format == "text" else {"log_config": None}
    metrics = getattr(getattr(app, "state", None), "metrics", None)  # none on the bench's
    uvicorn.run(
        app,
        host=host,
        port=port,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        access_log=False,
        log_level="info",
        **logging_config,
        timeout_graceful_shutdown=10,
        http=guarded_protocol(limits, on_refused=metrics and metrics.refused_at_the_door),
        timeout_keep_alive=KEEP_ALIVE_TIMEOUT,
    )


def serve(
    host: str = "127.0.0.1",
    port: int = 8766,
    db_url: str | None = None,
    secret: str | None = None,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    *,
    limits: Limits | None = None,
    log_format: str = "text",
) -> None:
    """Run the receiver until interrupted (``linksplus webhooks``); `log_format` is the
    worker's and uvicorn's (this process's root logger is the caller's to set up)."""
    url = db_url or DEFAULT_EVENTLOG_URL
    try:
        app = create_app(url, secret, log_format=log_format)
    except ValueError as exc:  # a secret that is not base64, or an unsupported URL
        raise SystemExit(f"linksplus webhooks: {exc}") from None
    scheme = "https" if ssl_certfile else "http"
    shown = app.state.eventlog.engine.url.render_as_string(hide_password=True)
    banner = (
        f"Links+ webhook receiver listening on {scheme}://{host}:{port}{WEBHOOK_PATH} "
        f"(event log: {shown})"
    )
    if log_format == "text":
        print(banner, flush=True)
    else:  # every line of the process is a JSON object
        log.info("%s", banner)
    # This process is the receiver and nothing else: what was loaded to get here (about
    # 100,000 objects) lives as long as it does. Frozen, the collector stops walking it on
    # every full collection, which deliveries waiting for their commit make frequent.
    gc.collect()
    gc.freeze()
    run(app, host, port, ssl_certfile, ssl_keyfile, limits=limits, log_format=log_format)
