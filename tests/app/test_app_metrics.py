"""The app's own figures and logs (issue 19 §6): a page run is timed and served with the
API calls it made, on the app's metrics port; JSON log lines never hold the API key."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from linksplus.observability import app_metrics
from linksplus.ui import observe


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def page_runs(page: str) -> float:
    return (
        app_metrics.REGISTRY.get_sample_value("linksplus_app_page_seconds_count", {"page": page})
        or 0.0
    )


def test_a_page_run_is_timed_and_served_with_its_api_calls(make_app, sandbox, monkeypatch):
    sandbox.seed_links(101, 3)
    monkeypatch.setattr(observe, "_started", False)  # this process's first run, again
    runs = page_runs("default")
    gets = (
        app_metrics.REGISTRY.get_sample_value("linksplus_app_api_calls_total", {"method": "GET"})
        or 0.0
    )
    at = make_app("sales", overrides={"app_metrics_port": "127.0.0.1:0"})
    at.run()
    assert not at.exception

    port = app_metrics.server_port()
    assert port is not None
    served = scrape(port)
    assert served[("linksplus_app_page_seconds_count", (("page", "default"),))] == runs + 1
    assert served[("linksplus_app_page_seconds_sum", (("page", "default"),))] > 0
    assert served[("linksplus_app_api_calls_total", (("method", "GET"),))] > gets
    assert served[("linksplus_app_active_sessions", ())] >= 1


@pytest.fixture
def saved_logging():
    """Every handler's formatter and the root's handlers and level, put back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    loggers = [root, *logging.root.manager.loggerDict.values()]
    formats = [(h, h.formatter) for lg in loggers for h in getattr(lg, "handlers", ())]
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for handler, formatter in formats:
        handler.setFormatter(formatter)


def test_json_logs_of_the_app_never_hold_the_api_key(make_app, sandbox, monkeypatch, saved_logging):
    key = "skey_test_neverlogme_0123456789"
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    monkeypatch.setenv("LINKSPLUS_LOG_FORMAT", "json")
    monkeypatch.setattr(observe, "_started", False)
    logging.getLogger().setLevel(logging.DEBUG)  # the client's request lines too
    at = make_app("sales", overrides={"api_key": key})
    at.run()  # Links+ refuses the key: the page shows the error, the log has the calls
    assert not at.exception

    lines = out.getvalue().splitlines()
    assert lines, "nothing was logged"
    records = [json.loads(line) for line in lines]
    assert any(r["logger"] == "linksplus.client" for r in records)
    assert all(r["time"].endswith("Z") for r in records)
    assert any(r["request_id"] for r in records)  # lines of the page run carry its id
    assert key not in out.getvalue()
    assert key[-12:] not in out.getvalue()
