"""Paid-link alerts: an outbox derived from the event log, and the `linksplus notifier`
process that sends each alert once, by email or LINE (see `outbox` for why once)."""

from linksplus.notify.notifier import Notifier, Timing

__all__ = ["Notifier", "Timing"]
