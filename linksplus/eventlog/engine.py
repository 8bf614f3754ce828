"""One SQLAlchemy engine per event log, tuned per backend for safe concurrent use."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url

BUSY_TIMEOUT_MS = 10_000
PG_CONNECT_TIMEOUT_S = 5


def backend_name(url: str) -> str:
    """``sqlite`` or ``postgresql``; ValueError for any other database."""
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise ValueError(f"the event log supports sqlite and postgresql URLs, not {name!r}")
    return name


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    # Our own option, not the driver's: ?synchronous=full for power-loss durability.
    synchronous = parsed.query.get("synchronous", "normal").upper()
    if synchronous not in ("NORMAL", "FULL"):
        raise ValueError("?synchronous= must be normal or full")
    # And ?busy_timeout=MS: how long a write waits for another process's lock before it
    # fails (the receiver then answers 503 and the sender retries).
    try:
        busy_ms = int(parsed.query.get("busy_timeout", BUSY_TIMEOUT_MS))
    except ValueError:
        raise ValueError("?busy_timeout= must be a whole number of milliseconds") from None
    parsed = parsed.difference_update_query(["synchronous", "busy_timeout"])
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        # Each pooled connection to :memory: would be a different, empty database.
        raise ValueError("the event log needs an SQLite file, e.g. sqlite:///events.db")
    Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        parsed,
        pool_size=5,
        max_overflow=10,
        connect_args={"check_same_thread": False, "timeout": busy_ms / 1000},
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        # WAL: readers (the app) never block the writer (the receiver), and the reverse.
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={busy_ms}")
        # NORMAL, in WAL mode: a commit is in the WAL file when it returns, so it survives
        # the process being killed (SIGKILL, OOM); only an OS crash or power cut could
        # undo the last commits since the previous checkpoint, never corrupt the file.
        # That is the promise an acknowledgement needs, at half the CPU per event of FULL
        # (an fsync per commit). ?synchronous=full buys power-cut durability too;
        # PostgreSQL deployments get it from the server.
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.close()

    return engine


def make_engine(url: str) -> Engine:
    """An engine for `url` (sqlite or postgresql+psycopg), its folder made for SQLite."""
    if backend_name(url) == "sqlite":
        return _sqlite_engine(url)
    # pre_ping: a restarted PostgreSQL leaves dead pooled connections behind.
    return create_engine(
        url,
        pool_size=5,
        max_overflow=10,
        pool_pre_ping=True,
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S},
    )


class SqliteFileCheck:
    """Notices an SQLite event log's file deleted or replaced while a process holds it.

    A connection keeps writing to the file it opened, even once that file is deleted or
    another is put in its place; what it then commits no later reader sees. So the first
    check remembers the file's device and inode, and each later one compares them with
    the path's. Once they differ the answer stays no: a receiver must be restarted to
    take another file. For PostgreSQL there is no file, and the check always passes.
    """

    def __init__(self, url: str):
        database = make_url(url).database if backend_name(url) == "sqlite" else None
        self._path = Path(database).expanduser().resolve() if database else None
        self._identity: tuple[int, int] | None = None
        self._problem: str | None = None

    def problem(self) -> str | None:
        """None while the file is the one first seen (or not made yet); else why not."""
        if self._path is None or self._problem is not None:
            return self._problem
        try:
            st = os.stat(self._path)
        except FileNotFoundError:
            if self._identity is None:
                return None  # not created yet: the first write makes it
            self._problem = f"the SQLite file {self._path} was deleted"
        else:
            if self._identity is None:
                self._identity = (st.st_dev, st.st_ino)
            elif self._identity != (st.st_dev, st.st_ino):
                self._problem = f"the SQLite file {self._path} was replaced by another file"
        if self._problem is not None:
            self._problem += (
                " while the receiver had it open; it refuses deliveries (503) until it is "
                "restarted, so that nothing is acknowledged that no reader would see"
            )
        return self._problem
