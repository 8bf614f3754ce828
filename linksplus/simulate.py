"""Simulated payments: ask a sandbox to take a payment on a link, as a payer would."""

from __future__ import annotations

from typing import Any

import requests

from linksplus.errors import APIConnectionError, LinksPlusError, error_from_response


def simulate_payment(
    sandbox_url: str,
    link_id: int,
    *,
    status: str = "successful",
    amount: int | None = None,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """Make the sandbox record a payment on `link_id` and send its webhooks.

    Answers the payment object (``id``, ``amount``, ``currency``, ``status``...). Raises a
    `LinksPlusError` whose message says what went wrong (unknown link, link already used,
    sandbox unreachable).
    """
    if status not in ("successful", "failed"):
        raise ValueError("status must be successful or failed")
    body: dict[str, Any] = {"status": status}
    if amount is not None:
        body["amount"] = int(amount)
    url = f"{sandbox_url.rstrip('/')}/_sandbox/links/{int(link_id)}/payments"
    try:
        resp = requests.post(url, json=body, timeout=timeout)
    except requests.RequestException:
        raise APIConnectionError(
            f"Could not reach the sandbox at {sandbox_url}. Is it running?"
        ) from None
    try:
        data = resp.json()
    except ValueError:
        data = None
    if resp.status_code >= 400:
        raise error_from_response(resp.status_code, data)
    if not isinstance(data, dict):
        raise LinksPlusError("The sandbox sent an answer that could not be read.")
    return data
