"""Helpers shared by the webhook tests: payloads, signing, polling and a load sender."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from linksplus.webhooks.signing import generate_secret, sign_headers

SECRET = generate_secret()


def payment_event(
    payment_id: str = "chrg_test_1",
    *,
    event: str = "payment.completed",
    link_id: int = 789,
    amount: int = 100000,
    currency: str = "thb",
    status: str = "successful",
    timestamp: str = "2026-02-14T10:35:00Z",
    **extra: Any,
) -> dict[str, Any]:
    """A payload shaped like the brief's example."""
    return {
        "event": event,
        "link_id": link_id,
        "payment": {"id": payment_id, "amount": amount, "currency": currency, "status": status},
        "timestamp": timestamp,
        **extra,
    }


def body_of(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def signed_headers(body: bytes, secret: str = SECRET, **kwargs) -> dict[str, str]:
    return {"Content-Type": "application/json", **sign_headers(body, secret, **kwargs)}


@dataclass
class Outcome:
    """What one sender saw: the status code, or None when the request failed."""

    payment_id: str
    status: int | None
    answer: dict | None = None


def send_all(
    url: str,
    payloads: list[dict],
    *,
    secret: str | None = SECRET,
    concurrency: int = 50,
    verify: bool | str = True,
    timeout: float = 10.0,
    on_answer=None,
) -> list[Outcome]:
    """POST every payload with `concurrency` keep-alive senders; one Outcome each, in order.

    `on_answer(outcome)` is called after each answer (e.g. to kill the server mid-run).
    """

    async def run() -> list[Outcome]:
        results: list[Outcome | None] = [None] * len(payloads)
        todo = iter(range(len(payloads)))

        async def sender() -> None:
            # One client (one keep-alive connection) per sender: httpx's shared pool slows
            # down badly with dozens of connections, and the test would measure that.
            async with httpx.AsyncClient(timeout=timeout, verify=verify) as client:
                for i in todo:
                    body = body_of(payloads[i])
                    headers = (
                        signed_headers(body, secret)
                        if secret
                        else {"Content-Type": "application/json"}
                    )
                    pid = payloads[i]["payment"]["id"]
                    try:
                        resp = await client.post(url, content=body, headers=headers)
                        outcome = Outcome(pid, resp.status_code, resp.json())
                    except (httpx.HTTPError, ValueError):
                        outcome = Outcome(pid, None)
                    results[i] = outcome
                    if on_answer is not None:
                        on_answer(outcome)

        await asyncio.gather(*(sender() for _ in range(concurrency)))
        return [r for r in results if r is not None]

    return asyncio.run(run())


def children(pid: int) -> list[int]:
    return [
        int(child)
        for path in Path(f"/proc/{pid}/task").glob("*/children")
        for child in path.read_text().split()
    ]


def running(pid: int) -> bool:
    try:  # a zombie has exited; only its parent has not collected it yet
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
