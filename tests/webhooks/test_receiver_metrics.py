"""What an operator watches (issue 19 §6): the receiver's /metrics, its JSON log lines with
request ids, and that neither the secret nor a traceback's worth of it reaches a log."""

from __future__ import annotations

import json
import os
import signal
import socket
import time

import requests
from polling import wait_for
from prometheus_client.parser import text_string_to_metric_families
from webhook_helpers import SECRET, body_of, children, payment_event, signed_headers

from linksplus.devserver import free_port

ARTIFACTS_LOGS = os.path.join(os.path.dirname(__file__), "..", "..", "test-artifacts", "logs")


def scrape(server) -> dict[str, list]:
    """{family name: [(sample name, labels, value), ...]} of the receiver's /metrics."""
    resp = requests.get(f"{server.base}/metrics", timeout=30)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    return {
        family.name: [(s.name, s.labels, s.value) for s in family.samples]
        for family in text_string_to_metric_families(resp.text)
    }


def value(families: dict, sample: str, **labels) -> float:
    family = families[sample.removesuffix("_total").removesuffix("_count").removesuffix("_sum")]
    (found,) = [v for name, lab, v in family if name == sample and lab == labels]
    return found


def post(server, payload, *, secret: str | None = SECRET, path: str = "") -> requests.Response:
    body = body_of(payload)
    headers = signed_headers(body, secret) if secret else {"Content-Type": "application/json"}
    return requests.post(server.url + path, data=body, headers=headers, timeout=30)


def fresh_log_port() -> int:
    """A free port whose receiver log file (appended to by the fixture) starts empty."""
    port = free_port()
    path = os.path.join(ARTIFACTS_LOGS, f"receiver-{port}.log")
    if os.path.exists(path):
        os.unlink(path)
    return port


def test_metrics_count_each_outcome_the_batches_and_the_newest_event(start_receiver, db_url):
    server = start_receiver(db_url, secret=SECRET)
    before = time.time()
    assert post(server, payment_event("chrg_m1")).json() == {"status": "accepted"}
    assert post(server, payment_event("chrg_m2")).json() == {"status": "accepted"}
    assert post(server, payment_event("chrg_m1")).json() == {"status": "duplicate"}
    assert post(server, payment_event("chrg_m3"), secret=None).status_code == 401
    assert post(server, {"event": "payment.completed"}).status_code == 400
    assert post(server, payment_event("chrg_m4"), path="/nowhere").status_code == 404
    big = requests.post(server.url, data=b"x" * 70_000, timeout=30)
    assert big.status_code == 413

    families = scrape(server)
    deliveries = "linksplus_deliveries_total"
    assert value(families, deliveries, outcome="stored", reason="") == 2
    assert value(families, deliveries, outcome="duplicate", reason="") == 1
    assert value(families, deliveries, outcome="refused", reason="signature") == 1
    assert value(families, deliveries, outcome="refused", reason="invalid") == 1
    assert value(families, deliveries, outcome="refused", reason="unknown_path") == 1
    assert value(families, deliveries, outcome="refused", reason="too_large") == 1
    assert value(families, deliveries, outcome="failed", reason="") == 0
    # Every delivery the worker saw was committed in some transaction, and timed.
    assert value(families, "linksplus_batch_size_count") >= 1
    assert value(families, "linksplus_batch_size_sum") >= 5
    assert value(families, "linksplus_commit_seconds_count") >= 1
    assert value(families, "linksplus_commit_seconds_sum") > 0
    newest = value(families, "linksplus_newest_event_timestamp_seconds")
    assert before - 1 <= newest <= time.time()
    assert value(families, "linksplus_healthy") == 1
    assert value(families, "linksplus_worker_restarts_total") == 0


def test_the_newest_event_time_is_read_back_after_a_restart(start_receiver, sqlite_url):
    server = start_receiver(sqlite_url)
    assert post(server, payment_event("chrg_r1"), secret=None).status_code == 200
    stored = value(scrape(server), "linksplus_newest_event_timestamp_seconds")
    server.stop()
    again = start_receiver(sqlite_url)
    # The database keeps microseconds: the same instant, not the restart's.
    assert abs(value(scrape(again), "linksplus_newest_event_timestamp_seconds") - stored) < 0.01


