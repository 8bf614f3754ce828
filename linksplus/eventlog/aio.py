"""Handing writes from an asyncio event loop to the group-commit writer, in loop-sized lots.

Everything submitted during one turn of the loop (all the requests that arrived together)
goes to the writer as one list, and one thread-safe callback resolves all their asyncio
futures after the commit. Per request that saves a cross-thread future and a loop wake-up,
and it hands the writer whole batches instead of a trickle of single items.
"""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import Future
from typing import Any

from linksplus.eventlog.writer import GroupCommitWriter


class LoopBatcher:
    """Collects items per event loop and submits them once per loop turn."""

    def __init__(self, writer: GroupCommitWriter, max_pending: int = 1000):
        self._writer = writer
        self._max_pending = max_pending
        # One pending list per loop: an EventLog may serve several loops (tests, threads);
        # each list is only touched from its own loop's thread.
        self._pending: dict[asyncio.AbstractEventLoop, list] = {}

    def submit(self, item: Any) -> asyncio.Future:
        """An asyncio future for `item`'s result, set once its transaction is committed."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        pending = self._pending.get(loop)
        if pending is None:
            pending = self._pending[loop] = []
            loop.call_soon(self._flush, loop)
        pending.append((item, future))
        if len(pending) >= self._max_pending:
            self._flush(loop)
        return future

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        pending = self._pending.pop(loop, [])
        if not pending:
            return
        try:
            done = self._writer.submit_many([item for item, _ in pending])
        except RuntimeError as exc:  # the writer is closed
            _resolve(pending, exc)
            return

        def on_commit(finished: Future) -> None:
            error = finished.exception()
            outcome = error if error is not None else finished.result()
            # RuntimeError: the loop has closed meanwhile, so nobody is waiting.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_resolve, pending, outcome)

        done.add_done_callback(on_commit)


def _resolve(pending: list, outcome: list | BaseException) -> None:
    for i, (_, future) in enumerate(pending):
        if future.done():  # cancelled: the client went away; the row is written anyway
            continue
        result = outcome if isinstance(outcome, BaseException) else outcome[i]
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)
