"""What one client may hold of the receiver: header bytes, time and connections.

uvicorn's httptools protocol reads headers for as long and as far as a client sends them.
`guarded_protocol` puts it behind a guard that calls only its `asyncio.Protocol` methods
(so a uvicorn upgrade cannot quietly turn the limits off) and follows each request on the
raw bytes with its own httptools parser. Per connection, it:

- closes one that sends nothing within `first_request_timeout` seconds;
- answers 431 to headers over `max_header_bytes` (read at most one 256 KiB read past it);
- answers 408 and closes when headers are not complete `header_timeout` s after the
  connection opened or their first byte, or a body `body_timeout` s after its headers;
- answers 503 beyond `max_connections`, beyond `per_client` from one address, or in the
  last `reserved` slots, kept for addresses holding fewer than RESERVE_PER_CLIENT.

Bodies over 64 KiB are `receiver.read_body`'s to refuse (413). `on_refused` hears each.
"""

from __future__ import annotations

import asyncio
import dataclasses
import resource
from collections import Counter
from collections.abc import Callable
from typing import Any, ClassVar

import httptools

MAX_HEADER_BYTES = 16 * 1024  # Omise's headers are well under 2 KiB; h11's default limit
HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 10.0
# Deliveries send their request as soon as they connect; an idle socket is a held slot.
FIRST_REQUEST_TIMEOUT = 3.0
KEEP_ALIVE_TIMEOUT = 5
MAX_CONNECTIONS = 2000
# The reserved slots go to addresses holding fewer connections than this: a sender with a
# few deliveries in flight.
RESERVE_PER_CLIENT = 4
# Refused sockets kept open for their answer to be read, at most, in all and per address;
# more are closed at once (a client re-opening as fast as it is refused gets resets).
MAX_LINGERING = 256
MAX_LINGERING_PER_CLIENT = 8
# Descriptors kept for what is not a client: the listening socket, the worker's socket,
# the database files, logs, the health check's threads; and the refused sockets lingering.
_RESERVED_FDS = 64 + MAX_LINGERING
# A refused client still sending its headers gets this long to read the answer before
# the socket is closed (closing on unread data would reset the connection and lose it).
_LINGER_SECONDS = 1.0


