"""The webhook receiver's figures, in a Prometheus registry of their own.

Each receiver app gets its own `CollectorRegistry` (not the process-wide default), so that
several apps in one process (the tests make many) each count their own. The worker
process's figures (batch size, commit time) come back over the socket it answers on; see
`WebhookWorker` and docs/architecture.md.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)

# No `_created` series beside each counter and histogram: rate() and increase() need none,
# and they doubled what a scrape reads.
disable_created_metrics()

# Why a delivery was refused, by the status it got: a bounded set, never the free text
# told to the sender (that names fields and values, and would make a series per value).
REFUSAL_REASONS = {
    400: "invalid",
    401: "signature",
    404: "unknown_path",
    413: "too_large",
}
DISCONNECTED = "disconnected"
OTHER = "other"
OUTCOMES = ("stored", "duplicate", "refused", "failed")
DOOR_REASONS = ("headers_too_large", "too_slow", "too_many_connections")
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)
COMMIT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

__all__ = ["CONTENT_TYPE_LATEST", "ReceiverMetrics"]


class ReceiverMetrics:
    """What one receiver counts; `exposition` is the text a GET /metrics answers."""

    def __init__(self) -> None:
        registry = self.registry = CollectorRegistry()
        deliveries = Counter(
            "linksplus_deliveries",
            "Webhook deliveries answered, by outcome: stored (new), duplicate, refused "
            "(by reason) or failed (503: the event log could not take it).",
            ["outcome", "reason"],
            registry=registry,
        )
        self._stored = deliveries.labels("stored", "")
        self._duplicate = deliveries.labels("duplicate", "")
        self._failed = deliveries.labels("failed", "")
        self._refused = {
            reason: deliveries.labels("refused", reason)
            for reason in (*REFUSAL_REASONS.values(), DISCONNECTED, OTHER)
        }
        self.batch_size = Histogram(
            "linksplus_batch_size",
            "Writes (deliveries, refusals logged, health checks) committed in one transaction.",
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        self.commit_seconds = Histogram(
            "linksplus_commit_seconds",
            "Seconds one transaction of the worker took to write and commit.",
            buckets=COMMIT_BUCKETS,
            registry=registry,
        )
        self.worker_restarts = Counter(
            "linksplus_worker_restarts",
            "Times the worker process exited unasked (the next delivery starts another).",
            registry=registry,
        )
        self.newest_event = Gauge(
            "linksplus_newest_event_timestamp_seconds",
            "Unix time the newest stored event was received (0: none stored yet).",
            registry=registry,
        )
        self.healthy = Gauge(
            "linksplus_healthy",
            "1 when /healthz would answer ok (reads, writes and deliveries commit), else 0.",
            registry=registry,
        )
        door = Counter(
            "linksplus_http_refused",
            "Connections and requests refused before the app saw them, by reason: "
            "headers_too_large (431), too_slow (408), too_many_connections (503).",
            ["reason"],
            registry=registry,
        )
        self._door = {reason: door.labels(reason) for reason in DOOR_REASONS}
        ProcessCollector(registry=registry)
        self._newest = 0.0

    # -- deliveries (the HTTP process) ---------------------------------------------------

    def stored(self, received_at: float) -> None:
        """A delivery's event was stored, new; `received_at` is Unix time."""
        self._stored.inc()
        self.event_received(received_at)

    def event_received(self, received_at: float) -> None:
        """An event stored at `received_at` (Unix time): the newest, if it is newer."""
        if received_at > self._newest:
            self._newest = received_at
            self.newest_event.set(received_at)

    def duplicate(self) -> None:
        """A delivery of an event stored before."""
        self._duplicate.inc()

    def refused(self, status: int | None) -> None:
        """A delivery refused with HTTP `status` (None: the sender went away first)."""
        reason = DISCONNECTED if status is None else REFUSAL_REASONS.get(status, OTHER)
        self._refused[reason].inc()

    def failed(self) -> None:
        """A delivery that could not be stored (answered 503)."""
        self._failed.inc()

    def refused_at_the_door(self, reason: str) -> None:
        """The HTTP server's limits refused a request or connection (`limits`)."""
        self._door[reason].inc()

    # -- the worker (WebhookWorker's observer) -------------------------------------------

    def committed(self, size: int, seconds: float) -> None:
        """One transaction of the worker: `size` writes in `seconds`."""
        self.batch_size.observe(size)
        self.commit_seconds.observe(seconds)

    def worker_exited(self) -> None:
        """The worker died without being asked to stop."""
        self.worker_restarts.inc()

    # -- the endpoint --------------------------------------------------------------------

    def exposition(self, healthy: bool) -> bytes:
        """The Prometheus text format of every figure, with health as just checked."""
        self.healthy.set(1 if healthy else 0)
        return generate_latest(self.registry)
