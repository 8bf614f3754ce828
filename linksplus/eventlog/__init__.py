"""The event log: every payment webhook recorded once, and the report queries over it.

>>> from linksplus.eventlog import EventLog
>>> log = EventLog("sqlite:///.linksplus/events.db")
>>> log.record(payload)   # True when new, False when a duplicate
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linksplus.eventlog.ingest import OUTCOMES
    from linksplus.eventlog.log import NOT_COUNTED, EventLog
    from linksplus.eventlog.schema import SCHEMA_VERSION, SchemaError

__all__ = ["NOT_COUNTED", "OUTCOMES", "SCHEMA_VERSION", "EventLog", "SchemaError"]

# Imported on first use: the webhook worker imports this package's write path only, and
# should not wait for pandas, which the reads need.
_HOMES = {
    "OUTCOMES": "ingest",
    "EventLog": "log",
    "NOT_COUNTED": "log",
    "SCHEMA_VERSION": "schema",
    "SchemaError": "schema",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"linksplus.eventlog.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'linksplus.eventlog' has no attribute {name!r}")
