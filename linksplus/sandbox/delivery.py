"""Sending ``payment.completed`` webhooks, signed, with retries, and recording every attempt.

A payment goes to up to three destinations, as the brief says: the system webhook
(``--webhook-url``), the dashboard webhook (``--dashboard-webhook-url``) and the link's own
custom webhook (HTTPS only). Each delivery runs as a background task so the request that
made the payment is not kept waiting. A connection error or a non-2xx answer is retried
after growing pauses; every attempt is appended to the store's delivery log.

The pauses (`RETRY_DELAYS`) are as long as a real sender's: a receiver that is down for
minutes or hours still gets the payment once it is back. Our reference of Omise's API does
not give its schedule; payment providers' webhooks commonly retry for one to three days, so
the sandbox's default retries 8 times over about two days. Tests compress it with
`time_scale` (``linksplus sandbox --webhook-time-scale 0.001``: the same schedule in three
minutes) or give their own (``--webhook-retry-delays 0.5,1,2``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from collections.abc import Sequence
from typing import Any

import httpx

from linksplus.sandbox.state import Item, Store, now_stamp
from linksplus.webhooks.signing import sign_headers

log = logging.getLogger("linksplus.sandbox.delivery")

_MINUTE, _HOUR = 60.0, 3600.0
# Seconds between the 9 attempts of a live delivery: 1, 5 and 15 minutes, 1, 3, 6, 12 and
# 24 hours (the last attempt 47 hours and 21 minutes after the first).
RETRY_DELAYS = (
    1 * _MINUTE,
    5 * _MINUTE,
    15 * _MINUTE,
    1 * _HOUR,
    3 * _HOUR,
    6 * _HOUR,
    12 * _HOUR,
    24 * _HOUR,
)
REPLAY_RETRY_DELAYS = (0.5, 1.0)  # a replay is asked for by someone waiting for it
REPLAY_CONCURRENCY = 16
ATTEMPT_TIMEOUT = 5.0


def parse_delays(text: str) -> tuple[float, ...]:
    """``"0.5,1,2"`` as pauses in seconds; ValueError when one is not a number >= 0."""
    try:
        delays = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(
            f"retry delays must be seconds separated by commas, not {text!r}"
        ) from None
    if any(not 0 <= delay < float("inf") for delay in delays):
        raise ValueError("retry delays must be zero or more seconds")
    return delays


def payload_body(payment: dict[str, Any]) -> bytes:
    """The brief's payload for `payment`, as the exact bytes that are signed and sent."""
    payload = {
        "event": "payment.completed",
        "link_id": payment["link_id"],
        "payment": {
            "id": payment["id"],
            "amount": payment["amount"],
            "currency": payment["currency"],
            "status": payment["status"],
        },
        "timestamp": payment["created_at"],
    }
    return json.dumps(payload, separators=(",", ":")).encode()


class Deliverer:
    """Sends one payment's webhooks to every configured destination."""

    def __init__(
        self,
        store: Store,
        *,
        system_url: str | None = None,
        dashboard_url: str | None = None,
        secret: str | None = None,
        ca_file: str | None = None,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        time_scale: float = 1.0,
        timeout: float = ATTEMPT_TIMEOUT,
    ):
        """`retry_delays`: seconds between attempts of a live delivery (one more attempt
        than pauses); `time_scale` multiplies every pause (0.001 makes minutes into tenths
        of seconds, for tests)."""
        if not 0 < time_scale < float("inf"):
            raise ValueError("the time scale must be a positive number")
        self.store = store
        self.system_url = system_url
        self.dashboard_url = dashboard_url
        self.secret = secret
        self.ca_file = ca_file
        self.retry_delays = tuple(retry_delays)
        self.time_scale = time_scale
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task] = set()

    def destinations(self, link: Item) -> list[tuple[str, str]]:
        """(name, url) of every place this link's payments are sent."""
        out = []
        if self.system_url:
            out.append(("system", self.system_url))
        if self.dashboard_url:
            out.append(("dashboard", self.dashboard_url))
        custom = link.data.get("custom_webhook")
        # Links+ refuses http custom webhooks at create; never send to one anyway.
        if custom and str(custom).lower().startswith("https://"):
            out.append(("custom", custom))
        return out

    def schedule(self, payment: dict[str, Any], link: Item) -> None:
        """Start delivering `payment` in the background; returns at once."""
        body = payload_body(payment)
        for name, url in self.destinations(link):
            task = asyncio.get_running_loop().create_task(
                self.deliver(payment, name, url, body, self.retry_delays)
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def replay(
        self, payments: list[dict[str, Any]], *, concurrency: int = REPLAY_CONCURRENCY
    ) -> tuple[int, int]:
        """Send every payment to the system webhook again; (delivered, failed) counts."""
        if not self.system_url:
            return 0, 0
        gate = asyncio.Semaphore(concurrency)
        url = self.system_url

        async def one(payment: dict[str, Any]) -> bool:
            async with gate:
                return await self.deliver(
                    payment, "system", url, payload_body(payment), REPLAY_RETRY_DELAYS, replay=True
                )

        results = await asyncio.gather(*(one(p) for p in payments))
        sent = sum(results)
        return sent, len(results) - sent

    async def deliver(
        self,
        payment: dict[str, Any],
        destination: str,
        url: str,
        body: bytes,
        retry_delays: Sequence[float],
        *,
        replay: bool = False,
    ) -> bool:
        """Send `body` to `url` until it is accepted or the attempts run out."""
        attempts = len(retry_delays) + 1
        for attempt in range(1, attempts + 1):
            status_code, error = await self._attempt(url, body)
            delivered = error is None
            outcome = "delivered" if delivered else ("retrying" if attempt < attempts else "failed")
            self.store.record_delivery(
                {
                    "payment_id": payment["id"],
                    "link_id": payment["link_id"],
                    "destination": destination,
                    "url": url,
                    "attempt": attempt,
                    "status_code": status_code,
                    "outcome": outcome,
                    "error": error,
                    "at": now_stamp(),
                    "replay": replay,
                }
            )
            if delivered:
                return True
            log.info(
                "webhook %s to %s failed (attempt %d of %d): %s",
                payment["id"],
                url,
                attempt,
                attempts,
                error,
            )
            if attempt < attempts:
                await asyncio.sleep(retry_delays[attempt - 1] * self.time_scale)
        return False

    async def _attempt(self, url: str, body: bytes) -> tuple[int | None, str | None]:
        """One POST: (status code, None) when accepted, else (status or None, why not)."""
        # Signed per attempt so that a retry carries a fresh signature timestamp.
        headers = {"Content-Type": "application/json", "User-Agent": "linksplus-sandbox"}
        if self.secret:
            headers.update(sign_headers(body, self.secret))
        try:
            resp = await self._http().post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}".rstrip(": ")
        if 200 <= resp.status_code < 300:
            return resp.status_code, None
        return resp.status_code, f"HTTP {resp.status_code}"

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            verify: ssl.SSLContext | bool = True
            if self.ca_file:
                verify = ssl.create_default_context(cafile=self.ca_file)
            self._client = httpx.AsyncClient(
                verify=verify, timeout=self.timeout, follow_redirects=False
            )
        return self._client

    def cancel_all(self) -> None:
        """Stop every delivery still in progress (a reset starts afresh)."""
        for task in list(self._tasks):
            task.cancel()

    async def aclose(self) -> None:
        self.cancel_all()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
