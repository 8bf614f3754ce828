"""Backups of the console's database, and putting one back.

The event log and the workspace (users, link owners, uploads) share one database
(`eventlog_url`), so one file holds both. A backup is a consistent copy taken while the
receiver keeps writing: SQLite's online backup API, which copies one snapshot under a
read transaction (in WAL mode the writers carry on), or ``pg_dump`` in its custom format,
which reads one snapshot of a PostgreSQL database. Files are named by the UTC time they
were taken, so their names sort by age, and the folder is pruned to the newest `keep`.
A restore goes into an empty database only: it never overwrites data.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, make_url

from linksplus.eventlog.engine import backend_name

PREFIX = "linksplus-"
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}
DEFAULT_KEEP = 14


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says why in one sentence
    (never the database password)."""


@dataclass(frozen=True)
class BackupResult:
    """A backup written: its file and size, and the older files pruned."""

    path: Path
    size: int
    pruned: list[Path] = field(default_factory=list)


def backups(folder: str | Path) -> list[Path]:
    """The backup files in `folder`, newest first."""
    found = [
        p for p in Path(folder).glob(f"{PREFIX}*") if p.is_file() and p.suffix in SUFFIXES.values()
    ]
    return sorted(found, key=lambda p: p.name, reverse=True)


def backup(
    url: str, folder: str | Path, *, keep: int = DEFAULT_KEEP, now: datetime | None = None
) -> BackupResult:
    """Write a consistent copy of the database at `url` into `folder` (made if missing),
    then delete all but the newest `keep` backups there."""
    if keep < 1:
        raise BackupError("keep at least one backup (--keep 1 or more).")
    backend = backend_name(url)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{PREFIX}{stamp}{SUFFIXES[backend]}"
    partial = target.with_name(target.name + ".partial")
    try:
        if backend == "sqlite":
            _sqlite_backup(_sqlite_file(url), partial)
        else:
            _run_pg("pg_dump", ["--format=custom", "--file", str(partial)], url)
        partial.replace(target)  # a file with the final name is always whole
    finally:
        partial.unlink(missing_ok=True)
    pruned = backups(folder)[keep:]
    for old in pruned:
        old.unlink(missing_ok=True)
    return BackupResult(target, target.stat().st_size, pruned)


def restore(path: str | Path, url: str) -> None:
    """Put the backup at `path` into the empty database at `url`."""
    path = Path(path)
    backend = backend_name(url)
    if not path.is_file():
        raise BackupError(f"there is no backup file at {path}.")
    if path.suffix != SUFFIXES[backend]:
        raise BackupError(
            f"{path.name} is not a {backend} backup (those end in {SUFFIXES[backend]})."
        )
    if not _is_empty(url):
        raise BackupError(
            "the database to restore into already has tables: restore into an empty one, "
            "so that nothing stored is overwritten."
        )
    if backend == "sqlite":
        _sqlite_backup(path, _sqlite_file(url))
    else:
        _run_pg("pg_restore", ["--no-owner", "--exit-on-error", str(path)], url, dbname=True)


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an SQLite backup needs a database file, e.g. sqlite:///events.db.")
    return Path(database).expanduser()


def _sqlite_backup(source: Path, target: Path) -> None:
    """Copy `source` to `target` with SQLite's backup API, in one step: one snapshot."""
    if not source.is_file():
        raise BackupError(f"there is no SQLite database at {source}.")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # pages=-1: every page under one read transaction
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not copy {source}: {exc}.") from None
    finally:
        dst.close()
        src.close()


def _is_empty(url: str) -> bool:
    if backend_name(url) == "sqlite":
        file = _sqlite_file(url)
        if not file.exists():
            return True
    engine = create_engine(url)
    try:
        return not inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _pg_environment(url: URL) -> dict[str, str]:
    """libpq's variables for `url`: the password travels in the environment, never on a
    command line that `ps` shows."""
    env = dict(os.environ)
    host = url.query.get("host") or url.host
    port = url.query.get("port") or url.port
    for name, value in (
        ("PGHOST", host),
        ("PGPORT", port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value:
            env[name] = str(value)
    return env


def _run_pg(tool: str, args: list[str], url: str, *, dbname: bool = False) -> None:
    program = shutil.which(tool)
    if program is None:
        raise BackupError(f"{tool} is not installed: apt-get install postgresql-client.")
    parsed = make_url(url)
    command = [program, *args]
    if dbname:  # pg_restore takes the database as an option, not from PGDATABASE alone
        command[1:1] = ["--dbname", parsed.database or ""]
    done = subprocess.run(command, env=_pg_environment(parsed), capture_output=True, text=True)
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{tool} failed: {last}")
