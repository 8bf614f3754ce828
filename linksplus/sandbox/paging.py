"""List pages: the query parameters every Omise list takes and the envelope it answers.

``limit`` (default 20, capped at 100), ``offset`` (default 0), ``order``
(``chronological`` or ``reverse_chronological``) and optional ``from``/``to`` times. The
envelope carries Omise's list keys (``object, data, total, limit, offset, order, from, to,
location``) and is written by joining each object's cached JSON text, without a model or a second
serialisation: listing 10,000 links 100 at a time is the hot path of the sandbox.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated

from fastapi import Query
from fastapi.responses import Response

from linksplus.models import format_timestamp, parse_timestamp
from linksplus.sandbox.errors import bad_request
from linksplus.sandbox.state import Collection, now_stamp

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
ORDERS = ("chronological", "reverse_chronological")
EPOCH = "1970-01-01T00:00:00Z"


@dataclass(frozen=True)
class PageParams:
    """A list request's checked parameters."""

    limit: int
    offset: int
    order: str
    start: str | None
    end: str | None


def _stamp(value: str | None, name: str) -> str | None:
    if value is None or value == "":
        return None
    try:
        return format_timestamp(parse_timestamp(value))
    except (ValueError, TypeError):
        raise bad_request(
            f'"{name}" must be an ISO 8601 date or time, like 2026-02-14T10:35:00Z'
        ) from None


async def page_params(
    limit: Annotated[
        int, Query(description="Items per page: 1 to 100 (more is capped).")
    ] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(description="How many items to skip.")] = 0,
    order: Annotated[
        str,
        Query(
            description="`chronological` (oldest first, the default) or `reverse_chronological`."
        ),
    ] = ORDERS[0],
    from_: Annotated[
        str | None,
        Query(alias="from", description="Only items created at or after this ISO 8601 time."),
    ] = None,
    to: Annotated[
        str | None, Query(description="Only items created at or before this ISO 8601 time.")
    ] = None,
) -> PageParams:
    """The page a list request asks for; 400 for a bad value."""
    if limit < 1:
        raise bad_request('"limit" must be at least 1')
    if offset < 0:
        raise bad_request('"offset" must be at least 0')
    if order not in ORDERS:
        raise bad_request('"order" must be chronological or reverse_chronological')
    return PageParams(min(limit, MAX_LIMIT), offset, order, _stamp(from_, "from"), _stamp(to, "to"))


def page_response(collection: Collection, page: PageParams, location: str) -> Response:
    """The list envelope for one page of `collection`, as a ready JSON answer; `location`
    is the list's path, as Omise's list objects carry it."""
    items = collection.window(page.start, page.end)
    total = len(items)
    if page.order == "chronological":
        chunk = items[page.offset : page.offset + page.limit]
    else:
        stop = total - page.offset
        chunk = items[max(0, stop - page.limit) : stop][::-1] if stop > 0 else []
    tail = json.dumps(
        {
            "total": total,
            "limit": page.limit,
            "offset": page.offset,
            "order": page.order,
            # Omise's lists always say their window: from the epoch to now by default.
            "from": page.start or EPOCH,
            "to": page.end or now_stamp(),
            "location": location,
        },
        separators=(",", ":"),
    )
    body = '{"object":"list","data":[' + ",".join(i.json for i in chunk) + "]," + tail[1:]
    return Response(body.encode(), media_type="application/json")
