"""Group commit: write operations from any thread, run in batches by one writer thread.

Each operation is a function of an open connection. The writer takes every operation
queued while the previous commit was running, runs them in one transaction, commits, and
only then resolves each operation's future. So a caller that waits on its future knows
its row is committed (durable), while a burst of N concurrent writes costs one commit, one
fsync, instead of N. One writer per process also means SQLite writers never wait on each
other's locks inside the process.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from linksplus.eventlog.schema import SchemaError

log = logging.getLogger(__name__)

Operation = Callable[[Connection], Any]
_STOP = object()


class GroupCommitWriter:
    """Runs submitted operations in batched transactions on a background thread."""

    def __init__(self, engine: Engine, *, prepare: Callable[[], None] | None = None,
                 max_batch: int = 500, name: str = "eventlog-writer"):
        """`prepare` runs on the writer thread before each batch (e.g. to make the schema),
        so callers on an event loop never wait on the database themselves."""
        self._engine = engine
        self._prepare = prepare
        self._max_batch = max_batch
        self._name = name
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, op: Operation) -> Future:
        """Queue `op`; its future holds op's result once the transaction is committed."""
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the event log is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._queue.put((op, future))
        return future

    def close(self, timeout: float = 30.0) -> None:
        """Finish what was submitted, then stop the thread; later submits raise."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
            self._queue.put(_STOP)
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is _STOP:
                break
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            try:
                self._execute(batch)
            except BaseException:  # never let the thread die with callers waiting
                log.exception("event-log writer failed on a batch of %d", len(batch))
                for _, future in batch:
                    if not future.done():
                        future.set_exception(RuntimeError("event-log writer failed"))

    def _execute(self, batch: list[tuple[Operation, Future]]) -> None:
        batch = [(op, fut) for op, fut in batch if fut.set_running_or_notify_cancel()]
        if not batch:
            return
        try:
            if self._prepare is not None:
                self._prepare()
            with self._engine.begin() as conn:
                results = [op(conn) for op, _ in batch]
        except (OperationalError, SchemaError) as exc:
            # The database is unreachable, locked, full or too new: every op would fail alike.
            for _, future in batch:
                future.set_exception(exc)
            return
        except Exception as exc:
            if len(batch) == 1:
                batch[0][1].set_exception(exc)
                return
            # One bad operation must not fail the others: run each in its own transaction.
            for op, future in batch:
                try:
                    with self._engine.begin() as conn:
                        result = op(conn)
                except Exception as single_exc:
                    future.set_exception(single_exc)
                else:
                    future.set_result(result)
            return
        for (_, future), result in zip(batch, results, strict=True):
            future.set_result(result)
