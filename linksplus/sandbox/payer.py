"""The payer's page behind each link's payment URL: the name, the amount and a Pay button.

Pressing Pay records a successful payment, exactly as ``POST /_sandbox/links/{id}/payments``
does, so a demo can be driven from a phone scanning the link's QR code.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from linksplus.money import format_amount
from linksplus.sandbox.context import get_sandbox
from linksplus.sandbox.errors import ApiError, not_found
from linksplus.sandbox.state import Item

router = APIRouter(tags=["Payer page"])

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 26rem; margin: 3rem auto;
        padding: 0 1rem; color: #1c2434; }}
.card {{ border: 1px solid #d6dce8; border-radius: 12px; padding: 1.5rem; }}
.amount {{ font-size: 2rem; font-weight: 600; margin: .5rem 0 1rem; }}
button {{ width: 100%; padding: .8rem; font-size: 1.1rem; border: 0; border-radius: 8px;
          background: #1a56db; color: white; cursor: pointer; }}
.note {{ color: #5b6475; font-size: .9rem; }}
</style></head>
<body><div class="card">
<div class="note">Links+ sandbox: no real money moves</div>
<h1>{name}</h1>
<div class="amount">{amount}</div>
{body}
</div></body></html>
"""


def _link(request: Request, token: str) -> Item:
    link = get_sandbox(request).store.links_by_token.get(token)
    if link is None:
        raise not_found("There is no payment link at this address.")
    return link


def _page(link: Item, body: str, status_code: int = 200) -> HTMLResponse:
    data = link.data
    amount = format_amount(data["amount"], data["currency"], symbol=True, code=True)
    return HTMLResponse(
        PAGE.format(
            title=escape(data["name"]), name=escape(data["name"]), amount=escape(amount), body=body
        ),
        status_code=status_code,
    )


@router.get("/pay/{token}", summary="The payer's page of a link", response_class=HTMLResponse)
async def show(request: Request, token: str) -> HTMLResponse:
    link = _link(request, token)
    if link.data["status"] != "active":
        return _page(
            link, f"<p>This link is {escape(link.data['status'])} and takes no payment.</p>"
        )
    note = (
        f"<p class='note'>{escape(link.data['additional'])}</p>"
        if link.data.get("additional")
        else ""
    )
    return _page(link, f"{note}<form method='post'><button type='submit'>Pay</button></form>")


@router.post(
    "/pay/{token}", summary="Pay the link (simulated success)", response_class=HTMLResponse
)
async def pay(request: Request, token: str) -> HTMLResponse:
    link = _link(request, token)
    try:
        payment = get_sandbox(request).pay(link.id)
    except ApiError as exc:
        return _page(link, f"<p>{escape(exc.message)}</p>", exc.status)
    return _page(link, f"<p>✅ Paid. Payment <code>{escape(payment['id'])}</code>.</p>")
