"""Helpers for the sandbox tests: API calls with the key, polling, and webhook receivers."""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from linksplus.sandbox.controls_client import SandboxControls


def api(sandbox, method: str, path: str, **kwargs) -> requests.Response:
    """A call to the sandbox's Links+ API with its key as the Basic user."""
    kwargs.setdefault("auth", (sandbox.api_key, ""))
    kwargs.setdefault("timeout", 30)
    return requests.request(method, sandbox.url + path, **kwargs)


@dataclass
class Delivery:
    """One request a receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A small HTTP(S) server recording every POST; `failures[path]` answers 500 that often."""

    url: str
    server: ThreadingHTTPServer
    received: list[Delivery] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def at(self, path: str) -> list[Delivery]:
        with self.lock:
            return [d for d in self.received if d.path == path]

    def clear(self) -> None:
        with self.lock:
            self.received.clear()
            self.failures.clear()


def start_receiver(ssl_context: ssl.SSLContext | None = None) -> Receiver:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with receiver.lock:
                receiver.received.append(Delivery(self.path, dict(self.headers), body))
                failing = receiver.failures.get(self.path, 0)
                if failing:
                    receiver.failures[self.path] = failing - 1
            self.send_response(500 if failing else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:  # keep the test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    scheme = "http"
    if ssl_context is not None:
        server.socket = ssl_context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    receiver = Receiver(f"{scheme}://127.0.0.1:{server.server_address[1]}", server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver


@dataclass
class WebhookSandbox:
    """A sandbox sending its webhooks to local receivers (plain HTTP and HTTPS)."""

    url: str
    api_key: str
    secret: str
    plain: Receiver
    tls: Receiver

    def control(self, method: str, path: str, **kwargs) -> requests.Response:
        return SandboxControls(self.url).call(method, path, **kwargs)
