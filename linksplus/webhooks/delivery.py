"""One webhook delivery as received, and what checking it makes of it.

The receiver's HTTP side only reads a delivery: its body, signature headers, sender and
arrival time (`Delivery`). Its worker process checks it here (signature, JSON, fields) into
the event write to store, or a `Rejection` with the status and reason to answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from linksplus.eventlog.ingest import DeliveryWrite, EventWrite, event_write, rejected_write
from linksplus.events import PayloadError, validate
from linksplus.webhooks.payload import parse_body
from linksplus.webhooks.signing import SignatureChecker, SignatureError


@dataclass(slots=True)
class Delivery:
    """A delivery as read off the wire, not yet checked."""

    body: bytes
    timestamp: str | None  # the Omise-Signature-Timestamp header
    signature: str | None  # the Omise-Signature header
    remote: str
    received_at: float  # Unix time: cheaper than a datetime to make and to pickle

    def __reduce__(self) -> tuple:
        # Pickled per delivery on the way to the worker; the default for a slots
        # dataclass looks its slot names up on every call.
        return Delivery, (self.body, self.timestamp, self.signature, self.remote, self.received_at)


class Rejection(Exception):
    """A delivery refused with `status`; `reason` is said to the sender and logged."""

    def __init__(self, status: int, reason: str, field: str | None = None):
        super().__init__(reason)
        self.status, self.reason, self.field = status, reason, field

    def __reduce__(self) -> tuple:
        return Rejection, (self.status, self.reason, self.field)


class WorkerError(RuntimeError):
    """A delivery the worker could not store: the database's error, as text, or the
    worker's exit. The receiver answers 503, so the sender retries.

    Defined here, not in the worker's module: the worker runs that module as
    ``__main__``, and an exception class defined there cannot be unpickled by the
    receiver, which then lost the worker on every database error.
    """


def best_effort_json(body: bytes) -> Any:
    """The JSON object in `body`, or None: for the delivery log's summary of a refused
    body (`summary` reads nothing from anything but an object)."""
    try:
        return parse_body(body)
    except PayloadError:
        return None


class DeliveryChecker:
    """Checks deliveries against the configured secrets (none: unsigned are accepted)."""

    def __init__(self, secrets: list[str]):
        self._signatures = SignatureChecker(secrets) if secrets else None

    def check(self, delivery: Delivery) -> EventWrite:
        """The write that stores `delivery`; Rejection (401 or 400) when it may not."""
        if self._signatures is not None:
            try:
                # Against the time it arrived, not the moment the worker gets to it.
                self._signatures.check(
                    delivery.body, delivery.timestamp, delivery.signature, now=delivery.received_at
                )
            except SignatureError as exc:
                raise Rejection(401, f"signature: {exc}") from None
        try:
            event = validate(parse_body(delivery.body))
        except PayloadError as exc:
            raise Rejection(400, str(exc), exc.field) from None
        return event_write(
            event, delivery.body, delivery.remote, datetime.fromtimestamp(delivery.received_at, UTC)
        )

    @staticmethod
    def rejected(rejection: Rejection, delivery: Delivery) -> DeliveryWrite:
        """The delivery-log row of a refused delivery, with what its body says."""
        data = None if rejection.status == 413 else best_effort_json(delivery.body)
        return rejected_write(
            rejection.reason,
            data,
            delivery.remote,
            datetime.fromtimestamp(delivery.received_at, UTC),
        )
