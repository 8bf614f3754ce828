"""The receiver app in process (SQLite and PostgreSQL): what each kind of delivery gets."""

from __future__ import annotations

import json
import logging
import time
import warnings

import pytest

with warnings.catch_warnings():
    # Starlette's TestClient runs on httpx, which this project uses; its hint is noise.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient
from polling import wait_for
from webhook_helpers import SECRET, body_of, payment_event, signed_headers

from linksplus.devserver import free_port
from linksplus.eventlog import EventLog
from linksplus.eventlog.ingest import event_write
from linksplus.webhooks.payload import MAX_BODY_BYTES
from linksplus.webhooks.receiver import WEBHOOK_PATH, create_app
from linksplus.webhooks.signing import generate_secret


@pytest.fixture
def event_log(db_url):
    with EventLog(db_url) as log:
        yield log


@pytest.fixture
def client(event_log):
    with TestClient(create_app(event_log, secret=SECRET)) as test_client:
        yield test_client


def post(client, payload=None, *, body=None, headers=None, secret=SECRET, **sign):
    body = body_of(payload) if body is None else body
    if headers is None:
        headers = signed_headers(body, secret, **sign) if secret else {}
    return client.post(WEBHOOK_PATH, content=body, headers=headers)


def rejections(event_log, count):
    """The newest `count` delivery-log rows once they are all written (logged async)."""
    wait_for(
        lambda: len(event_log.deliveries(limit=count)) == count,
        message=f"{count} delivery-log rows",
    )
    frame = event_log.deliveries(limit=count)
    assert set(frame.outcome) == {"rejected"}
    return frame


def test_new_then_duplicate_is_stored_once_and_logged(client, event_log):
    first = post(client, payment_event("chrg_1"))
    again = post(client, payment_event("chrg_1"))

    assert (first.status_code, first.json()) == (200, {"status": "accepted"})
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert event_log.count() == 1
    log = event_log.deliveries()
    assert log.outcome.tolist() == ["duplicate", "accepted"]
    assert log.payment_id.tolist() == ["chrg_1", "chrg_1"]
    assert log.remote.iloc[0] == "testclient"


def test_acknowledged_means_committed(client, event_log):
    # A second, independent connection sees the row the moment the answer arrives.
    assert post(client, payment_event("chrg_now")).json() == {"status": "accepted"}
    with EventLog(event_log.url) as other:
        assert other.events().payment_id.tolist() == ["chrg_now"]


def test_unknown_fields_are_kept_as_received(client, event_log):
    body = (
        b'{"event":"payment.completed","link_id":5,"extra":{"x":[1,2]},'
        b'"payment":{"id":"p","amount":5,"currency":"JPY","status":"successful",'
        b'"card":"visa"},"timestamp":"2026-02-14T10:35:00Z"}'
    )
    assert post(client, body=body).status_code == 200
    row = event_log.export().iloc[0]
    assert row.payload == body.decode() and row.currency == "jpy"
    assert json.loads(row.payload)["payment"]["card"] == "visa"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"event": "payment.completed", ', None),
        (b"[]", None),
        (body_of({k: v for k, v in payment_event().items() if k != "payment"}), "payment"),
        (body_of(payment_event(link_id="789")), "link_id"),
        (body_of(payment_event(amount=-100)), "payment.amount"),
        (body_of(payment_event(amount=10.5)), "payment.amount"),
        (body_of(payment_event(currency="bahts")), "payment.currency"),
        (body_of(payment_event(timestamp="not a time")), "timestamp"),
    ],
)
def test_bad_payloads_get_400_naming_the_field(client, event_log, body, field):
    resp = post(client, body=body)

    assert resp.status_code == 400
    assert resp.json()["status"] == "rejected"
    assert resp.json().get("field") == field
    if field:
        assert field in resp.json()["reason"]
    else:
        assert resp.json()["reason"]
    assert event_log.count() == 0
    assert rejections(event_log, 1).reason.iloc[0] == resp.json()["reason"]


def test_oversize_bodies_get_413(client, event_log):
    padding = "x" * MAX_BODY_BYTES
    big = body_of(payment_event("chrg_big", padding=padding))
    assert post(client, body=big).status_code == 413

    def chunks():  # chunked: no Content-Length, so only the streamed size tells
        for i in range(0, len(big), 8192):
            yield big[i : i + 8192]

    chunked = client.post(WEBHOOK_PATH, content=chunks(), headers=signed_headers(big))
    assert chunked.status_code == 413
    assert event_log.count() == 0
    reasons = rejections(event_log, 2).reason.tolist()
    assert reasons == [f"body larger than {MAX_BODY_BYTES} bytes"] * 2

    fits = payment_event("chrg_fits")
    fits["padding"] = "x" * (MAX_BODY_BYTES - len(body_of(fits)) - len(', "padding": ""'))
    body = body_of(fits)
    assert len(body) == MAX_BODY_BYTES
    assert post(client, body=body).status_code == 200


