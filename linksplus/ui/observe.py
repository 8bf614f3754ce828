"""Watching the app run: its log format, its metrics server, and the timing of each page run.

`page_timer` wraps ``page.run()`` in app.py. The first run of the process sets up logging
(LINKSPLUS_LOG_FORMAT: text or json) and, when `app_metrics_port` is set, starts the
metrics server (`linksplus.observability.app_metrics`); each run then counts its session
as active, gives its log lines a request id and records how long the page took.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from streamlit.runtime.scriptrunner import get_script_run_ctx

from linksplus.config import Settings
from linksplus.observability import app_metrics
from linksplus.observability.logs import (
    LOG_FORMAT_ENV,
    REQUEST_ID,
    configure_logging,
    new_request_id,
)
from linksplus.ui.settings import current_settings

log = logging.getLogger(__name__)
_started = False
_start_lock = threading.Lock()


def _start(settings: Settings) -> None:
    fmt = (os.environ.get(LOG_FORMAT_ENV) or "").strip().lower()
    if fmt:
        try:
            configure_logging(fmt)
        except ValueError as exc:
            log.warning("%s: %s; logging stays text", LOG_FORMAT_ENV, exc)
    port = (settings.app_metrics_port or "").strip()
    if not port:
        return
    host, _, number = port.rpartition(":")
    try:
        bound = app_metrics.start_server(int(number), host or "127.0.0.1")
    except (ValueError, OSError) as exc:
        log.warning("app_metrics_port %r: no metrics server (%s)", port, exc)
        return
    log.info("app metrics on http://%s:%d/metrics", host or "127.0.0.1", bound)


def start_once(settings: Settings | None = None) -> None:
    """Set up the log format and the metrics server, the first time in this process."""
    global _started
    if _started:
        return
    with _start_lock:
        if not _started:
            _start(settings or current_settings())
            _started = True


def page_name(page: Any) -> str:
    """A page's label in the metrics: its URL path (a fixed set), ``default`` for the
    page a role lands on."""
    return getattr(page, "url_path", "") or "default"


@contextmanager
def page_timer(page: Any) -> Iterator[None]:
    """Around one run of `page`: its session counted active, its log lines given a
    request id, its time recorded (also when it ends in st.stop or a rerun)."""
    start_once()
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is not None:
        app_metrics.SESSIONS.seen(ctx.session_id)
    token = REQUEST_ID.set(new_request_id())
    started = time.perf_counter()
    try:
        yield
    finally:
        app_metrics.PAGE_SECONDS.labels(page_name(page)).observe(time.perf_counter() - started)
        REQUEST_ID.reset(token)
