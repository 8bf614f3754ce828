"""Group commit: writes from any thread, applied in batches by one writer thread.

Callers submit lists of items; the writer takes every list queued while the previous commit
was running, applies all their items in one transaction (`apply(conn, items)` answers one
result per item), commits, and only then resolves each list's future. A caller that waits
on its future therefore knows its rows are committed (durable), while a burst of N
concurrent writes costs one commit, one fsync, instead of N. One writer per process also
means SQLite writers in the process never wait on each other's locks.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from linksplus.eventlog.schema import SchemaError

log = logging.getLogger(__name__)

# (the driver's connection, items) -> one result per item; the writer commits.
Apply = Callable[[Any, list], list]
_STOP = object()


def database_errors(engine: Engine) -> tuple[type[BaseException], ...]:
    """The errors that say the database failed, not one item: unreachable, locked,
    read-only, full, or a layout too new. A batch failing with one fails as a whole
    (every item would), and its connection is replaced (a read-only session, say, would
    stay read-only). Only DataError and IntegrityError, and errors raised in Python
    before SQL (a value the driver cannot encode), concern single items."""
    dbapi = engine.dialect.loaded_dbapi
    return (
        DBAPIError,  # what SQLAlchemy Core raises (the schema step), wrapping the driver's
        dbapi.OperationalError,
        dbapi.InterfaceError,
        dbapi.InternalError,
        dbapi.ProgrammingError,
        dbapi.NotSupportedError,
        SchemaError,
    )


def describe_error(exc: BaseException) -> str:
    """An error's type and the first line of its message, for logs and the sender: a
    driver's later lines repeat the SQL and its parameters (payment ids, payloads)."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:300]}"


class GroupCommitWriter:
    """Applies submitted items in batched transactions on a background thread."""

    def __init__(
        self,
        engine: Engine,
        apply: Apply,
        *,
        prepare: Callable[[], None] | None = None,
        max_batch: int = 1000,
        name: str = "eventlog-writer",
    ):
        """`prepare` runs on the writer thread before each batch (e.g. to make the schema),
        so callers on an event loop never wait on the database themselves."""
        self._engine = engine
        self._apply = apply
        self._prepare = prepare
        self._max_batch = max_batch
        self._name = name
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._conn: Any = None  # the pool's wrapper around the driver's connection
        self._database_errors = database_errors(engine)

    def submit_many(self, items: list) -> Future:
        """Queue `items`; the future holds one entry per item once the transaction is
        committed: the item's result, or the exception that item alone raised."""
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the event log is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._queue.put((items, future))
        return future

    def run(self, item: Any) -> Any:
        """Write one item and wait for the commit; its result, or its exception raised."""
        (result,) = self.submit_many([item]).result()
        if isinstance(result, BaseException):
            raise result
        return result

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
        elif self._conn is not None:  # only write_batch was used, on the caller's thread
            self._conn.close()
            self._conn = None

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is _STOP:
                break
            batch = [first]
            size = len(first[0])
            while size < self._max_batch:
                try:
                    entry = self._queue.get_nowait()
                except queue.Empty:
                    break
                if entry is _STOP:
                    stop = True
                    break
                batch.append(entry)
                size += len(entry[0])
            try:
                self.write_batch(batch)
            except BaseException:  # never let the thread die with callers waiting
                log.exception("event-log writer failed on a batch of %d", len(batch))
                for _, future in batch:
                    if not future.done():
                        future.set_exception(RuntimeError("event-log writer failed"))
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _transaction(self, items: list) -> list:
        # The driver's connection, held for the writer's life and committed directly:
        # SQLAlchemy's Connection and Transaction around each batch, and a pool checkout
        # with its reset-on-return rollback, cost more than the rows themselves.
        if self._conn is None:
            self._conn = self._engine.raw_connection()
        conn = self._conn
        try:
            results = self._apply(conn.driver_connection, items)
            conn.commit()
            return results
        except BaseException as exc:
            with contextlib.suppress(Exception):
                conn.rollback()
            if isinstance(exc, self._database_errors):
                conn.invalidate()
                self._conn = None
            raise

    def write_batch(self, batch: list[tuple[list, Future]]) -> None:
        """Write every (items, future) of `batch` in one transaction, on the calling thread,
        and resolve each future as `submit_many`'s are. For a caller that is itself the
        only writer (the webhook worker); others submit."""
        batch = [(items, fut) for items, fut in batch if fut.set_running_or_notify_cancel()]
        if not batch:
            return
        flat = [item for items, _ in batch for item in items]
        try:
            if self._prepare is not None:
                self._prepare()
            results: list[Any] = self._transaction(flat)
        except self._database_errors as exc:
            # The database is unreachable, locked, full or too new: every item would fail.
            log.error(
                "the event log could not store a batch of %d: %s", len(flat), describe_error(exc)
            )
            for _, future in batch:
                future.set_exception(exc)
            return
        except Exception as exc:
            if len(flat) == 1:
                results = [exc]
            else:
                # One bad item must not fail the others: apply each in its own transaction.
                results = []
                for item in flat:
                    try:
                        results.extend(self._transaction([item]))
                    except Exception as single_exc:
                        results.append(single_exc)
        start = 0
        for items, future in batch:
            future.set_result(results[start : start + len(items)])
            start += len(items)
