"""What one client may hold of the receiver: header bytes, time and connections.

uvicorn's httptools protocol (the fast one) reads a request's headers for as long and as
far as the client sends them, and keeps a connection that never finishes its headers open
forever: a 100 MB header went into memory before the receiver could answer 401, and a few
hundred sockets trickling bytes used up its file descriptors. `limited_protocol` makes
the same protocol refuse, per connection:

- headers larger than `max_header_bytes`: 431, after reading at most one socket read
  (256 KiB) past the limit;
- headers not complete `header_timeout` seconds after the connection opened or its
  previous request ended: 408, and closed (the keep-alive wait between requests is
  uvicorn's ``timeout_keep_alive``);
- a body not complete `body_timeout` seconds after its headers: 408, and closed;
- connections beyond `max_connections`: 503 at once, and closed.
"""

from __future__ import annotations

import asyncio
import resource

MAX_HEADER_BYTES = 16 * 1024  # Omise's headers are well under 2 KiB; h11's default limit
HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 10.0
KEEP_ALIVE_TIMEOUT = 5
MAX_CONNECTIONS = 2000
# Descriptors kept for what is not a client: the listening socket, the worker's socket,
# the database files, logs, the health check's threads.
_RESERVED_FDS = 64
# A refused client still sending its headers gets this long to read the answer before
# the socket is closed (closing on unread data would reset the connection and lose it).
_LINGER_SECONDS = 1.0


def _response(status: int, reason: str, text: str) -> bytes:
    body = text.encode()
    return (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode() + body


def connection_limit(wanted: int = MAX_CONNECTIONS) -> int:
    """`wanted`, or fewer when the process may not open that many files.

    Raises this process's soft limit on open files to its hard limit first (servers
    commonly start with a soft limit of 1,024), so the cap is the receiver's, not the
    shell's.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, wanted + _RESERVED_FDS)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return max(1, min(wanted, soft - _RESERVED_FDS))


def limited_protocol(
    *,
    max_header_bytes: int = MAX_HEADER_BYTES,
    header_timeout: float = HEADER_TIMEOUT,
    body_timeout: float = BODY_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol with these limits (pass it as uvicorn's ``http``)."""
    # Imported here: the CLI reads this module's defaults without loading uvicorn.
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class LimitedHttpToolsProtocol(HttpToolsProtocol):
        # Timers start only when a read leaves headers or body incomplete: a request that
        # comes in one read, as deliveries do, costs no timer at all.
        _header_bytes = 0
        _headers_done = False
        _body_done = True
        _timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                self._refuse(503, "Service Unavailable", "Too many connections; retry later.")
                return
            # From the connection's start: one that sends nothing is closed as well.
            self._timer = self.loop.call_later(header_timeout, self._too_slow)

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_timer()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if not self._headers_done:
                self._header_bytes += len(data)
            super().data_received(data)
            if self.transport.is_closing():
                return
            if not self._headers_done:
                if self._header_bytes > max_header_bytes:
                    self._refuse(
                        431,
                        "Request Header Fields Too Large",
                        f"The request's headers exceed {max_header_bytes} bytes.",
                    )
                elif self._timer is None and self._header_bytes:
                    self._timer = self.loop.call_later(header_timeout, self._too_slow)
            elif not self._body_done and self._timer is None:
                self._timer = self.loop.call_later(body_timeout, self._too_slow)

        def on_headers_complete(self) -> None:
            self._headers_done, self._body_done, self._header_bytes = True, False, 0
            self._stop_timer()
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._stop_timer()
            # The next request's headers are counted from their first byte; until then
            # the connection is idle, which uvicorn's keep-alive limit bounds.
            self._headers_done, self._body_done = False, True

        def _stop_timer(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _too_slow(self) -> None:
            self._timer = None
            if self.transport.is_closing():
                return
            if not self._headers_done:
                if self.cycle is not None and not self.cycle.response_complete:
                    return  # still answering the previous request (pipelined bytes came early)
                if self._header_bytes:  # begun and not finished; an idle one just closes
                    self.transport.write(
                        _response(408, "Request Timeout", "The request's headers came too slowly.")
                    )
            elif not self._body_done:
                # The app is still waiting for the body: it sees the client go.
                self.transport.write(
                    _response(
                        408,
                        "Request Timeout",
                        f"The body did not arrive within {body_timeout:g} s.",
                    )
                )
            else:
                return
            self.transport.close()

        def _refuse(self, status: int, reason: str, text: str) -> None:
            self._stop_timer()
            self._headers_done = True  # nothing more is parsed or counted
            self.transport.write(_response(status, reason, text))
            self.transport.pause_reading()
            self.loop.call_later(_LINGER_SECONDS, self.transport.close)

    return LimitedHttpToolsProtocol
