"""Log lines as readable text (the default) or one JSON object a line.

A JSON line holds ``time`` (ISO 8601, UTC), ``level``, ``logger``, ``message`` and
``request_id`` (the request being served, or null), plus ``exception`` when one is logged.
The request id is a context variable: the receiver sets it per delivery and the app per
page run, and every line logged meanwhile, by any module, carries it.
"""

from __future__ import annotations

import json
import logging
import secrets
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TextIO

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_FORMAT_ENV = "LINKSPLUS_LOG_FORMAT"

REQUEST_ID: ContextVar[str | None] = ContextVar("linksplus_request_id", default=None)


def new_request_id() -> str:
    """A fresh id for one request: 16 hex digits, unguessable, cheap to make."""
    return secrets.token_hex(8)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (newlines in a message are escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC)
        line = {
            "time": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def formatter(fmt: str, text_format: str = TEXT_FORMAT) -> logging.Formatter:
    """The formatter for `fmt` (``text`` or ``json``); ValueError for anything else."""
    if fmt == "json":
        return JsonFormatter()
    if fmt == "text":
        return logging.Formatter(text_format)
    raise ValueError(f"the log format must be one of {', '.join(FORMATS)}, not {fmt!r}")


def configure_logging(
    fmt: str = "text",
    level: int | None = None,
    *,
    stream: TextIO | None = None,
    text_format: str = TEXT_FORMAT,
) -> None:
    """Send every log line to `stream` (stderr) in `fmt`: the root logger gets one handler,
    replacing any; `level` None keeps the root's level. In ``json``, the handlers that
    libraries put on their own loggers (Streamlit's, for one) write JSON too, so no line
    of the process is left in another shape."""
    chosen = formatter(fmt, text_format)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(chosen)
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    if level is not None:
        root.setLevel(level)
    if fmt == "json":
        for logger in list(logging.root.manager.loggerDict.values()):
            for other in getattr(logger, "handlers", ()):
                other.setFormatter(chosen)
