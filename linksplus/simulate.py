"""Simulated payments: ask a sandbox to take a payment on a link, as a payer would."""

from __future__ import annotations

from typing import Any

from linksplus.sandbox.controls_client import SandboxControls


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
    return SandboxControls(sandbox_url, timeout=timeout).pay(link_id, status=status, amount=amount)
