"""Schemathesis against the running sandbox and receiver, each checked against the OpenAPI
it serves: no 5xx, and every answer a status and body the description allows.

Bounded so the suite stays quick: a few hundred generated requests per server. The sandbox
is tried on the Links+ API it stands in for (/external); its test controls are left out,
since a generated "every request fails" fault or a million seeded links would be the
controls working as asked, not a bug.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from linksplus.devserver import ServerProcess, free_port

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
KEY = "skey_test_schemathesis"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Per operation and mode (valid, invalid): a few hundred requests per server.
SANDBOX_EXAMPLES = 25
RECEIVER_EXAMPLES = 150
BOUNDED = {
    "deadline": None,
    "suppress_health_check": list(HealthCheck),
    "derandomize": True,  # the same requests each run: a failure here is reproducible
    "database": None,
}


def serve(args: list[str], health: str, name: str) -> tuple[ServerProcess, str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = ServerProcess(
        [*args, "--port", str(port)],
        health_url=base + health,
        log_path=ARTIFACTS / "logs" / f"schemathesis-{name}-{port}.log",
    )
    return server.start(), base


@pytest.fixture(scope="module")
def sandbox_base():
    server, base = serve(
        ["sandbox", "--data", "demo", "--api-key", KEY], "/_sandbox/health", "sandbox"
    )
    yield base
    server.stop()


@pytest.fixture(scope="module")
def receiver_base(tmp_path_factory):
    db = tmp_path_factory.mktemp("schemathesis") / "events.db"
    server, base = serve(["webhooks", "--db", f"sqlite:///{db}"], "/healthz", "receiver")
    yield base
    server.stop()


def fuzz(schema, base: str, examples: int, headers: dict | None = None) -> tuple[int, int]:
    """Every operation of `schema`, with up to `examples` valid and as many invalid
    requests each; (operations, requests) tried. (Schemathesis's own pytest integration,
    which loads a schema from a fixture, does not work with pytest 9; its strategies do.)"""
    operations, requests = 0, 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=examples, **BOUNDED)
            def call(case):
                nonlocal requests
                requests += 1
                case.call_and_validate(base_url=base, headers=headers, checks=CHECKS, timeout=10)

            try:
                call()
            except Unsatisfiable:
                # No invalid request exists (GET /healthz takes no input): nothing to try.
                if mode is not GenerationMode.NEGATIVE:
                    raise
    print(f"\nschemathesis: {requests} requests to {operations} operations of {base}")
    return operations, requests


def test_the_sandbox_api_answers_as_documented(sandbox_base):
    schema = schemathesis.openapi.from_url(f"{sandbox_base}/openapi.json")
    operations, requests = fuzz(
        schema.include(path_regex="^/external/"),
        sandbox_base,
        SANDBOX_EXAMPLES,
        {"Authorization": f"Bearer {KEY}"},
    )
    assert operations == 7 and requests >= 200


def test_the_receiver_answers_as_documented(receiver_base):
    schema = schemathesis.openapi.from_url(f"{receiver_base}/openapi.json")
    operations, requests = fuzz(schema, receiver_base, RECEIVER_EXAMPLES)
    # Deliveries at /webhooks/linksplus and /webhooks/linksplus/{source}, and /healthz.
    assert operations == 3 and requests >= 200