def test_signature_failures_get_401_and_store_nothing(client, event_log):
    body = body_of(payment_event("chrg_sig"))
    now = int(time.time())
    captured = signed_headers(body, timestamp=now - 60)
    replayed = {**captured, "Omise-Signature-Timestamp": str(now)}  # fresh time, old sig
    cases = {
        "unsigned": {"Content-Type": "application/json"},
        "other secret": signed_headers(body, generate_secret()),
        # Well past the 300 s tolerance (its exact edge is a signing unit test): the posts
        # before this one take time, and `now` was rounded down.
        "stale": signed_headers(body, timestamp=now - 330),
        "future": signed_headers(body, timestamp=now + 330),
        "replayed with a fresh timestamp": replayed,
        "garbage signature": {**signed_headers(body), "Omise-Signature": "zz"},
    }
    for name, headers in cases.items():
        resp = post(client, body=body, headers=headers)
        assert resp.status_code == 401, name
        assert resp.json()["reason"].startswith("signature"), name
    tampered = body_of(payment_event("chrg_sig", amount=1))
    assert post(client, body=tampered, headers=signed_headers(body)).status_code == 401

    assert event_log.count() == 0
    log = rejections(event_log, len(cases) + 1)
    assert (log.payment_id == "chrg_sig").all()  # what the rejected delivery claimed
    # The genuine delivery, and its replay within the tolerance, still count once.
    assert post(client, body=body, headers=captured).json() == {"status": "accepted"}
    assert post(client, body=body, headers=captured).json() == {"status": "duplicate"}
    assert event_log.count() == 1


def test_either_secret_works_during_a_rotation(event_log):
    old, new = generate_secret(), generate_secret()
    with TestClient(create_app(event_log, secret=f"{old}, {new}")) as client:
        assert post(client, payment_event("a"), secret=old).status_code == 200
        assert post(client, payment_event("b"), secret=new).status_code == 200
        both = body_of(payment_event("c"))
        assert (
            post(
                client, body=both, headers=signed_headers(both, [generate_secret(), new])
            ).status_code
            == 200
        )
        assert post(client, payment_event("d"), secret=generate_secret()).status_code == 401
    assert event_log.count() == 3


def test_a_secret_that_is_not_base64_is_refused_at_start(event_log):
    with pytest.raises(ValueError, match="base64"):
        create_app(event_log, secret="not base64!")


def test_without_a_secret_unsigned_events_are_accepted_with_a_warning(event_log, caplog):
    with caplog.at_level(logging.WARNING, logger="linksplus.webhooks.receiver"):
        app = create_app(event_log)
    assert "UNSIGNED events are accepted" in caplog.text
    with TestClient(app) as client:
        assert post(client, payment_event(), secret=None).json() == {"status": "accepted"}


def test_healthz(client, event_log):
    post(client, payment_event())
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json() == {
        "status": "ok",
        "database": {"ok": True, "backend": event_log.backend, "events": 1},
    }


def test_a_database_that_is_down_gets_503_so_the_sender_retries():
    url = f"postgresql+psycopg://u@127.0.0.1:{free_port()}/none"
    with TestClient(create_app(url, secret=SECRET)) as client:
        assert client.get("/healthz").status_code == 503
        assert client.get("/healthz").json()["database"]["ok"] is False
        resp = post(client, payment_event())
        assert resp.status_code == 503
        assert "retry" in resp.json()["reason"]


def test_a_batch_mixing_stored_and_new_events_tells_each_apart(event_log):
    # One group-commit batch where some events are already stored, some are new and some
    # repeat within the batch: each delivery gets its own answer, and each is logged.
    for payment_id in ("p1", "p3"):
        assert event_log.record(payment_event(payment_id)) is True
    ids = ["p0", "p1", "p2", "p3", "p2", "p4", "p1"]
    batch = [event_write(payment_event(p), remote="10.0.0.9") for p in ids]
    results = event_log._writer.submit_many(batch).result()
    assert results == [True, False, True, False, False, True, False]
    assert event_log.count() == 5
    # Every stored event is an accepted entry (the two stored first too); 4 duplicates.
    assert sorted(event_log.deliveries().outcome) == ["accepted"] * 5 + ["duplicate"] * 4
