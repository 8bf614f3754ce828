"""A test-only proxy in front of a sandbox that accepts one auth style only.

The sandbox accepts the key in all three styles; the real service may accept one. This
proxy answers 401, as Omise does, to every other style, forwards the accepted one to the
sandbox unchanged, and records the style of each request it saw.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import requests

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def style_of(header: str | None) -> str | None:
    """The auth style of an Authorization header: basic, bearer, raw, or None if absent."""
    if not header:
        return None
    scheme = header.split(" ", 1)[0].lower()
    return scheme if scheme in ("basic", "bearer") else "raw"


class AuthProxy:
    """``with AuthProxy(sandbox_url, "bearer") as proxy:`` serves on `proxy.url`."""

    def __init__(self, upstream: str, accepts: str):
        self.upstream = upstream.rstrip("/")
        self.accepts = accepts
        self.seen: list[str | None] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                style = style_of(self.headers.get("Authorization"))
                proxy.seen.append(style)
                if style != proxy.accepts:
                    self._send(
                        401,
                        orjson.dumps(
                            {
                                "object": "error",
                                "code": "authentication_failure",
                                "message": "authentication failed",
                            }
                        ),
                        {"Content-Type": "application/json"},
                    )
                    return
                length = int(self.headers.get("Content-Length") or 0)
                resp = requests.request(
                    self.command,
                    proxy.upstream + self.path,
                    data=self.rfile.read(length) if length else None,
                    headers={k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP},
                    timeout=30,
                )
                headers = {k: v for k, v in resp.headers.items() if k.lower() not in HOP_BY_HOP}
                self._send(resp.status_code, resp.content, headers)

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _forward

            def log_message(self, *args: object) -> None:  # quiet in test output
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> AuthProxy:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
