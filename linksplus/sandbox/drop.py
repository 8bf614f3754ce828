"""Closing a connection without any answer, for the ``drop_after_create`` fault.

A route marks its request with `mark_dropped`; `DropMarkedConnections`, wrapped around the
whole app, swallows everything that request sends and hands uvicorn a non-None result,
which uvicorn treats as a broken application: it closes the connection without writing a
byte. The client then sees what it sees when the network dies after the request was sent
(``RemoteDisconnected``), while the work (the new link) is done.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_FLAG = "linksplus_drop_connection"


class _Dropped:
    """What the wrapper answers uvicorn for a dropped request (uvicorn logs it as text)."""

    def __str__(self) -> str:
        return "nothing: the sandbox dropped this connection on purpose (drop_after_create)"


def mark_dropped(request: Request) -> None:
    """Close `request`'s connection without an answer, whatever the route returns."""
    request.scope.setdefault("state", {})[_FLAG] = True


class DropMarkedConnections:
    """ASGI wrapper: requests marked by `mark_dropped` get no answer at all."""

    def __init__(self, app: ASGIApp):
        self.app = app

    def __getattr__(self, name: str) -> Any:  # app.state and friends stay reachable
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        state = scope.setdefault("state", {})

        async def guarded(message: Message) -> None:
            if not state.get(_FLAG):
                await send(message)

        await self.app(scope, receive, guarded)
        return _Dropped() if state.get(_FLAG) else None
