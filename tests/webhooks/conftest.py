"""Fixtures for the event log and receiver tests: SQLite files and a real PostgreSQL.

PostgreSQL comes from, in order: the PG* variables set by ``pg_virtualenv``; a throw-away
cluster made with Debian's ``initdb`` for the session; else the tests skip with a printed
reason, except in CI (``CI=true``) where a missing PostgreSQL is a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import URL

from linksplus.devserver import ServerProcess, free_port

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _pg_missing(reason: str):
    message = f"PostgreSQL not found: {reason}"
    print(message)
    if IN_CI:
        pytest.fail(message + " (CI=true: PostgreSQL is required)", pytrace=False)
    pytest.skip(message)


class PgServer:
    """Where to reach a PostgreSQL server as a user allowed to create databases."""

    def __init__(self, host: str, port: int, user: str, password: str | None, dbname: str):
        self.host, self.port, self.user, self.password = host, port, user, password
        self.dbname = dbname

    def connect(self, dbname: str | None = None) -> psycopg.Connection:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=dbname or self.dbname,
            autocommit=True,
            connect_timeout=10,
        )

    def url(self, dbname: str) -> str:
        """A ``postgresql+psycopg://`` URL, with a socket directory as a query parameter."""
        socket_dir = self.host.startswith("/")
        url = URL.create(
            "postgresql+psycopg",
            username=self.user,
            password=self.password,
            host=None if socket_dir else self.host,
            port=None if socket_dir else self.port,
            database=dbname,
            query={"host": self.host, "port": str(self.port)} if socket_dir else {},
        )
        return url.render_as_string(hide_password=False)


def _as_postgres(*cmd: str) -> list[str]:
    # initdb refuses to run as root; run the server tools as the postgres user then.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else list(cmd)


@contextmanager
def _throwaway_cluster(bindir: str) -> Iterator[PgServer]:
    """initdb, start, and at the end stop and delete a cluster on a free local port."""
    base = tempfile.mkdtemp(prefix="linksplus-pg-")
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    data, log = os.path.join(base, "data"), os.path.join(base, "server.log")
    port = free_port()
    subprocess.run(
        _as_postgres(
            f"{bindir}/initdb",
            "-D",
            data,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ),
        check=True,
        capture_output=True,
    )
    # fsync off: the tests crash receivers, never this server, and want speed.
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off "
        "-c full_page_writes=off -c max_connections=200"
    )
    try:
        subprocess.run(
            _as_postgres(
                f"{bindir}/pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "-t", "60", "start"
            ),
            check=True,
            capture_output=True,
        )
        yield PgServer("127.0.0.1", port, "postgres", None, "postgres")
    finally:
        subprocess.run(
            _as_postgres(f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"),
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server for the session (see the module docstring for where from)."""
    if os.environ.get("PGHOST"):
        yield PgServer(
            os.environ["PGHOST"],
            int(os.environ.get("PGPORT", "5432")),
            os.environ.get("PGUSER", "postgres"),
            os.environ.get("PGPASSWORD"),
            os.environ.get("PGDATABASE", "postgres"),
        )
        return
    initdbs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not initdbs:
        _pg_missing("no PGHOST set (pg_virtualenv) and no /usr/lib/postgresql/*/bin/initdb")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        _pg_missing("running as root without runuser to start initdb as postgres")
    with ExitStack() as stack:
        try:
            server = stack.enter_context(_throwaway_cluster(str(Path(initdbs[-1]).parent)))
        except (subprocess.CalledProcessError, OSError, KeyError) as exc:
            detail = (getattr(exc, "stderr", b"") or b"").decode(errors="replace")
            _pg_missing(f"could not start a cluster with {initdbs[-1]}: {exc} {detail}")
        yield server


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with pg_server.connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield pg_server.url(name)
    with pg_server.connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite event log in a folder that does not exist yet."""
    return f"sqlite:///{tmp_path}/eventlog/events.db"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request) -> str:
    """The URL of a fresh, empty event-log database: once SQLite, once PostgreSQL."""
    return request.getfixturevalue(f"{'pg' if request.param == 'postgresql' else 'sqlite'}_url")


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def start_receiver():
    """Start ``linksplus webhooks`` subprocesses; each is stopped when the test ends.

    ``start_receiver(db_url, port=None, secret=..., certfile=None, keyfile=None, ca=None,
    args=())`` answers the running ServerProcess, with ``.url`` (the webhook URL),
    ``.base`` (its scheme, host and port) and ``.log_path``; `args` are more options.
    """
    started: list[ServerProcess] = []

    def start(
        db_url: str,
        *,
        port: int | None = None,
        secret: str | None = None,
        certfile: str | None = None,
        keyfile: str | None = None,
        ca: str | None = None,
        args: tuple[str, ...] = (),
    ) -> ServerProcess:
        port = port or free_port()
        scheme = "https" if certfile else "http"
        command = ["webhooks", "--port", str(port), "--db", db_url, *args]
        if secret:
            command += ["--secret", secret]
        if certfile:
            command += ["--ssl-certfile", certfile, "--ssl-keyfile", keyfile]
        server = ServerProcess(
            command,
            health_url=f"{scheme}://127.0.0.1:{port}/healthz",
            log_path=ARTIFACTS / "logs" / f"receiver-{port}.log",
            verify=ca or True,
        )
        started.append(server)
        server.start()
        server.base = f"{scheme}://127.0.0.1:{port}"
        server.url = f"{server.base}/webhooks/linksplus"
        server.port = port
        return server

    yield start
    for server in started:
        server.stop()
