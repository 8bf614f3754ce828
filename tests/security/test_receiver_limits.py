"""Hostile traffic at the receiver: huge headers, slow sockets, too many connections.

Raw sockets, because an HTTP client library would not send what an attacker sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import inspect
import json
import resource
import selectors
import socket
import threading
import time
from pathlib import Path

import pytest
import requests
from webhooks.conftest import sqlite_url, start_receiver  # noqa: F401
from webhooks.webhook_helpers import children, payment_event

SLOW_SOCKETS = 500
REQUEST_LINE = b"POST /webhooks/linksplus HTTP/1.1\r\nHost: 127.0.0.1\r\n"


@pytest.fixture(scope="module", autouse=True)
def enough_file_descriptors():
    """500 sockets and the suite's own files: raise the soft limit (the hard one allows)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = SLOW_SOCKETS * 2 + 256
    if soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.fail(f"the hard limit on open files ({hard}) is below {wanted}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def connect(server, source: str | None = None) -> socket.socket:
    """A connection to the receiver, from `source` (a loopback address, 127.0.0.1 when None:
    Linux answers all of 127/8 on the loopback interface)."""
    where = (source, 0) if source else None
    return socket.create_connection(("127.0.0.1", server.port), timeout=5, source_address=where)


def vm_hwm_kb(pid: int) -> int:
    """The process's peak resident memory so far, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def receiver_memory_kb(server) -> int:
    return sum(vm_hwm_kb(pid) for pid in [server.proc.pid, *children(server.proc.pid)])


def test_a_huge_header_gets_431_before_the_receiver_reads_it(start_receiver, sqlite_url):  # noqa: F811
    server = start_receiver(sqlite_url)
    before = receiver_memory_kb(server)
    sock = connect(server)
    sock.sendall(REQUEST_LINE + b"X-Padding: ")
    sock.setblocking(False)
    chunk, offered, sent, answer = b"a" * 65536, 32 * 1024 * 1024, 0, b""
    deadline = time.monotonic() + 10
    with selectors.DefaultSelector() as sel:
        sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
        # Keep sending a never-ending header until the receiver answers or stops reading.
        while sent < offered and not answer and time.monotonic() < deadline:
            for _, events in sel.select(timeout=0.5):
                if events & selectors.EVENT_READ:
                    answer = sock.recv(65536)
                elif events & selectors.EVENT_WRITE:
                    with contextlib.suppress(
                        BlockingIOError, BrokenPipeError, ConnectionResetError
                    ):
                        sent += sock.send(chunk)
    sock.close()
    grown = receiver_memory_kb(server) - before
    print(
        f"\n431 after the client got {sent / 1024:.0f} KiB of header into the socket; "
        f"receiver peak memory grew {grown} KiB"
    )
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert sent < offered  # it did not take all 32 MiB
    assert grown < 8 * 1024  # nor hold them: the cap is 16 KiB, a socket read 256 KiB
    # And it still serves everyone else.
    assert requests.post(server.url, json=payment_event(), timeout=5).status_code == 200


def test_a_delivery_is_answered_at_once_while_500_slow_sockets_are_open(
    start_receiver,  # noqa: F811
    sqlite_url,  # noqa: F811
):
    server = start_receiver(sqlite_url, args=("--header-timeout", "3", "--body-timeout", "3"))
    body = json.dumps(payment_event("chrg_slow_body")).encode()
    slow: list[socket.socket] = []
    opened = time.monotonic()
    for i in range(SLOW_SOCKETS):
        # From ten addresses, 50 each: one address may hold no more than 200 (the default).
        sock = connect(server, f"127.0.0.{2 + i % 10}")
        if i % 2:  # headers that never end
            sock.sendall(REQUEST_LINE + b"Content-Type: application/json\r\nX-Slow: 1")
        else:  # a body that trickles
            sock.sendall(
                REQUEST_LINE
                + b"Content-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body[:5]
            )
        slow.append(sock)
    print(f"\n{len(slow)} slow sockets opened in {time.monotonic() - opened:.2f} s")

    started = time.monotonic()
    resp = requests.post(server.url, json=payment_event("chrg_valid"), timeout=10)
    took = time.monotonic() - started
    print(f"a valid delivery answered in {took * 1000:.0f} ms with {len(slow)} slow sockets open")
    assert (resp.status_code, resp.json()) == (200, {"status": "accepted"})
    assert took < 1.0

    # The receiver closes every slow socket itself, within its timeouts (3 s here), while
    # the trickling bodies keep sending a byte a second.
    answers: dict[socket.socket, bytes] = {sock: b"" for sock in slow}
    open_ = set(slow)
    deadline = time.monotonic() + 8
    next_trickle = time.monotonic() + 1
    with selectors.DefaultSelector() as sel:
        for sock in slow:
            sock.setblocking(False)
            sel.register(sock, selectors.EVENT_READ)
        while open_ and time.monotonic() < deadline:
            if time.monotonic() >= next_trickle:
                for i, sock in enumerate(slow):
                    if i % 2 == 0 and sock in open_:
                        with contextlib.suppress(OSError):
                            sock.send(b" ")
                next_trickle += 1
            for key, _ in sel.select(timeout=0.2):
                sock = key.fileobj
                try:
                    data = sock.recv(4096)
                except (ConnectionResetError, BlockingIOError):
                    data = b""
                if data:
                    answers[sock] += data
                else:
                    open_.discard(sock)
                    sel.unregister(sock)
    closed_after = time.monotonic() - started
    for sock in slow:
        sock.close()
    print(
        f"{len(slow) - len(open_)} of {len(slow)} slow sockets closed by the receiver "
        f"within {closed_after:.1f} s of the valid delivery"
    )
    assert not open_, f"{len(open_)} slow sockets still open"
    slow_headers = [answers[s] for i, s in enumerate(slow) if i % 2]
    slow_bodies = [answers[s] for i, s in enumerate(slow) if i % 2 == 0]
    assert all(a.startswith(b"HTTP/1.1 408 ") for a in slow_headers)
    assert all(a.startswith(b"HTTP/1.1 408 ") and b"did not arrive" in a for a in slow_bodies)


def test_connections_beyond_the_cap_get_503_at_once(start_receiver, sqlite_url):  # noqa: F811
    server = start_receiver(sqlite_url, args=("--max-connections", "50"))
    idle = [connect(server) for _ in range(50)]
    time.sleep(0.3)  # every one accepted before the next come
    extra = [connect(server) for _ in range(5)]
    for sock in extra:
        sock.settimeout(3)
        assert sock.recv(4096).startswith(b"HTTP/1.1 503 ")
    for sock in idle + extra:
        sock.close()
    time.sleep(0.3)
    assert requests.post(server.url, json=payment_event(), timeout=5).status_code == 200


def deliver_from(server, source: str, payment_id: str) -> int | str:
    """POST a delivery from a loopback address of our choosing; the status code, or
    "reset" when the connection was closed before it could be answered."""
    conn = http.client.HTTPConnection(
        "127.0.0.1", server.port, timeout=10, source_address=(source, 0)
    )
    try:
        conn.request(
            "POST",
            "/webhooks/linksplus",
            body=json.dumps(payment_event(payment_id)),
            headers={"Content-Type": "application/json"},
        )
        return conn.getresponse().status
    except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
        return "reset"
    finally:
        conn.close()


class Hog:
    """Idle connections from one address, re-opened as the receiver closes them: the
    attack of issue 23, where 2,100 of them kept every delivery at 503."""

    def __init__(self, server, source: str, count: int):
        self.server, self.source, self.count = server, source, count
        self.socks: list[socket.socket] = []
        self.refused = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._hold, daemon=True)

    def __enter__(self) -> Hog:
        self._refill()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)
        for sock in self.socks:
            sock.close()

    def held(self) -> int:
        """Connections the receiver keeps open without an answer."""
        return sum(1 for sock in self.socks if self._alive(sock))

    def _alive(self, sock: socket.socket) -> bool:
        try:
            data = sock.recv(4096, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return True
        except OSError:
            return False
        return not (data == b"" or data.startswith(b"HTTP/1.1 503 "))

    def _refill(self) -> None:
        for sock in [s for s in self.socks if not self._alive(s)]:
            self.refused += 1
            self.socks.remove(sock)
            sock.close()
        while len(self.socks) < self.count:
            sock = connect(self.server, self.source)
            sock.setblocking(False)  # so that _alive only peeks
            self.socks.append(sock)

    def _hold(self) -> None:
        while not self._stop.wait(0.1):
            with contextlib.suppress(OSError):
                self._refill()


def test_one_address_holding_its_cap_leaves_deliveries_from_others_served(
    start_receiver,  # noqa: F811
    sqlite_url,  # noqa: F811
):
    server = start_receiver(
        sqlite_url,
        args=(
            *("--max-connections", "60", "--max-connections-per-client", "20"),
            *("--first-request-timeout", "30", "--header-timeout", "30"),
        ),
    )
    # One address tries for every slot of the receiver, and keeps trying.
    with Hog(server, "127.0.0.1", 60) as hog:
        time.sleep(1.5)
        print(f"\none address: {hog.held()} connections held, {hog.refused} refused (503)")
        assert hog.held() == 20  # its cap; the rest were refused, and re-opened
        assert deliver_from(server, "127.0.0.2", "chrg_other_address") == 200
        # The cap is the address's own: a delivery from the hog's address waits its turn
        # (503, or a reset once the address has more refused sockets waiting than 8).
        assert deliver_from(server, "127.0.0.1", "chrg_hog_address") in (503, "reset")


def test_the_reserve_serves_a_new_address_while_three_hold_every_other_slot(
    start_receiver,  # noqa: F811
    sqlite_url,  # noqa: F811
):
    server = start_receiver(
        sqlite_url,
        args=(
            *("--max-connections", "60", "--max-connections-per-client", "20"),
            *("--reserved-connections", "6", "--first-request-timeout", "30"),
            *("--header-timeout", "30"),
        ),
    )
    with contextlib.ExitStack() as stack:
        hogs = []
        for source in ("127.0.0.3", "127.0.0.4", "127.0.0.5"):
            hogs.append(stack.enter_context(Hog(server, source, 20)))
            time.sleep(0.5)  # each takes what it can before the next comes
        time.sleep(1.0)
        held = [hog.held() for hog in hogs]
        print(f"\nthree addresses hold {held} of 60 slots; 6 are reserved")
        assert sum(held) == 54  # every slot but the reserve
        assert deliver_from(server, "127.0.0.2", "chrg_new_address") == 200


def test_a_connection_that_sends_nothing_is_closed_sooner_than_a_slow_request(
    start_receiver,  # noqa: F811
    sqlite_url,  # noqa: F811
):
    server = start_receiver(
        sqlite_url, args=("--first-request-timeout", "1", "--header-timeout", "4")
    )
    silent, slow = connect(server), connect(server)
    slow.sendall(REQUEST_LINE)  # a request begun, not finished
    opened = time.monotonic()
    silent.settimeout(4)
    assert silent.recv(4096) == b""  # closed, nothing said: no request to answer
    silent_closed = time.monotonic() - opened
    slow.settimeout(6)
    answer = slow.recv(4096)
    slow_closed = time.monotonic() - opened
    print(f"\nsilent connection closed after {silent_closed:.1f} s, slow one {slow_closed:.1f} s")
    assert 0.8 < silent_closed < 2.0
    assert answer.startswith(b"HTTP/1.1 408 ") and 3.5 < slow_closed < 5.5
    silent.close()
    slow.close()


def test_the_guard_wraps_uvicorns_protocol_through_the_public_asyncio_interface():
    """What the guard still takes from uvicorn: the class that ``http="httptools"`` names,
    built with the arguments uvicorn's server passes, and used as an asyncio.Protocol.
    This fails when uvicorn moves or reshapes it, rather than the limits going quiet."""
    from uvicorn.config import HTTP_PROTOCOLS
    from uvicorn.importer import import_from_string
    from uvicorn.server import Server

    from linksplus.webhooks.limits import GuardedProtocol, Limits, guarded_protocol

    named = import_from_string(HTTP_PROTOCOLS["httptools"])
    guarded = guarded_protocol(Limits())
    assert guarded.inner is named
    assert issubclass(named, asyncio.Protocol)
    # Composition: the guard is no subclass of uvicorn's class, and calls only these.
    assert not issubclass(guarded, named) and issubclass(guarded, GuardedProtocol)
    for method in ("connection_made", "data_received", "eof_received", "connection_lost"):
        assert callable(getattr(named, method))
    # uvicorn's server builds the protocol with these keywords; the guard passes them on.
    inspect.signature(named).bind(config=None, server_state=None, app_state={}, _loop=None)
    assert "http_protocol_class(" in inspect.getsource(Server.startup)
