"""Hostile traffic at the receiver: huge headers, slow sockets, too many connections.

Raw sockets, because an HTTP client library would not send what an attacker sends.
"""

from __future__ import annotations

import contextlib
import json
import resource
import selectors
import socket
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


def connect(server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    return sock


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
        sock = connect(server)
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
