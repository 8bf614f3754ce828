"""The receiver's worker process: deliveries from an event loop, checked and stored by a child.

What the receiver relies on: an outcome only after the commit, exactly once across batches,
refusals with their status and reason (and logged), nothing lost when it stops, a dead
worker failing only what it held (then replaced), and neither the database URL nor the
secret on a command line.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest
from webhook_helpers import SECRET, body_of, payment_event, signed_headers

from linksplus.eventlog import EventLog
from linksplus.webhooks import worker as worker_module
from linksplus.webhooks.delivery import Delivery, Rejection
from linksplus.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER
from linksplus.webhooks.worker import WebhookWorker, WorkerError


@pytest.fixture
def event_log(db_url):
    with EventLog(db_url) as log:
        yield log


def delivery(
    payment_id: str, *, secret: str = SECRET, body: bytes | None = None, **sign
) -> Delivery:
    body = body_of(payment_event(payment_id)) if body is None else body
    headers = signed_headers(body, secret, **sign)
    return Delivery(
        body, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], "10.0.0.1", time.time()
    )


def outcomes(worker: WebhookWorker, deliveries: list[Delivery]) -> list:
    """Submit all in one loop turn, await each (a Rejection is an outcome), then stop."""

    async def run() -> list:
        futures = [worker.submit(d) for d in deliveries]
        try:
            return list(await asyncio.gather(*futures, return_exceptions=True))
        finally:
            await worker.aclose()

    return asyncio.run(run())


def test_deliveries_are_stored_once_each_by_a_child_process(event_log):
    worker = WebhookWorker(event_log.url, [SECRET])
    ids = [f"chrg_{i}" for i in range(300)]

    assert outcomes(worker, [delivery(p) for p in ids[:200]]) == [True] * 200
    # From a second loop (a new child): known events are duplicates, new ones are new.
    assert outcomes(worker, [delivery(p) for p in ids[100:]]) == [False] * 100 + [True] * 100
    assert event_log.count() == 300
    counts = event_log.delivery_counts().set_index("outcome")["count"].to_dict()
    assert counts == {"accepted": 300, "duplicate": 100}


def test_refusals_come_back_with_their_status_and_are_logged(event_log):
    worker = WebhookWorker(event_log.url, [SECRET])
    bad_field = body_of(payment_event("chrg_bad", amount=-5))
    results = outcomes(
        worker,
        [
            delivery("chrg_ok"),
            delivery("chrg_forged", secret="d3Jvbmcgc2VjcmV0"),
            delivery("chrg_old", timestamp=1_000_000_000),
            delivery("", body=bad_field),
            delivery("", body=b"{not json"),
        ],
    )

    assert results[0] is True
    refused = [(r.status, r.field) for r in results[1:]]
    assert all(isinstance(r, Rejection) for r in results[1:])
    assert refused == [(401, None), (401, None), (400, "payment.amount"), (400, None)]
    assert "timestamp" in results[2].reason
    assert event_log.count() == 1
    log = event_log.deliveries()
    rejected = log[log.outcome == "rejected"]
    assert len(rejected) == 4
    # What a refused body claimed is kept, for whoever reads the log.
    assert {"chrg_forged", "chrg_old", "chrg_bad"} <= set(rejected.payment_id)


def test_a_body_nested_too_deeply_is_refused_and_the_worker_lives_on(event_log):
    worker = WebhookWorker(event_log.url, [])  # unsigned: anyone may send anything

    async def run() -> tuple[list, set]:
        before = worker.submit(delivery("chrg_before"))
        pids = {worker.pid}
        nested = worker.submit(delivery("", body=b"[" * 200_000))
        results = await asyncio.gather(before, nested, return_exceptions=True)
        results.append(await worker.submit(delivery("chrg_after")))
        pids.add(worker.pid)
        await worker.aclose()
        return results, pids

    results, pids = asyncio.run(run())
    assert results[0] is True and results[2] is True
    assert isinstance(results[1], Rejection) and results[1].status == 400
    assert "nested too deeply" in results[1].reason
    assert len(pids) == 1  # the same worker throughout
    assert event_log.count() == 2


def test_the_worker_stores_and_exits_before_aclose_returns(event_log):
    worker = WebhookWorker(event_log.url, [SECRET])

    async def run() -> tuple[int, list]:
        futures = [worker.submit(delivery(f"c{i}")) for i in range(50)]
        pid = worker.pid
        await worker.aclose()  # at once: nothing has been answered yet
        return pid, [f.result() for f in futures]

    pid, results = asyncio.run(run())
    assert results == [True] * 50
    assert event_log.count() == 50
    assert not Path(f"/proc/{pid}").exists()


def test_a_dead_worker_fails_what_it_held_and_the_next_delivery_starts_another(event_log):
    worker = WebhookWorker(event_log.url, [SECRET])

    async def run() -> tuple[list, bool, int, int]:
        assert await worker.submit(delivery("before")) is True
        first = worker.pid
        os.kill(first, signal.SIGKILL)
        held = await asyncio.gather(worker.submit(delivery("held")), return_exceptions=True)
        after = await worker.submit(delivery("after"))
        second = worker.pid
        await worker.aclose()
        return held, after, first, second

    held, after, first, second = asyncio.run(run())
    assert isinstance(held[0], WorkerError)  # the receiver answers 503: sent again later
    assert after is True and second != first
    assert set(event_log.events().payment_id) == {"before", "after"}


def test_a_worker_that_dies_at_start_is_not_restarted_at_once(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")  # the worker cannot make its database's folder here
    worker = WebhookWorker(f"sqlite:///{blocked}/eventlog/events.db", [SECRET])

    async def run() -> tuple[list, int | None, list]:
        first = await asyncio.gather(worker.submit(delivery("a")), return_exceptions=True)
        # At once again: refused without starting another worker that would die as well.
        again = await asyncio.gather(worker.submit(delivery("b")), return_exceptions=True)
        pid = worker.pid
        await asyncio.sleep(worker_module.RESTART_DELAY + 0.2)
        later = await asyncio.gather(worker.submit(delivery("c")), return_exceptions=True)
        await worker.aclose()
        return [*first, *again], pid, later

    refused, pid, later = asyncio.run(run())
    assert all(isinstance(r, WorkerError) for r in refused)
    assert "restarting" in str(refused[1]) and pid is None
    assert isinstance(later[0], WorkerError)  # tried again after the wait, died again
    assert "restarting" not in str(later[0])


def test_neither_the_database_url_nor_the_secret_is_on_a_command_line(db_url):
    marker = "marker4711"
    url = (
        db_url.replace("events.db", f"{marker}.db")
        if db_url.startswith("sqlite")
        else db_url + ("&" if "?" in db_url else "?") + f"application_name={marker}"
    )
    worker = WebhookWorker(url, [SECRET])

    async def run() -> bytes:
        assert await worker.submit(delivery("chrg_1")) is True
        cmdline = Path(f"/proc/{worker.pid}/cmdline").read_bytes()
        await worker.aclose()
        return cmdline

    cmdline = asyncio.run(run())
    assert b"linksplus.webhooks.worker" in cmdline
    assert marker.encode() not in cmdline and SECRET.encode() not in cmdline


def test_a_delivery_from_a_second_running_loop_is_refused(event_log):
    worker = WebhookWorker(event_log.url, [SECRET])

    async def run() -> str:
        assert await worker.submit(delivery("first")) is True

        def from_another_loop() -> str:
            async def submit() -> None:
                await worker.submit(delivery("second"))

            try:
                asyncio.run(submit())
            except RuntimeError as exc:
                return str(exc)
            return "accepted"

        message = await asyncio.to_thread(from_another_loop)
        await worker.aclose()
        return message

    assert "event loop that started it" in asyncio.run(run())
    assert event_log.count() == 1
