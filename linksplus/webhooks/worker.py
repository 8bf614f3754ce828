"""The receiver's worker process: checks deliveries and commits them in batches, on another
core than the HTTP server, and sends back what became of each. Why a process, and how
batches and failures go: docs/architecture.md."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import pickle
import signal
import socket
import struct
import subprocess
import sys
import time
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any, Protocol

from linksplus.devserver import die_with_parent
from linksplus.eventlog.engine import SqliteFileCheck, backend_name, make_engine
from linksplus.eventlog.ingest import BulkWriter, DeliveryWrite, rejected_write
from linksplus.eventlog.schema import SchemaOnce
from linksplus.eventlog.writer import GroupCommitWriter, describe_error
from linksplus.observability.logs import FORMATS, configure_logging
from linksplus.webhooks.delivery import Delivery, DeliveryChecker, Rejection, WorkerError

# Named, not __name__: the child runs this module as __main__, and its lines say whose.
log = logging.getLogger("linksplus.webhooks.worker")
__all__ = ["WebhookWorker", "WorkerError"]

# Deliveries that come while a worker that died at start waits to be restarted get 503
# at once; the wait doubles with each such death.
RESTART_DELAY = 0.5
RESTART_DELAY_MAX = 30.0
# A frame: its length as 4 bytes, then a pickle. Only this process and its own child read
# them, over a socket pair nobody else holds.
_HEADER = struct.Struct("!I")


def _frame(obj: Any) -> bytes:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


class WorkerObserver(Protocol):
    """What a `WebhookWorker` reports as it goes (the receiver's metrics)."""

    def committed(self, size: int, seconds: float) -> None:
        """The child committed one transaction of `size` writes in `seconds`."""

    def worker_exited(self) -> None:
        """The child died without being asked to stop."""


# The child's report of one transaction, sent before that transaction's answers.
_COMMIT = -1


class _Frames:
    """Cuts a byte stream into frames and unpickles them."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list:
        """The messages completed by `data`, in order."""
        buffer = self._buffer
        buffer += data
        messages, start, size = [], 0, len(buffer)
        while size - start >= _HEADER.size:
            (length,) = _HEADER.unpack_from(buffer, start)
            end = start + _HEADER.size + length
            if end > size:
                break
            messages.append(pickle.loads(buffer[start + _HEADER.size : end]))
            start = end
        del buffer[:start]
        return messages


class _Channel(asyncio.Protocol):
    """The parent's end of the socket."""

    def __init__(self, owner: WebhookWorker):
        self._owner = owner
        self._frames = _Frames()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._owner._connected(transport)  # type: ignore[arg-type]

    def data_received(self, data: bytes) -> None:
        for message in self._frames.feed(data):
            self._owner._answered(message)

    def connection_lost(self, exc: Exception | None) -> None:
        self._owner._lost()


class WebhookWorker:
    """Deliveries from one asyncio event loop, checked and stored by a child process.

    Everything submitted during one turn of the loop (the requests that arrived together)
    goes to the child as one frame; the child checks and commits it, with whatever else it
    received meanwhile, and answers. The child starts with `start` or on the first submit;
    `aclose` stops it; should its loop end without that, the child goes with this process.
    The child logs in `log_format` (text or json); `observer` hears of each transaction
    the child commits and of each death of the child.
    """

    def __init__(
        self,
        url: str,
        secrets: list[str],
        *,
        log_format: str = "text",
        observer: WorkerObserver | None = None,
    ):
        if log_format not in FORMATS:
            raise ValueError(f"log_format must be one of {', '.join(FORMATS)}")
        self._url = url
        self._secrets = list(secrets)
        self._log_format = log_format
        self._observer = observer
        self._proc: subprocess.Popen | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._transport: asyncio.WriteTransport | None = None
        self._queued: list[bytes] = []  # frames sent before the socket is wrapped
        self._turn: list[tuple[Any, asyncio.Future]] = []  # this loop turn's deliveries
        self._sent: dict[int, list[asyncio.Future]] = {}  # frames not answered yet
        self._ids = itertools.count()
        self._closing = False
        # A child that dies before answering anything (a broken install, a bad database
        # path) would die again at once: wait longer before each new start.
        self._answered_any = False
        self._failed_starts = 0
        self._retry_at = 0.0

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self._proc.pid if self._proc is not None else None

    def start(self) -> None:
        """Start the child now, from the loop that will write, rather than on the first
        write (a server calls this at startup so no request waits for it)."""
        loop = asyncio.get_running_loop()
        if self._proc is None:
            self._start(loop)

    def submit(self, item: Delivery | DeliveryWrite) -> asyncio.Future:
        """An asyncio future of what became of `item`, set once it is committed: for a
        `Delivery`, True (stored) or False (a duplicate), or the `Rejection` to answer
        raised; for a prepared `DeliveryWrite`, None. WorkerError when it could not be
        stored."""
        loop = asyncio.get_running_loop()
        if self._closing:
            raise RuntimeError("the webhook worker is stopping")
        if self._proc is not None and loop is not self._loop:
            if not self._loop.is_closed():  # type: ignore[union-attr]
                raise RuntimeError(
                    "the webhook worker serves the event loop that started "
                    "it; stop it there first (aclose)"
                )
            self._lost(expected=True)  # its loop ended without stopping it
        future = loop.create_future()
        if self._proc is None:
            if time.monotonic() < self._retry_at:
                future.set_exception(WorkerError("the webhook worker is restarting"))
                return future
            self._start(loop)
        if not self._turn:
            loop.call_soon(self._flush)
        self._turn.append((item, future))
        return future

    def _flush(self) -> None:
        turn, self._turn = self._turn, []
        if self._proc is None:  # the child died during this turn
            _fail([future for _, future in turn], "the webhook worker exited")
            return
        batch_id = next(self._ids)
        self._sent[batch_id] = [future for _, future in turn]
        frame = _frame((batch_id, [item for item, _ in turn]))
        if self._transport is not None:
            self._transport.write(frame)
        else:
            self._queued.append(frame)

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        parent, child = socket.socketpair()
        try:
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "linksplus.webhooks.worker",
                    str(child.fileno()),
                    self._log_format,
                ],
                pass_fds=(child.fileno(),),
                preexec_fn=die_with_parent,
            )
        finally:
            child.close()
        self._loop = loop
        self._answered_any = False
        # The URL and secrets go over the socket, not the command line, where `ps` would
        # show a database password or the webhook secret.
        self._queued = [_frame((self._url, self._secrets))]
        task = loop.create_task(loop.create_connection(lambda: _Channel(self), sock=parent))
        task.add_done_callback(self._connect_failed)

    def _connect_failed(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("could not talk to the webhook worker: %s", task.exception())
            self._lost()

    def _connected(self, transport: asyncio.WriteTransport) -> None:
        self._transport = transport
        transport.writelines(self._queued)
        self._queued = []
        if self._closing:
            transport.write_eof()

    def _answered(self, message: tuple) -> None:
        batch_id, outcome = message
        self._answered_any = True
        if batch_id == _COMMIT:
            if self._observer is not None:
                self._observer.committed(*outcome)
            return
        futures = self._sent.pop(batch_id, ())
        for i, future in enumerate(futures):
            if future.done():  # cancelled: the client went away; the row is written anyway
                continue
            result = outcome[i]
            if isinstance(result, BaseException):  # a Rejection, or WorkerError
                future.set_exception(result)
            else:
                future.set_result(result)

    def _lost(self, expected: bool = False) -> None:
        """The child is gone (or, `expected`, let go): fail what it had not answered; the
        next delivery starts another."""
        proc, self._proc, self._transport = self._proc, None, None
        if proc is not None:
            if proc.poll() is None:
                proc.kill()  # it can no longer answer
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=1)
        if proc is not None and not (self._closing or expected):
            if self._observer is not None:
                self._observer.worker_exited()
            if self._answered_any:
                self._failed_starts, self._retry_at = 0, 0.0
            else:
                self._failed_starts += 1
                delay = min(RESTART_DELAY_MAX, RESTART_DELAY * 2 ** (self._failed_starts - 1))
                self._retry_at = time.monotonic() + delay
                log.error(
                    "the webhook worker exited before answering; the next start is in "
                    "%.1f s (see its error above)",
                    delay,
                )
        sent, self._sent = self._sent, {}
        if sent and not self._closing:
            log.error("the webhook worker exited; %d batches were not confirmed", len(sent))
        _fail(
            [future for futures in sent.values() for future in futures], "the webhook worker exited"
        )

    async def aclose(self, timeout: float = 30.0) -> None:
        """On the worker's loop: let the child commit what it was sent, and wait for it to
        exit. A later write starts a new child."""
        if self._turn:
            self._flush()
        self._closing = True
        try:
            proc = self._proc
            if proc is None:
                return
            if self._transport is not None:
                self._transport.write_eof()  # else _connected sends it after the frames
            try:
                await asyncio.to_thread(proc.wait, timeout)
            except subprocess.TimeoutExpired:
                log.error("the webhook worker did not finish in %.0f s; stopping it", timeout)
            self._lost()
        finally:
            self._closing = False


