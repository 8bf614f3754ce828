"""The event log's writer process: writes from an event loop, committed by a child process.

What the receiver relies on: a result only after the commit, exactly-once across batches,
no lost write when it stops, a dead child failing only what it held (then replaced), and a
database URL that never shows on a command line.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
from webhook_helpers import payment_event

from linksplus.eventlog import EventLog
from linksplus.eventlog.writer_process import WriterError


@pytest.fixture
def event_log(db_url):
    with EventLog(db_url) as log:
        yield log


def write_all(log: EventLog, payment_ids: list[str]) -> list[bool]:
    """Submit one event per id from an event loop, all in one loop turn, and await them."""

    async def run() -> list[bool]:
        futures = [log.submit_async(log.prepare_record(payment_event(pid), remote="10.0.0.1"))
                   for pid in payment_ids]
        try:
            return list(await asyncio.gather(*futures))
        finally:
            await log.stop_async_writes()

    return asyncio.run(run())


def test_writes_are_committed_once_each_by_a_child_process(event_log):
    ids = [f"chrg_{i}" for i in range(300)]

    assert write_all(event_log, ids[:200]) == [True] * 200
    # A second loop (a new child): known events are duplicates, new ones are new.
    assert write_all(event_log, ids[100:]) == [False] * 100 + [True] * 100
    assert event_log.count() == 300
    outcomes = event_log.delivery_counts().set_index("outcome")["count"].to_dict()
    assert outcomes == {"accepted": 300, "duplicate": 100}


def test_the_child_writes_and_exits_before_stop_returns(event_log):
    async def run() -> tuple[int, list]:
        futures = [event_log.submit_async(event_log.prepare_record(payment_event(f"c{i}")))
                   for i in range(50)]
        pid = event_log._writer_process.pid
        await event_log.stop_async_writes()  # at once: nothing has been answered yet
        return pid, [f.result() for f in futures]

    pid, results = asyncio.run(run())
    assert results == [True] * 50
    assert event_log.count() == 50
    assert not Path(f"/proc/{pid}").exists() or _is_zombie(pid)


def test_a_dead_child_fails_what_it_held_and_the_next_write_starts_another(event_log):
    async def run() -> tuple[list, bool, int, int]:
        writer = event_log._writer_process
        assert await event_log.record_async(payment_event("before")) is True
        first = writer.pid
        os.kill(first, signal.SIGKILL)
        held = event_log.submit_async(event_log.prepare_record(payment_event("held")))
        outcomes = await asyncio.gather(held, return_exceptions=True)
        after = await event_log.record_async(payment_event("after"))
        second = writer.pid
        await event_log.stop_async_writes()
        return outcomes, after, first, second

    outcomes, after, first, second = asyncio.run(run())
    assert isinstance(outcomes[0], WriterError)  # the receiver answers 503: sent again later
    assert after is True and second != first
    assert set(event_log.events().payment_id) == {"before", "after"}


def test_the_database_url_is_not_on_the_child_command_line(db_url):
    marker = "secret-marker-4711"
    url = (db_url.replace("events.db", f"{marker}.db") if db_url.startswith("sqlite")
           else db_url + ("&" if "?" in db_url else "?") + f"application_name={marker}")

    async def run() -> bytes:
        with EventLog(url) as log:
            assert await log.record_async(payment_event("chrg_1")) is True
            cmdline = Path(f"/proc/{log._writer_process.pid}/cmdline").read_bytes()
            await log.stop_async_writes()
            return cmdline

    cmdline = asyncio.run(run())
    assert b"writer_process" in cmdline and marker.encode() not in cmdline


def test_a_write_from_a_second_running_loop_is_refused(event_log):
    started = asyncio.Event()

    async def first_loop(release: asyncio.Future) -> None:
        await event_log.record_async(payment_event("first"))
        started.set()
        await release

    async def run() -> None:
        loop = asyncio.get_running_loop()
        release = loop.create_future()
        task = loop.create_task(first_loop(release))
        await started.wait()

        def from_another_loop() -> str:
            async def write() -> None:
                await event_log.record_async(payment_event("second"))

            try:
                asyncio.run(write())
            except RuntimeError as exc:
                return str(exc)
            return "accepted"

        message = await asyncio.to_thread(from_another_loop)
        release.set_result(None)
        await task
        await event_log.stop_async_writes()
        assert "event loop that started it" in message

    asyncio.run(run())
    assert event_log.count() == 1


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False
