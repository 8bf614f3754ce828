"""One running sandbox's parts, shared by its routes through ``app.state.sandbox``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from linksplus.money import check_amount
from linksplus.sandbox.delivery import Deliverer
from linksplus.sandbox.demo_data import seed_demo
from linksplus.sandbox.errors import bad_request
from linksplus.sandbox.faults import Faults
from linksplus.sandbox.state import Store

DATA_SETS = ("empty", "demo")


@dataclass
class Sandbox:
    """One sandbox: its key, its memory, its injected faults and its webhook sender.

    `idempotency` says whether creates honour Idempotency-Key (Links+ documents none, so
    tests run both ways); a reset puts back the value the sandbox was started with.
    """

    api_key: str
    store: Store
    faults: Faults
    deliverer: Deliverer
    idempotency_default: bool = True
    idempotency: bool = field(init=False)

    def __post_init__(self) -> None:
        self.idempotency = self.idempotency_default

    def reset(self, data: str = "empty") -> None:
        """Forget every object, fault and delivery, then seed `data` (empty or demo)."""
        if data not in DATA_SETS:
            raise bad_request('"data" must be empty or demo')
        self.deliverer.cancel_all()
        self.faults.clear()
        self.idempotency = self.idempotency_default
        with self.store.lock:
            self.store.clear()
            if data == "demo":
                seed_demo(self.store)

    def pay(
        self, link_id: int, status: str = "successful", amount: int | None = None
    ) -> dict[str, Any]:
        """A payer's payment on a link, recorded, with its webhooks sent in the background.

        Must run on the event loop (the deliveries are tasks on it).
        """
        link = self.store.link(link_id)
        if amount is not None:
            problem = check_amount(amount, link.data["currency"])
            if problem:
                raise bad_request(problem)
        payment = self.store.add_payment(link, status=status, amount=amount)
        self.deliverer.schedule(payment, link)
        return payment


def get_sandbox(request: Request) -> Sandbox:
    """The sandbox serving `request`."""
    return request.app.state.sandbox
