"""The documented contract: every request and response example of the product brief and of
the reference notes on Omise's pages, kept as JSON under fixtures/.

Each example is read by the client exactly as the service would send it (answered by a
stand-in transport, so the client's own decoding, models and errors do the reading), and
each is matched in shape (keys and JSON types) by what the sandbox answers for the same
call: a sandbox that drifts from the documentation fails here, not in production.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
from requests.adapters import BaseAdapter

from linksplus import Link, LinksPlusClient, LinksPlusError, Page, Template
from linksplus.devserver import ServerProcess, free_port
from linksplus.webhooks.payload import validate

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLES = {path.stem: json.loads(path.read_text()) for path in sorted(FIXTURES.glob("*.json"))}
MISSING_ID = 987654


def examples(*kinds: str) -> list:
    return [
        pytest.param(example, id=name)
        for name, example in EXAMPLES.items()
        if example["kind"] in kinds
    ]


# -- shapes --------------------------------------------------------------------------------


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}.get(type(value), "null")


def shape_problems(
    documented: Any, got: Any, where: str = "$", alternatives: dict | None = None
) -> list[str]:
    """How `got` differs in shape from `documented`: each documented key present (or its
    documented alternative spelling), with the same JSON type. A documented null is
    "nullable": any type matches it. Extra keys are allowed."""
    alternatives = alternatives or {}
    if documented is None:
        return []
    if json_type(documented) != json_type(got):
        return [f"{where}: {json_type(got)} where the documentation has {json_type(documented)}"]
    problems: list[str] = []
    if isinstance(documented, dict):
        for key, value in documented.items():
            name = key if key in got else alternatives.get(key)
            if name not in got:
                problems.append(f"{where}.{key}: missing")
                continue
            problems += shape_problems(value, got[name], f"{where}.{key}", alternatives)
    elif isinstance(documented, list) and documented and got:
        problems += shape_problems(documented[0], got[0], f"{where}[0]", alternatives)
    return problems


def test_the_shape_check_catches_drift():
    documented = {"id": 1, "name": "x", "additional": None, "data": [{"ok": True}]}
    assert shape_problems(documented, {"id": 2, "name": "y", "additional": "z", "data": []}) == []
    assert shape_problems(documented, {"id": "2", "name": "y", "data": [{"ok": 1}]}) == [
        "$.id: string where the documentation has integer",
        "$.additional: missing",
        "$.data[0].ok: integer where the documentation has boolean",
    ]


# -- the client reads every example ---------------------------------------------------------


class Answering(BaseAdapter):
    """A transport that answers every request with one documented example, and keeps the
    requests the client sent."""

    def __init__(self, status: int, body: Any):
        super().__init__()
        self.status, self.body = status, body
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs) -> requests.Response:
        self.sent.append(request)
        resp = requests.Response()
        resp.status_code = self.status
        resp._content = orjson.dumps(self.body)
        resp.headers["Content-Type"] = "application/json"
        resp.request, resp.url = request, request.url
        return resp

    def close(self) -> None:
        pass


def client_answered_by(status: int, body: Any, **kwargs) -> tuple[LinksPlusClient, Answering]:
    adapter = Answering(status, body)
    session = requests.Session()
    session.mount("https://", adapter)
    kwargs.setdefault("api_key", "skey_test_xxx")
    client = LinksPlusClient(session=session, max_retries=0, **kwargs)
    return client, adapter


def read(client: LinksPlusClient, read_as: str) -> Any:
    if read_as == "link":
        return client.get_link(789)
    if read_as == "template":
        return client.get_template(3655)
    if read_as == "list_links":
        return client.links_page(3388, order="chronological")
    return Page.from_api(client._request("GET", "/external/3388/templates"), Template.from_api)


@pytest.mark.parametrize("example", examples("response", "create"))
def test_the_client_reads_each_documented_answer(example):
    body = example["response"]["body"]
    client, _ = client_answered_by(200, body)
    if example["kind"] == "create":
        request = example["request"]["body"]
        got = client.create_link(**request)
    else:
        got = read(client, example["response"]["read_as"])
    if isinstance(got, Page):
        assert got.total == body["total"] and got.order == body["order"]
        assert (got.from_, got.to, got.location) == (body["from"], body["to"], body["location"])
        got, body = got.data[0], body["data"][0]
    assert got.id == body["id"] and got.name == body["name"]
    if isinstance(got, Link):
        assert (got.amount, got.currency) == (body["amount"], body["currency"])
        assert got.payment_url == body.get("payment_url", body.get("transaction_url"))
        assert got.created_at is not None
    # Nothing the service said is lost: the object reads back as it came (its type tag,
    # "object", is the model's class).
    again = got.to_dict()
    assert {k: again[k] for k in body if k != "object"} == {
        k: v for k, v in body.items() if k != "object"
    }


@pytest.mark.parametrize("example", examples("create"))
def test_the_client_sends_the_documented_create(example):
    request = example["request"]["body"]
    client, adapter = client_answered_by(200, example["response"]["body"])
    client.create_link(**request)
    sent = adapter.sent[0]
    assert (sent.method, sent.path_url) == ("POST", example["request"]["path"])
    assert shape_problems(request, orjson.loads(sent.body)) == []
    assert orjson.loads(sent.body) == request


@pytest.mark.parametrize("example", examples("request"))
def test_the_client_sends_the_documented_auth(example):
    request = example["request"]
    client, adapter = client_answered_by(
        200,
        {"object": "list", "data": [], "total": 0},
        api_key=request["key"],
        auth=request["auth"],
    )
    client.list_all_links()
    assert adapter.sent[0].path_url.startswith(request["path"])
    assert adapter.sent[0].headers["Authorization"] == request["headers"]["Authorization"]


@pytest.mark.parametrize("example", examples("error"))
def test_the_client_reads_each_documented_error(example):
    body, status = example["response"]["body"], example["response"]["status"]
    client, _ = client_answered_by(status, body)
    with pytest.raises(LinksPlusError) as info:
        client.get_template(3655)
    error = info.value
    assert (error.status, error.code, error.server_message) == (
        status,
        body["code"],
        body["message"],
    )
    assert "skey_test_xxx" not in str(error) and str(error).endswith(".")


@pytest.mark.parametrize("example", examples("webhook"))
def test_the_documented_webhook_is_read(example):
    event = validate(example["body"])
    payment = example["body"]["payment"]
    assert (event.link_id, event.payment_id, event.amount, event.currency) == (
        example["body"]["link_id"],
        payment["id"],
        payment["amount"],
        payment["currency"],
    )


# -- the sandbox answers the same shape ------------------------------------------------------


@pytest.fixture
def world(sandbox) -> dict[str, Any]:
    """A team with a template and one link made with every documented field."""
    template = sandbox.control(
        "POST", "/teams/3388/templates", json={"name": "Nike Shoes", "currency": "thb"}
    ).json()
    body = {
        **EXAMPLES["api-create-link"]["request"]["body"],
        "team_id": 3388,
        "template_id": template["id"],
    }
    resp = requests.post(
        f"{sandbox.url}/external/links",
        json=body,
        headers={"Authorization": sandbox.api_key},
        timeout=10,
    )
    resp.raise_for_status()
    return {
        "team_id": 3388,
        "template_id": template["id"],
        "link_id": resp.json()["id"],
        "missing_id": MISSING_ID,
        "create": body,
    }


def sandbox_answer(sandbox, world, request: dict, key: str | None = None) -> requests.Response:
    if request.get("fault"):
        sandbox.faults(**request["fault"])
    body = world["create"] if request["method"] == "POST" else None
    return requests.request(
        request["method"],
        sandbox.url + request["path"].format(**world),
        json=body,
        headers={"Authorization": key or request.get("key") or sandbox.api_key},
        timeout=10,
    )


@pytest.mark.parametrize("example", examples("response", "create", "error"))
def test_the_sandbox_answers_in_the_documented_shape(sandbox, world, example):
    resp = sandbox_answer(sandbox, world, example["request"])
    documented = example["response"]
    assert resp.status_code == documented["status"], resp.text
    problems = shape_problems(
        documented["body"], resp.json(), alternatives=documented.get("alternatives")
    )
    assert problems == []


@pytest.mark.parametrize("example", examples("request"))
def test_the_sandbox_accepts_the_documented_auth(sandbox, world, example):
    request = example["request"]
    header = request["headers"]["Authorization"].replace(request["key"], sandbox.api_key)
    if request["auth"] == "basic":
        header = "Basic " + base64.b64encode(f"{sandbox.api_key}:".encode()).decode()
    resp = sandbox_answer(sandbox, world, request, key=header)
    assert resp.status_code == example["response"]["status"]
    page = Page.from_api(resp.json(), Link.from_api)
    assert resp.json()["object"] == "list" and page.data[0].id == world["link_id"]


@pytest.fixture(scope="module")
def webhook_sandbox(tmp_path_factory):
    """A sandbox whose system webhook posts to a small recorder."""
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = ServerProcess(
        [
            "sandbox",
            "--port",
            str(port),
            "--data",
            "empty",
            "--api-key",
            "skey_test_contract",
            "--webhook-url",
            f"http://127.0.0.1:{server.server_address[1]}/hooks",
        ],
        health_url=f"{url}/_sandbox/health",
        log_path=tmp_path_factory.mktemp("contract") / "sandbox.log",
    ).start()
    try:
        yield url, received
    finally:
        proc.stop()
        server.shutdown()


@pytest.mark.parametrize("example", examples("webhook"))
def test_the_sandbox_sends_the_documented_webhook(webhook_sandbox, example):
    url, received = webhook_sandbox
    seeded = requests.post(f"{url}/_sandbox/teams/3388/links/seed", json={"count": 1}, timeout=10)
    link_id = requests.get(
        f"{url}/external/3388/links", headers={"Authorization": "skey_test_contract"}, timeout=10
    ).json()["data"][0]["id"]
    assert seeded.ok
    requests.post(
        f"{url}/_sandbox/links/{link_id}/payments", json={}, timeout=10
    ).raise_for_status()
    deadline = threading.Event()
    for _ in range(100):
        if received:
            break
        deadline.wait(0.05)
    assert received, "the sandbox sent no webhook"
    payload = json.loads(received[-1])
    assert shape_problems(example["body"], payload) == []
    assert validate(payload).link_id == link_id
