"""The event log's writer in a child process, for a server on an asyncio event loop.

Why a process: a writer thread inside the webhook receiver competes with request handling
for Python's GIL. Measured in the receiver, the SQLite work and the hand-over of the GIL
after every statement cost more per event than checking and answering the request. A child
process writes on another core; the server's loop only pickles each batch onto a socket and
reads the results back, with no thread of its own.

The child is a `GroupCommitWriter` served over a socket pair: batches that arrive while a
commit runs go into the next transaction, and a batch's results are sent only after its
commit, so a result still means the rows are durable. When the child dies, every batch in
flight fails (the receiver answers 503 and the sender retries) and the next batch starts a
new child. Closing the parent's end makes the child finish what it was sent and exit; a
parent killed outright takes the child with it (PDEATHSIG).
"""

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
from concurrent.futures import Future
from typing import Any

log = logging.getLogger(__name__)

# A frame: its length as 4 bytes, then a pickle. Only this process and its own child read
# them, over a socket pair nobody else holds.
_HEADER = struct.Struct("!I")


class WriterError(RuntimeError):
    """A write the child could not make: the database's error, as text."""


def _describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:300]}"


def _frame(obj: Any) -> bytes:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


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
            messages.append(pickle.loads(buffer[start + _HEADER.size:end]))
            start = end
        del buffer[:start]
        return messages


class _Channel(asyncio.Protocol):
    """The parent's end of the socket."""

    def __init__(self, owner: WriterProcess):
        self._owner = owner
        self._frames = _Frames()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._owner._connected(transport)  # type: ignore[arg-type]

    def data_received(self, data: bytes) -> None:
        for message in self._frames.feed(data):
            self._owner._answered(message)

    def connection_lost(self, exc: Exception | None) -> None:
        self._owner._lost()


class WriterProcess:
    """Event-log writes from one asyncio event loop, committed by a child process.

    Everything submitted during one turn of the loop (the requests that arrived together)
    goes to the child as one frame; the child commits it, with whatever else it received
    meanwhile, and answers. The child starts on the first write; `aclose` (on the loop) or
    `close` (from any thread, once the loop is done) stops it.
    """

    def __init__(self, url: str):
        self._url = url
        self._proc: subprocess.Popen | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._transport: asyncio.WriteTransport | None = None
        self._queued: list[bytes] = []  # frames sent before the socket is wrapped
        self._turn: list[tuple[Any, asyncio.Future]] = []  # this loop turn's writes
        self._sent: dict[int, list[asyncio.Future]] = {}  # frames not answered yet
        self._ids = itertools.count()
        self._closing = False

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

    def submit(self, item: Any) -> asyncio.Future:
        """An asyncio future of `item`'s result (`BulkWriter.apply`'s), set once its
        transaction is committed; WriterError when it could not be written."""
        loop = asyncio.get_running_loop()
        if self._closing:
            raise RuntimeError("the event log is closed")
        if self._proc is not None and loop is not self._loop:
            if not self._loop.is_closed():  # type: ignore[union-attr]
                raise RuntimeError("the event-log writer serves the event loop that started "
                                   "it; stop it there first (aclose)")
            self._lost()  # its loop ended without stopping it
        if self._proc is None:
            self._start(loop)
        future = loop.create_future()
        if not self._turn:
            loop.call_soon(self._flush)
        self._turn.append((item, future))
        return future

    def _flush(self) -> None:
        turn, self._turn = self._turn, []
        if self._proc is None:  # the child died during this turn
            _fail([future for _, future in turn], "the event-log writer process exited")
            return
        batch_id = next(self._ids)
        self._sent[batch_id] = [future for _, future in turn]
        frame = _frame((batch_id, [item for item, _ in turn]))
        if self._transport is not None:
            self._transport.write(frame)
        else:
            self._queued.append(frame)

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        from linksplus.devserver import _die_with_parent

        parent, child = socket.socketpair()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "linksplus.eventlog.writer_process", str(child.fileno())],
                pass_fds=(child.fileno(),), preexec_fn=_die_with_parent)
        finally:
            child.close()
        self._loop = loop
        # The URL goes over the socket, not the command line, where `ps` would show a
        # database password.
        self._queued = [_frame(self._url)]
        task = loop.create_task(loop.create_connection(lambda: _Channel(self), sock=parent))
        task.add_done_callback(self._connect_failed)

    def _connect_failed(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("could not talk to the event-log writer: %s", task.exception())
            self._lost()

    def _connected(self, transport: asyncio.WriteTransport) -> None:
        self._transport = transport
        transport.writelines(self._queued)
        self._queued = []
        if self._closing:
            transport.write_eof()

    def _answered(self, message: tuple) -> None:
        batch_id, outcome = message
        futures = self._sent.pop(batch_id, ())
        for i, future in enumerate(futures):
            if future.done():  # cancelled: the client went away; the row is written anyway
                continue
            result = outcome if isinstance(outcome, BaseException) else outcome[i]
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

    def _lost(self) -> None:
        """The child is gone: fail what it had not answered; the next write starts another."""
        proc, self._proc, self._transport = self._proc, None, None
        if proc is not None:
            if proc.poll() is None:
                proc.kill()  # it can no longer answer
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=1)
        sent, self._sent = self._sent, {}
        if sent and not self._closing:
            log.error("the event-log writer process exited; %d batches were not confirmed",
                      len(sent))
        _fail([future for futures in sent.values() for future in futures],
              "the event-log writer process exited")

    async def aclose(self, timeout: float = 30.0) -> None:
        """On the writer's loop: let the child commit what it was sent, and wait for it to
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
                log.error("the event-log writer did not finish in %.0f s; stopping it",
                          timeout)
            self._lost()
        finally:
            self._closing = False

    def close(self, timeout: float = 30.0) -> None:
        """From any thread once the writer's loop has ended: stop the child. What it holds
        is committed or not, never half, and nobody waits on it any more."""
        proc, self._proc, self._transport, self._sent = self._proc, None, None, {}
        if proc is not None and proc.poll() is None:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout)


def _fail(futures: list[asyncio.Future], reason: str) -> None:
    for future in futures:
        if not future.done():
            future.set_exception(WriterError(reason))


# -- the child -------------------------------------------------------------------------

_RECV_BYTES = 1 << 20


def _outcome(done: Future) -> Any:
    """A batch's results as sent back: exceptions become WriterError, which pickles."""
    error = done.exception()
    if error is not None:
        return WriterError(_describe(error))
    return [WriterError(_describe(r)) if isinstance(r, BaseException) else r
            for r in done.result()]


