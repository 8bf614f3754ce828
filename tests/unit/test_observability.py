"""The app's metrics in plain Python (issue 19 §6): API calls and errors counted by the
client's transport, the metrics server, and the JSON log formatter."""

from __future__ import annotations

import io
import json
import logging

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from linksplus.client import LinksPlusClient
from linksplus.devserver import free_port
from linksplus.errors import APIConnectionError, AuthenticationError, NotFoundError
from linksplus.observability import app_metrics
from linksplus.observability.logs import REQUEST_ID, configure_logging


def scraped(port: int) -> dict[tuple[str, tuple], float]:
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def calls(port: int, method: str) -> float:
    return scraped(port).get(("linksplus_app_api_calls_total", (("method", method),)), 0.0)


def errors(port: int, kind: str) -> float:
    return scraped(port).get(("linksplus_app_api_errors_total", (("kind", kind),)), 0.0)


def test_api_calls_and_errors_are_counted_by_kind_and_served(sandbox):
    sandbox.seed_links(101, 3)
    port = app_metrics.start_server(0)
    assert app_metrics.start_server(0) == port  # once per process
    gets, auth = calls(port, "GET"), errors(port, "authentication_failure")
    missing, down = errors(port, "not_found"), errors(port, "connection_error")

    good = LinksPlusClient(
        sandbox.api_key, base_url=sandbox.url, session=app_metrics.CountingSession()
    )
    good.list_links(101)
    with pytest.raises(NotFoundError):
        good.get_link(999_999)
    bad = LinksPlusClient(
        "skey_test_wrong_0000", base_url=sandbox.url, session=app_metrics.CountingSession()
    )
    with pytest.raises(AuthenticationError):
        bad.list_links(101)
    closed = LinksPlusClient(
        "skey_x",
        base_url=f"http://127.0.0.1:{free_port()}",
        max_retries=0,
        session=app_metrics.CountingSession(),
    )
    with pytest.raises(APIConnectionError):
        closed.list_links(101)

    assert calls(port, "GET") - gets == 4
    assert errors(port, "authentication_failure") - auth == 1
    assert errors(port, "not_found") - missing == 1
    assert errors(port, "connection_error") - down == 1


def test_active_sessions_count_those_seen_recently(monkeypatch):
    sessions = app_metrics._Sessions()
    sessions.seen("a")
    sessions.seen("b")
    sessions.seen("a")
    assert sessions.active() == 2
    monkeypatch.setattr(app_metrics, "ACTIVE_WINDOW", -1.0)  # all of them long ago
    assert sessions.active() == 0


@pytest.fixture
def root_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_time_level_logger_message_and_request_id(root_logging):
    out = io.StringIO()
    configure_logging("json", logging.INFO, stream=out)
    token = REQUEST_ID.set("abc123")
    try:
        logging.getLogger("linksplus.test").warning("two\nlines %s", "here")
    finally:
        REQUEST_ID.reset(token)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("linksplus.test").exception("failed")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["message"] == "two\nlines here" and first["request_id"] == "abc123"
    assert first["level"] == "WARNING" and first["logger"] == "linksplus.test"
    assert first["time"].endswith("Z")
    assert second["request_id"] is None and "ValueError: boom" in second["exception"]


def test_text_stays_the_readable_default(root_logging):
    out = io.StringIO()
    configure_logging(stream=out, level=logging.INFO)
    logging.getLogger("linksplus.test").info("hello")
    assert out.getvalue().endswith(" INFO linksplus.test: hello\n")
    with pytest.raises(ValueError, match="text, json"):
        configure_logging("yaml")