@dataclasses.dataclass(frozen=True)
class Limits:
    """The receiver's limits; `per_client` and `reserved` default to a tenth of the cap."""

    max_header_bytes: int = MAX_HEADER_BYTES
    header_timeout: float = HEADER_TIMEOUT
    body_timeout: float = BODY_TIMEOUT
    first_request_timeout: float = FIRST_REQUEST_TIMEOUT
    max_connections: int = MAX_CONNECTIONS
    per_client: int | None = None
    reserved: int | None = None

    def resolved(self) -> Limits:
        """These limits with the defaults filled in, and one address always leaving the
        reserve free (`per_client` at most `max_connections - reserved`)."""
        cap = max(1, self.max_connections)
        reserved = cap // 10 if self.reserved is None else self.reserved
        reserved = max(0, min(reserved, cap - 1))
        per_client = max(1, cap // 10) if self.per_client is None else self.per_client
        per_client = max(1, min(per_client, cap - reserved))
        return dataclasses.replace(
            self, max_connections=cap, per_client=per_client, reserved=reserved
        )


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


class ConnectionTable:
    """The connections open in one server process, by client address."""

    def __init__(self, limits: Limits):
        self.limits = limits.resolved()
        self.open = 0
        self.by_client: Counter[str] = Counter()
        self.lingering: Counter[str] = Counter()  # refused sockets kept for their answer

    def admit(self, client: str) -> str | None:
        """Count a new connection from `client` in, or say (for a 503) why not."""
        limits, held = self.limits, self.by_client[client]
        if self.open >= limits.max_connections:
            return "Too many connections; retry later."
        if held >= limits.per_client:  # type: ignore[operator]
            return "Too many connections from your address; retry later."
        if (
            self.open >= limits.max_connections - limits.reserved  # type: ignore[operator]
            and held >= RESERVE_PER_CLIENT
        ):
            return "Too many connections; retry later."
        self.open += 1
        self.by_client[client] = held + 1
        return None

    def release(self, client: str) -> None:
        """A connection counted in by `admit` is gone."""
        self.open -= 1
        _discount(self.by_client, client)

    def linger(self, client: str) -> bool:
        """Whether a refused socket of `client` may stay open for its answer to be read
        (then counted until `lingered`)."""
        if (
            self.lingering.total() >= MAX_LINGERING
            or self.lingering[client] >= MAX_LINGERING_PER_CLIENT
        ):
            return False
        self.lingering[client] += 1
        return True

    def lingered(self, client: str) -> None:
        """A socket `linger` let stay is closed."""
        _discount(self.lingering, client)


def _discount(counter: Counter[str], client: str) -> None:
    held = counter[client] - 1
    if held > 0:
        counter[client] = held
    else:
        del counter[client]


def _client_of(transport: asyncio.BaseTransport) -> str:
    peer = transport.get_extra_info("peername")
    # (host, port) for TCP, (host, port, flow, scope) for IPv6; a Unix socket has none.
    return str(peer[0]) if isinstance(peer, tuple) and peer else "local"


# Where a connection's current request is, as the guard's parser sees it.
_IDLE, _HEAD, _BODY, _UNPARSED, _REFUSED = range(5)


class GuardedProtocol(asyncio.Protocol):
    """An HTTP protocol (`inner`) behind the limits; made by `guarded_protocol`."""

    inner: ClassVar[type[asyncio.Protocol]]
    table: ClassVar[ConnectionTable]
    # Told "headers_too_large", "too_slow" or "too_many_connections" at each refusal.
    on_refused: ClassVar[Callable[[str], None] | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The server's arguments go to the HTTP protocol as they came, unread.
        self._inner = self.inner(*args, **kwargs)
        self._limits = self.table.limits
        self._loop = asyncio.get_running_loop()
        self._parser = httptools.HttpRequestParser(self)
        # As uvicorn's parser is set: pipelined bytes after "Connection: close" are no error.
        self._parser.set_dangerous_leniencies(lenient_data_after_close=True)
        self._transport: asyncio.Transport | None = None
        self._client: str | None = None  # set once admitted
        self._state = _IDLE
        self._header_bytes = 0
        self._opened = 0.0
        self._waiting_first = True  # no byte yet: the short first-request timer runs
        self._timer: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol, forwarded to the HTTP protocol --------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        client = _client_of(transport)
        refusal = self.table.admit(client)
        if refusal is not None:  # the HTTP protocol never sees it
            self._refuse(503, "Service Unavailable", refusal)
            return
        self._client, self._opened = client, self._loop.time()
        self._inner.connection_made(transport)
        self._arm(self._limits.first_request_timeout)

    def data_received(self, data: bytes) -> None:
        if self._state == _REFUSED:
            return
        if self._state != _BODY:  # bytes of headers, or of what cannot be followed
            self._header_bytes += len(data)
        if self._state != _UNPARSED:
            self._follow(data)
        self._inner.data_received(data)
        if not self._transport.is_closing():  # type: ignore[union-attr]
            self._check()

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._client is not None else None

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        if self._client is not None:
            self.table.release(self._client)
            self._inner.connection_lost(exc)
            self._client = None

    def pause_writing(self) -> None:
        if self._client is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._client is not None:
            self._inner.resume_writing()

    # -- httptools parser callbacks ------------------------------------------------------

    def on_message_begin(self) -> None:
        self._state = _HEAD

    def on_headers_complete(self) -> None:
        self._state, self._header_bytes, self._waiting_first = _BODY, 0, False
        self._stop_timer()

    def on_message_complete(self) -> None:
        # The next request's headers are counted from their first byte; until then the
        # connection is idle, which uvicorn's keep-alive limit bounds.
        self._state, self._header_bytes = _IDLE, 0
        self._stop_timer()

    # -- the limits ----------------------------------------------------------------------

    def _follow(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade):
            # The HTTP protocol answers 400 to what its parser (the same) refuses; the
            # receiver serves no upgrades. Either way the timer that runs still closes it.
            self._state = _UNPARSED
            if self._timer is None:
                self._arm(self._limits.header_timeout)

    def _check(self) -> None:
        limits, state = self._limits, self._state
        if state != _BODY and self._header_bytes > limits.max_header_bytes:
            self._refuse(
                431,
                "Request Header Fields Too Large",
                f"The request's headers exceed {limits.max_header_bytes} bytes.",
            )
        elif state == _HEAD or (state == _IDLE and self._header_bytes):
            if self._waiting_first:
                # Headers are due `header_timeout` after the connection opened.
                self._waiting_first = False
                self._stop_timer()
                self._arm(self._opened + limits.header_timeout - self._loop.time())
            elif self._timer is None:
                self._arm(limits.header_timeout)
        elif state == _BODY and self._timer is None:
            self._arm(limits.body_timeout)

    def _arm(self, delay: float) -> None:
        # Timers start only when a read leaves headers or body incomplete: a request that
        # comes in one read, as deliveries do, costs no timer beyond the connection's first.
        self._timer = self._loop.call_later(max(0.0, delay), self._too_slow)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _too_slow(self) -> None:
        self._timer = None
        transport = self._transport
        if transport is None or transport.is_closing() or self._state == _REFUSED:
            return
        if self._state == _BODY:
            # The app is still waiting for the body: it sees the client go.
            text = f"The body did not arrive within {self._limits.body_timeout:g} s."
            transport.write(_response(408, "Request Timeout", text))
            self._tell("too_slow")
        elif self._header_bytes and self._state != _UNPARSED:
            # Begun and not finished; one that sent nothing just closes.
            text = "The request's headers came too slowly."
            transport.write(_response(408, "Request Timeout", text))
            self._tell("too_slow")
        transport.close()

    def _tell(self, reason: str) -> None:
        if self.on_refused is not None:
            self.on_refused(reason)

    def _refuse(self, status: int, reason: str, text: str) -> None:
        self._stop_timer()
        self._state = _REFUSED  # nothing more is parsed or counted
        self._tell("headers_too_large" if status == 431 else "too_many_connections")
        transport = self._transport
        transport.write(_response(status, reason, text))  # type: ignore[union-attr]
        transport.pause_reading()  # type: ignore[union-attr]
        client = _client_of(transport)  # type: ignore[arg-type]
        if not self.table.linger(client):
            transport.close()  # type: ignore[union-attr]
            return
        self._loop.call_later(_LINGER_SECONDS, self._end_linger, client)

    def _end_linger(self, client: str) -> None:
        self.table.lingered(client)
        self._transport.close()  # type: ignore[union-attr]


def guarded_protocol(
    limits: Limits | None = None,
    inner: type[asyncio.Protocol] | None = None,
    on_refused: Callable[[str], None] | None = None,
) -> type[asyncio.Protocol]:
    """An HTTP protocol class for uvicorn's ``http`` setting: `inner` (uvicorn's httptools
    one by default) behind `limits`, with one connection table for the server;
    `on_refused` hears the reason of each refusal."""
    if inner is None:
        # Imported here: the CLI reads this module's defaults without loading uvicorn.
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as inner
    attributes = {
        "inner": inner,
        "table": ConnectionTable(limits or Limits()),
        "on_refused": staticmethod(on_refused) if on_refused is not None else None,
    }
    return type("GuardedHttpProtocol", (GuardedProtocol,), attributes)