def serve(fd: int) -> None:
    """The child's life: write what arrives on socket `fd` until the parent closes it.

    One thread: wait for a frame, take every other frame already in the socket, write them
    all in one transaction, answer each, repeat. What arrives during a commit is the next
    transaction: group commit, with no hand-over between threads.
    """
    from linksplus.eventlog.engine import backend_name, make_engine
    from linksplus.eventlog.ingest import BulkWriter
    from linksplus.eventlog.schema import ensure_schema
    from linksplus.eventlog.writer import GroupCommitWriter

    sock = socket.socket(fileno=fd)
    frames = _Frames()
    messages: list = []
    writer = engine = None
    schema_ready = False

    def prepare() -> None:
        nonlocal schema_ready
        if not schema_ready:
            ensure_schema(engine)
            schema_ready = True

    try:
        while data := sock.recv(_RECV_BYTES):
            messages += frames.feed(data)
            with contextlib.suppress(BlockingIOError):
                while more := sock.recv(_RECV_BYTES, socket.MSG_DONTWAIT):
                    messages += frames.feed(more)
            if writer is None and messages:
                # The first message is the URL: over the socket, not the command line,
                # where `ps` would show a database password.
                url = messages.pop(0)
                engine = make_engine(url)
                writer = GroupCommitWriter(engine, BulkWriter(backend_name(url)).apply,
                                           prepare=prepare)
            if not messages:
                continue
            batch = [(items, Future()) for _, items in messages]
            writer.write_batch(batch)
            sock.sendall(b"".join(_frame((batch_id, _outcome(done)))
                                  for (batch_id, _), (_, done) in zip(messages, batch,
                                                                      strict=True)))
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
    logging.basicConfig(level=logging.WARNING, format="event-log writer: %(message)s")
    serve(int(sys.argv[1]))
