"""One way to make or upgrade a set of tables: a `SchemaHistory` and its runner, `migrate`.

The event log (`linksplus.eventlog.schema`) and the workspace (`linksplus.workspace.schema`)
each declare one history: their tables, their own version table, and a step from each
version to the next. Both share one database; each keeps its own version and lock.
How to add a version: docs/architecture.md, "Schemas and migrations".
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import MetaData, Table, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

Step = Callable[[Connection], None]


class SchemaError(RuntimeError):
    """The database holds a layout this code does not know (made by a newer release)."""


@dataclass(frozen=True)
class SchemaHistory:
    """The tables of one part of the product and how each version of them becomes the next.

    `steps[n]` turns version n into n+1 inside the migration's transaction, after the
    tables new since n have been made (create_all); it may run twice to the same end (two
    SQLite processes upgrading at once). `on_create` fills a brand-new database's tables.
    `too_new` is the refusal's sentence, with ``{found}`` and ``{known}``; `error` its type.
    """

    name: str
    metadata: MetaData
    version_table: Table
    version: int
    steps: Mapping[int, Step]
    lock_key: int  # PostgreSQL advisory lock: one migration of this history at a time
    too_new: str
    error: type[SchemaError] = SchemaError
    on_create: Step | None = None

    def __post_init__(self) -> None:
        if set(self.steps) != set(range(1, self.version)):
            raise ValueError(
                f"the {self.name} schema is at version {self.version}: it needs one step "
                f"from each of versions 1 to {self.version - 1}, not {sorted(self.steps)}"
            )


@dataclass(frozen=True)
class MigrationResult:
    """What `migrate` found and left: `from_version` 0 for a new database."""

    name: str
    from_version: int
    to_version: int

    def __str__(self) -> str:
        if self.from_version == 0:
            return f"{self.name}: created at schema {self.to_version}"
        if self.from_version == self.to_version:
            return f"{self.name}: schema {self.to_version} (already current)"
        return f"{self.name}: schema {self.from_version} -> {self.to_version} (upgraded)"


def stored_version(conn: Connection, history: SchemaHistory) -> int:
    """The version `history`'s tables are at in `conn`'s database; 0 when none are."""
    table = history.version_table
    if not conn.dialect.has_table(conn, table.name):
        return 0
    found = conn.execute(table.select()).all()
    return max((row.version for row in found), default=0)


def _migrate(conn: Connection, history: SchemaHistory) -> MigrationResult:
    if conn.dialect.name == "postgresql":
        # Two processes starting at once would otherwise race on CREATE TABLE.
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": history.lock_key})
    found = stored_version(conn, history)
    if found > history.version:
        raise history.error(history.too_new.format(found=found, known=history.version))
    if found < history.version:
        # New tables of every version first: the steps change the older ones and may
        # fill the new ones from them.
        history.metadata.create_all(conn, checkfirst=True)
        if found == 0:
            if history.on_create is not None:
                history.on_create(conn)
        else:
            for step in range(found, history.version):
                history.steps[step](conn)
        table = history.version_table
        conn.execute(table.delete())
        conn.execute(table.insert().values(version=history.version, applied_at=datetime.now(UTC)))
    return MigrationResult(history.name, found, history.version)


def migrate(engine: Engine, history: SchemaHistory) -> MigrationResult:
    """Make `history`'s tables, or bring them up to its version, in one transaction.

    SchemaError (`history.error`) when the database's version is newer than this code's.
    """
    try:
        with engine.begin() as conn:
            return _migrate(conn, history)
    except (OperationalError, ProgrammingError):
        # Another SQLite process migrated between our read and our CREATE: once more, now
        # finding its work done. A real connection problem fails again and propagates.
        with engine.begin() as conn:
            return _migrate(conn, history)


class SchemaOnce:
    """`migrate(engine, history)` on the first call only, then nothing (thread-safe): for
    the reads and writes that each need the schema but must not check it every time."""

    def __init__(self, engine: Engine, history: SchemaHistory):
        self._engine = engine
        self._history = history
        self._lock = threading.Lock()
        self._done = False

    def __call__(self) -> None:
        if self._done:
            return
        with self._lock:
            if not self._done:
                migrate(self._engine, self._history)
                self._done = True
