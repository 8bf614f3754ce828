"""Making a link: the one place that asks Links+ for a new link and records who made it.

The Create link form, Make another like this, a template's Create link and bulk create all
come through `make_link`. The client makes sure a link is made once (an attempt with no
clear answer is checked among the team's newest links before it is sent again); then the
workspace records the maker and how it was made, which the Links page's My links and Made
by read. A failure to record is an answer, not an exception: the link exists either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from linksplus.client import CreateCheck, LinksPlusClient
from linksplus.i18n import _
from linksplus.models import Link
from linksplus.workspace import Workspace
from linksplus.workspace.customers import Customer, save_customer
from linksplus.workspace.links_mirror import LinksMirror

log = logging.getLogger("linksplus.make_link")


@dataclass(frozen=True)
class LinkRequest:
    """What a new link is to be: amount in minor units of `currency` (None: the template's)."""

    template_id: int
    name: str
    amount: int
    currency: str | None = None
    multiple_usage: bool | None = None
    additional: str | None = None
    custom_webhook: str | None = None


@dataclass(frozen=True)
class UploadRowRef:
    """The bulk upload row a link is made for."""

    upload_id: str
    row_no: int


@dataclass(frozen=True)
class MadeLink:
    """A link made in Links+, and None or a sentence saying its maker was not recorded."""

    link: Link
    record_error: str | None = None


def make_link(
    client: LinksPlusClient,
    workspace: Workspace | Callable[[], Workspace],
    request: LinkRequest,
    *,
    team_id: int,
    made_by: str,
    how: str,
    upload: UploadRowRef | None = None,
    idempotency_key: str | None = None,
    made_since: datetime | None = None,
    on_check: Callable[[CreateCheck], None] | None = None,
    customer: Customer | None = None,
) -> MadeLink:
    """Create `request`'s link in `team_id` once, then record that `made_by` made it `how`
    ("form", "template", "duplicate", "bulk"); with `upload`, the row is marked done with
    it. `workspace` may be a function opening it: a failure to open it is a failure to
    record. `customer` (who the link is for) is stored with the maker, in the console's
    records only: Links+ never sees it. `idempotency_key`, `made_since` and `on_check` are passed to
    `LinksPlusClient.create_link`, whose errors (`ValidationError`, `LinksPlusError`)
    propagate: no link was made, or it is unknown whether one was."""
    if upload is not None and how != "bulk":
        raise ValueError(f"a link made for an upload row is made 'bulk', not {how!r}")
    link = client.create_link(
        template_id=request.template_id,
        team_id=team_id,
        name=request.name,
        amount=request.amount,
        currency=request.currency,
        multiple_usage=request.multiple_usage,
        additional=request.additional,
        custom_webhook=request.custom_webhook,
        idempotency_key=idempotency_key,
        made_since=made_since,
        on_check=on_check,
    )
    try:
        ws = workspace if isinstance(workspace, Workspace) else workspace()
        _record(ws, link, team_id=team_id, made_by=made_by, how=how, upload=upload)
    except Exception as exc:  # the link exists whatever the records' trouble is
        return MadeLink(link, _record_error(link.id, exc))
    _mirror(ws, link, team_id)
    if customer is not None and not customer.empty:
        try:
            save_customer(ws, link.id, team_id, customer, made_by)
        except Exception as exc:
            return MadeLink(link, _customer_error(link.id, exc))
    return MadeLink(link)


def _mirror(ws: Workspace, link: Link, team_id: int) -> None:
    """The new link in the links mirror at once (the create's answer), so the Links page
    has it before the next sync; should that fail, the next sync brings it."""
    try:
        LinksMirror(ws.engine).record([link], team_id)
    except Exception:
        log.warning("link %s made but not put in the links mirror", link.id, exc_info=True)


def _record(
    ws: Workspace,
    link: Link,
    *,
    team_id: int,
    made_by: str,
    how: str,
    upload: UploadRowRef | None,
) -> None:
    if upload is None:
        ws.record_link(link.id, team_id, made_by, how)
        return
    # The row's outcome and the link's owner in one transaction.
    ws.mark_done(
        upload.upload_id,
        upload.row_no,
        link_id=link.id,
        payment_url=link.payment_url,
        team_id=team_id,
        made_by=made_by,
    )


def _record_error(link_id: int, exc: Exception) -> str:
    # The error's type only: its text may carry the database address.
    return _(
        "Link #{link} was made, but the console could not record that you made it "
        "({error}); it shows as made outside the console."
    ).format(link=link_id, error=type(exc).__name__)


def _customer_error(link_id: int, exc: Exception) -> str:
    return _(
        "Link #{link} was made, but the console could not note its customer ({error}); "
        "the link works without it."
    ).format(link=link_id, error=type(exc).__name__)
