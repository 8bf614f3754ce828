"""Fixtures for the alerts: a real SMTP server in the test process (aiosmtpd), a local
stand-in for LINE's push API that checks requests as LINE documents them, users, and the
event log and workspace databases (SQLite, and PostgreSQL from tests/webhooks/conftest.py)."""

from __future__ import annotations

import json
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from notify.notify_helpers import LINE_TOKEN, TEAM
from webhooks.conftest import db_url, pg_server, pg_url, sqlite_url  # noqa: F401
from webhooks.webhook_helpers import payment_event

from linksplus.console.users import UserRecord, hash_password, save_users
from linksplus.devserver import free_port
from linksplus.eventlog import EventLog
from linksplus.workspace import Workspace

_HASH = hash_password("x")


class MailHandler:
    """aiosmtpd handler: keeps every message; can refuse (451) or hold one before answering."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = 0  # refuse this many more messages with 451
        self.hold_first = False  # keep the next message, then wait for `release` to answer
        self.held = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        with self._lock:
            if self.refuse > 0:
                self.refuse -= 1
                return "451 4.3.0 try again later"
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            hold, self.hold_first = self.hold_first, False
        if hold:
            self.held.set()
            await asyncio.to_thread(self.release.wait, 60)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]


class Smtp:
    def __init__(self, handler: MailHandler, port: int):
        self.handler, self.port = handler, port
        self.url = f"smtp://127.0.0.1:{port}"


@pytest.fixture
def smtp():
    handler = MailHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield Smtp(handler, port)
    handler.release.set()
    controller.stop()


class LineStandIn(BaseHTTPRequestHandler):
    """LINE's push endpoint as its docs describe it: POST /v2/bot/message/push, the channel
    access token as a Bearer token, a JSON body {"to": ..., "messages": [{"type": "text",
    "text": ...}]}. Anything else is answered as LINE would (401, 400, 404)."""

    pushes: list[dict]
    problems: list[str]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        problem = self._problem(body)
        if problem:
            self.problems.append(problem)
            code = 401 if "token" in problem else 404 if "path" in problem else 400
            self._answer(code, {"message": problem})
            return
        self.pushes.append({**json.loads(body), "retry_key": self.headers.get("X-Line-Retry-Key")})
        self._answer(200, {"sentMessages": [{"id": "1", "quoteToken": "q"}]})

    def _problem(self, body: bytes) -> str | None:
        if self.path != "/v2/bot/message/push":
            return f"wrong path {self.path}"
        if self.headers.get("Authorization") != f"Bearer {LINE_TOKEN}":
            return "wrong token"
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            return "not JSON"
        data = json.loads(body)
        messages = data.get("messages")
        if not isinstance(data.get("to"), str) or not isinstance(messages, list):
            return "body must have to and messages"
        if not 1 <= len(messages) <= 5:
            return "1 to 5 messages"
        for m in messages:
            if m.get("type") != "text" or not isinstance(m.get("text"), str):
                return "a message must be {type: text, text}"
        return None

    def _answer(self, code: int, data: dict) -> None:
        raw = json.dumps(data).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def line_api():
    handler = type("Line", (LineStandIn,), {"pushes": [], "problems": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_port}"
    yield handler
    server.shutdown()
    server.server_close()


def users() -> list[UserRecord]:
    def user(name, email, roles, teams):
        return UserRecord(name, name.title(), email, roles, teams, _HASH)

    return [
        user("sales", "sales@example.com", ["sales"], [TEAM]),
        user("somsri", "somsri@example.com", ["sales"], [TEAM]),
        user("noemail", "", ["sales"], [TEAM]),
        user("manager", "manager@example.com", ["manager"], [TEAM, 102]),
        user("other", "other@example.com", ["manager"], [102]),
    ]


@pytest.fixture
def users_file(tmp_path: Path) -> Path:
    path = tmp_path / "users.yaml"
    save_users(path, users())
    return path


class Shop:
    """The event log and workspace of one database: make links and take payments."""

    def __init__(self, url: str):
        self.url = url
        self.log = EventLog(url)
        self.workspace = Workspace(url)
        self.committed: dict[str, float] = {}

    def link(self, link_id: int, owner: str, team: int = TEAM) -> int:
        self.workspace.record_link(link_id, team, owner, "form")
        return link_id

    def pay(self, link_id: int, payment_id: str, amount: int = 125_000, **kw) -> None:
        stamp = "2026-12-07T10:00:00Z"
        event = payment_event(payment_id, link_id=link_id, amount=amount, timestamp=stamp, **kw)
        self.log.record(event)
        self.committed[payment_id] = time.time()

    def close(self) -> None:
        self.log.close()
        self.workspace.close()


@pytest.fixture
def shop(db_url):  # noqa: F811
    s = Shop(db_url)
    yield s
    s.close()


@pytest.fixture
def sqlite_shop(sqlite_url):  # noqa: F811
    s = Shop(sqlite_url)
    yield s
    s.close()
