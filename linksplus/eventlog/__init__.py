"""The event log: every payment webhook recorded once, and the report queries over it.

>>> from linksplus.eventlog import EventLog
>>> log = EventLog("sqlite:///.linksplus/events.db")
>>> log.record(payload)   # True when new, False when a duplicate
"""

from linksplus.eventlog.log import OUTCOMES, EventLog
from linksplus.eventlog.schema import SCHEMA_VERSION, SchemaError

__all__ = ["OUTCOMES", "SCHEMA_VERSION", "EventLog", "SchemaError"]