def _fail(futures: list[asyncio.Future], reason: str) -> None:
    for future in futures:
        if not future.done():
            future.set_exception(WorkerError(reason))


# -- the child -------------------------------------------------------------------------

_RECV_BYTES = 1 << 20


def _checked(checker: DeliveryChecker, items: list) -> tuple[list, dict[int, Rejection]]:
    """The writes for one frame's items, and the rejections among them by position."""
    writes, rejections = [], {}
    for i, item in enumerate(items):
        if isinstance(item, Delivery):
            try:
                item = checker.check(item)
            except Rejection as rejection:
                rejections[i] = rejection
                item = checker.rejected(rejection, item)
            except Exception:
                # A body the checks did not foresee must not take the worker, and the
                # deliveries batched with it, down: refuse it and say so in the log.
                log.exception("could not check a delivery from %s", item.remote)
                rejections[i] = Rejection(400, "the payload could not be read")
                item = rejected_write(
                    rejections[i].reason,
                    None,
                    item.remote,
                    datetime.fromtimestamp(item.received_at, UTC),
                )
        writes.append(item)
    return writes, rejections


def _outcome(done: Future, count: int, rejections: dict[int, Rejection]) -> list:
    """A frame's outcomes as sent back (exceptions become WorkerError, which pickles)."""
    error = done.exception()
    if error is not None:  # the whole transaction failed (the writer logged why)
        outcomes = [WorkerError(describe_error(error))] * count
    else:
        outcomes = done.result()
        for i, result in enumerate(outcomes):
            if isinstance(result, BaseException):
                log.error("could not store a delivery: %s", describe_error(result))
                outcomes[i] = WorkerError(describe_error(result))
    # A rejection stands even when its delivery-log row could not be written.
    for i, rejection in rejections.items():
        outcomes[i] = rejection
    return outcomes