def test_a_killed_worker_counts_as_a_restart_and_health_shows_in_metrics(
    start_receiver, sqlite_url
):
    server = start_receiver(sqlite_url)
    (worker,) = children(server.proc.pid)
    os.kill(worker, signal.SIGKILL)
    families = wait_for(
        lambda: (f := scrape(server)) and value(f, "linksplus_worker_restarts_total") == 1 and f,
        timeout=15,
        message="the restart to be counted",
    )
    assert value(families, "linksplus_worker_restarts_total") == 1
    assert post(server, payment_event("chrg_k1"), secret=None).json() == {"status": "accepted"}


def test_json_logs_are_one_object_a_line_with_the_request_id_and_no_secret(
    start_receiver, sqlite_url
):
    server = start_receiver(
        sqlite_url, port=fresh_log_port(), secret=SECRET, args=("--log-format", "json")
    )
    refused = post(server, payment_event("chrg_j1"), secret=None)  # unsigned: 401, logged
    assert refused.status_code == 401
    request_id = refused.headers["X-Request-Id"]
    ok = post(server, payment_event("chrg_j2"))
    assert ok.headers["X-Request-Id"] not in ("", request_id)
    # An error too: the worker killed with a delivery in flight is logged by both processes.
    (worker,) = children(server.proc.pid)
    os.kill(worker, signal.SIGKILL)
    post(server, payment_event("chrg_j3"))
    server.stop()

    lines = [line for line in server.log_path.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    for record in records:
        assert set(record) >= {"time", "level", "logger", "message", "request_id"}
        assert record["time"].endswith("Z") and "T" in record["time"]
    (mine,) = [r for r in records if r["request_id"] == request_id]
    assert mine["level"] == "INFO" and "refused a delivery" in mine["message"]
    assert "signature" in mine["message"]
    assert any("Uvicorn running" in r["message"] for r in records)  # uvicorn's lines too
    assert SECRET not in server.log_path.read_text()


def test_text_logs_stay_the_default(start_receiver, sqlite_url):
    server = start_receiver(sqlite_url, port=fresh_log_port())
    refused = post(server, {"event": "x"}, secret=None)
    assert refused.status_code == 400 and refused.headers["X-Request-Id"]
    server.stop()
    text = server.log_path.read_text()
    assert f"listening on http://127.0.0.1:{server.port}/webhooks/linksplus" in text
    assert "WARNING linksplus.webhooks.receiver: No webhook secret is set" in text
    assert not any(line.startswith("{") for line in text.splitlines())


def test_refusals_at_the_door_are_counted_by_reason(start_receiver, sqlite_url):
    # A cap of 20 lets one address hold 2 connections (a tenth).
    server = start_receiver(sqlite_url, args=("--max-connections", "20"))
    held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(2)]
    try:
        time.sleep(0.3)
        extra = socket.create_connection(("127.0.0.1", server.port))
        extra.settimeout(5)
        assert extra.recv(4096).startswith(b"HTTP/1.1 503 ")
        extra.close()
        held[0].sendall(b"POST /webhooks/linksplus HTTP/1.1\r\nHost: x\r\nX-Padding: ")
        held[0].sendall(b"a" * 20_000)  # headers past 16 KiB, never finished
        held[0].settimeout(5)
        assert held[0].recv(4096).startswith(b"HTTP/1.1 431 ")
    finally:
        for sock in held:
            sock.close()
    families = wait_for(
        lambda: (
            (f := scrape(server))
            and value(f, "linksplus_http_refused_total", reason="headers_too_large") >= 1
            and f
        ),
        timeout=10,
        message="the refusals to be counted",
    )
    assert value(families, "linksplus_http_refused_total", reason="headers_too_large") == 1
    assert value(families, "linksplus_http_refused_total", reason="too_many_connections") == 1
    assert value(families, "linksplus_http_refused_total", reason="too_slow") == 0
