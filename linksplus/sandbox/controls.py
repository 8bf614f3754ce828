"""Test controls under ``/_sandbox``: reset, seed, inject faults, simulate payments, inspect.

These paths are not part of the real API (so they need no key). Tests, benchmarks and the
demo drive the sandbox through them; each answers JSON, and refusals are Omise error
objects like the API's.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from linksplus.money import AmountError, check_amount, get_currency
from linksplus.sandbox.context import get_sandbox
from linksplus.sandbox.errors import bad_request
from linksplus.sandbox.seeding import seed_links

router = APIRouter(prefix="/_sandbox", tags=["Sandbox controls"])


class ResetBody(BaseModel):
    data: Literal["empty", "demo"] = Field("empty", description="What to seed afterwards.")


class TeamBody(BaseModel):
    id: int | None = Field(None, description="Default: the next free id.")
    name: str = Field(min_length=1, max_length=100)


class TemplateBody(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    currency: str = Field("thb", description="Default currency of the template's links.")
    amount: int | None = Field(None, description="Default amount, minor units.")
    language: Literal["th", "en"] = "en"
    features: list[str] = Field(default_factory=lambda: ["card"])
    status: Literal["active", "inactive"] = "active"


class SeedBody(BaseModel):
    count: int = Field(ge=0, le=1_000_000)
    currency: str | None = None
    template_id: int | None = None


class FaultsBody(BaseModel):
    error_rate: float = Field(0.0, ge=0, le=1, description="Share of requests answering 500.")
    latency_ms: int = Field(0, ge=0, le=600_000, description="Delay of every request.")
    seed: int | None = Field(None, description="Makes the random faults repeatable.")
    fail_next: int = Field(0, ge=0, description="The next K requests answer 500.")
    fail_after_create: bool = Field(
        False, description="A fail_next fault on a create strikes after the link is made."
    )
    drop_after_create: bool = Field(
        False,
        description="With fail_after_create: close the connection without any answer "
        "instead of answering 500.",
    )
    rate_limit_next: int = Field(
        0, ge=0, description="The next K requests answer 429 (before any other fault)."
    )
    retry_after: int = Field(
        1, ge=0, le=3600, description="The Retry-After seconds of those 429 answers."
    )


class IdempotencyBody(BaseModel):
    idempotency: Literal["on", "off"] = Field(
        description="on: a repeated Idempotency-Key answers the first link; off: the header "
        "is ignored, as Links+ documents no idempotency."
    )


class PaymentBody(BaseModel):
    status: Literal["successful", "failed"] = "successful"
    amount: int | None = Field(None, description="Minor units; default the link's amount.")


class LinkStatusBody(BaseModel):
    status: Literal["active", "used", "expired", "disabled"]


@router.get("/health", summary="Is the sandbox up?")
async def health() -> dict[str, bool]:
    return {"ok": True}


@router.post("/reset", summary="Forget everything and seed again")
async def reset(request: Request, body: ResetBody | None = None) -> dict[str, Any]:
    """Clears links, templates, teams, payments, deliveries, idempotency keys and faults,
    then seeds `data` (`empty` or `demo`)."""
    sandbox = get_sandbox(request)
    data = body.data if body else "empty"
    sandbox.reset(data)
    store = sandbox.store
    return {
        "data": data,
        "teams": len(store.teams),
        "templates": len(store.templates),
        "links": len(store.links),
        "payments": len(store.payments),
    }


@router.get("/teams", summary="List the teams")
async def list_teams(request: Request) -> list[dict[str, Any]]:
    store = get_sandbox(request).store
    with store.lock:
        return [team.to_dict() for team in store.teams.values()]


@router.post("/teams", summary="Create (or rename) a team", status_code=201)
async def create_team(request: Request, body: TeamBody) -> dict[str, Any]:
    return get_sandbox(request).store.add_team(body.name, body.id).to_dict()


@router.post("/teams/{team_id}/templates", summary="Create a template", status_code=201)
async def create_template(request: Request, team_id: int, body: TemplateBody) -> JSONResponse:
    """Creates the team too when it does not exist yet."""
    try:
        currency = get_currency(body.currency).code
    except AmountError as exc:
        raise bad_request(str(exc)) from None
    if body.amount is not None:
        problem = check_amount(body.amount, currency)
        if problem:
            raise bad_request(problem)
    item = get_sandbox(request).store.add_template(
        team_id,
        name=body.name,
        currency=currency,
        amount=body.amount,
        language=body.language,
        features=body.features,
        status=body.status,
    )
    return JSONResponse(item.data, status_code=201)


@router.post("/teams/{team_id}/links/seed", summary="Make N links on a team, fast")
async def seed(request: Request, team_id: int, body: SeedBody) -> dict[str, Any]:
    """Creates the team and a template (THB, 500.00) when missing, then `count` active
    single-use links named "Seeded link N"."""
    return seed_links(
        get_sandbox(request).store,
        team_id,
        body.count,
        currency=body.currency,
        template_id=body.template_id,
    )


@router.get("/faults", summary="The current fault settings")
async def get_faults(request: Request) -> dict[str, Any]:
    return get_sandbox(request).faults.settings()


@router.post("/faults", summary="Inject latency, 500s, dropped answers and 429s into /external")
async def set_faults(request: Request, body: FaultsBody) -> dict[str, Any]:
    """Replaces the settings: every field not sent goes back to no fault."""
    faults = get_sandbox(request).faults
    faults.configure(**body.model_dump())
    return faults.settings()


@router.delete("/faults", summary="Stop injecting faults")
async def clear_faults(request: Request) -> dict[str, Any]:
    faults = get_sandbox(request).faults
    faults.clear()
    return faults.settings()


@router.get("/idempotency", summary="Whether creates honour Idempotency-Key")
async def get_idempotency(request: Request) -> dict[str, str]:
    return {"idempotency": "on" if get_sandbox(request).idempotency else "off"}


@router.post("/idempotency", summary="Honour Idempotency-Key on creates, or ignore it")
async def set_idempotency(request: Request, body: IdempotencyBody) -> dict[str, str]:
    """Until the next reset, which goes back to the setting the sandbox started with
    (``linksplus sandbox --idempotency on|off``)."""
    sandbox = get_sandbox(request)
    sandbox.idempotency = body.idempotency == "on"
    return {"idempotency": body.idempotency}


@router.post("/links/{link_id}/payments", summary="Simulate a payer paying a link", status_code=201)
async def pay(request: Request, link_id: int, body: PaymentBody | None = None) -> dict:
    """Records the payment (a paid single-use link becomes `used`), answers it, and sends
    its `payment.completed` webhooks in the background. A used, expired or disabled link
    answers 400."""
    body = body or PaymentBody()
    return get_sandbox(request).pay(link_id, body.status, body.amount)


@router.post("/links/{link_id}/status", summary="Set a link's status (e.g. expired)")
async def set_link_status(request: Request, link_id: int, body: LinkStatusBody) -> dict:
    store = get_sandbox(request).store
    link = store.link(link_id)
    store.set_link_status(link, body.status)
    return link.data


@router.get("/payments", summary="List recorded payments")
async def list_payments(
    request: Request,
    link_id: Annotated[int | None, Query()] = None,
    team_id: Annotated[int | None, Query()] = None,
) -> list[dict]:
    store = get_sandbox(request).store
    with store.lock:
        payments = (
            store.payments_by_link.get(link_id, []) if link_id is not None else store.payments
        )
        return [p for p in payments if team_id is None or p["team_id"] == team_id]


@router.get("/deliveries", summary="List webhook delivery attempts")
async def list_deliveries(
    request: Request,
    payment_id: Annotated[str | None, Query()] = None,
    link_id: Annotated[int | None, Query()] = None,
) -> list[dict]:
    """Every attempt, oldest first: destination (system, dashboard or custom), attempt
    number, status code, outcome (delivered, retrying or failed) and error."""
    store = get_sandbox(request).store
    with store.lock:
        return [
            d
            for d in store.deliveries
            if (payment_id is None or d["payment_id"] == payment_id)
            and (link_id is None or d["link_id"] == link_id)
        ]


@router.post("/webhooks/replay", summary="Send every recorded payment to the system webhook")
async def replay(request: Request) -> dict[str, int]:
    """Fresh signatures, each payment's own time as the payload timestamp; answers when
    all are done."""
    sandbox = get_sandbox(request)
    if not sandbox.deliverer.system_url:
        raise bad_request("No system webhook is configured; start the sandbox with --webhook-url.")
    with sandbox.store.lock:
        payments = list(sandbox.store.payments)
    sent, failed = await sandbox.deliverer.replay(payments)
    return {"sent": sent, "failed": failed}