def _commit(
    messages: list, checker: DeliveryChecker, writer: GroupCommitWriter, file_check: Any
) -> bytes:
    """Check and write the deliveries of `messages` (frames from the parent) in one
    transaction; the answer to send: the transaction's size and time (for the receiver's
    metrics), then each frame's outcomes."""
    checked = [_checked(checker, items) for _, items in messages]
    batch = [(writes, Future()) for writes, _ in checked]
    problem = file_check.problem()
    started = time.perf_counter()
    if problem is None:
        writer.write_batch(batch)
    else:
        log.error("%s", problem)
        for _, done in batch:
            done.set_exception(WorkerError(problem))
    size = sum(len(writes) for writes, _ in batch)
    return _frame((_COMMIT, (size, time.perf_counter() - started))) + b"".join(
        _frame((batch_id, _outcome(done, len(writes), rejections)))
        for (batch_id, _), (writes, done), (_, rejections) in zip(
            messages, batch, checked, strict=True
        )
    )


def serve(fd: int) -> None:
    """The child's life: check and write what arrives on socket `fd` until the parent
    closes it.

    One thread: wait for a frame, take every other frame already in the socket, check
    their deliveries, write them all in one transaction, answer each frame, repeat. What
    arrives during a commit is the next transaction: group commit, with no hand-over
    between threads.
    """
    sock = socket.socket(fileno=fd)
    frames = _Frames()
    messages: list = []
    writer = engine = checker = file_check = None
    try:
        while data := sock.recv(_RECV_BYTES):
            messages += frames.feed(data)
            with contextlib.suppress(BlockingIOError):
                while more := sock.recv(_RECV_BYTES, socket.MSG_DONTWAIT):
                    messages += frames.feed(more)
            if writer is None and messages:
                url, secrets = messages.pop(0)  # see WebhookWorker._start
                checker = DeliveryChecker(secrets)
                file_check = SqliteFileCheck(url)
                file_check.problem()  # the file as it is at start (the receiver made it)
                engine = make_engine(url)
                writer = GroupCommitWriter(
                    engine, BulkWriter(backend_name(url)).apply, prepare=SchemaOnce(engine)
                )
            if not messages:
                continue
            sock.sendall(_commit(messages, checker, writer, file_check))
            messages = []
    except (BrokenPipeError, ConnectionResetError):
        pass  # the parent is gone
    finally:
        if writer is not None:
            writer.close()
        if engine is not None:
            engine.dispose()
        sock.close()


if __name__ == "__main__":
    # Ctrl-C in a terminal reaches the whole process group: the parent decides when the
    # child stops (by closing the socket), so the child finishes its batches first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure_logging(
        sys.argv[2] if len(sys.argv) > 2 else "text",
        logging.WARNING,
        text_format="webhook worker: %(message)s",
    )
    serve(int(sys.argv[1]))
