"""Is a configuration fit to run the console for real? The checks `linksplus app` runs
before it starts Streamlit (refusing on any failure) and `linksplus check` prints.

Each check is a plain function returning `Finding`s: what was checked, ``ok``, ``warn``
(works, but worth a look; does not fail) or ``FAIL``, and one sentence saying what was
found and what to do. The API key is never part of a sentence (only `mask_key`'s form).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path

import requests

from linksplus.config import Settings, mask_key

OK, WARN, FAIL = "ok", "warn", "FAIL"
MIN_COOKIE_KEY_BYTES = 32
# Values that are public, so sign nothing: the placeholders of .streamlit/secrets.toml.example.
# (The demo makes a new random cookie key each run; it has no fixed one to refuse.)
PUBLIC_COOKIE_KEYS = frozenset({"replace-with-a-long-random-secret"})
PUBLIC_API_KEYS = frozenset({"replace_me"})
CONNECTION_PATH = "/external/links"  # the key's own links: the call Omise's Links+ page shows


@dataclass(frozen=True)
class Finding:
    """One check's outcome: `status` is OK, WARN or FAIL; `sentence` says what to do."""

    name: str
    status: str
    sentence: str

    @property
    def passed(self) -> bool:
        return self.status != FAIL

    def line(self) -> str:
        return f"{self.status:<4}  {self.name}: {self.sentence}"


def api_key(settings: Settings) -> Finding:
    """The key is set, and is not the example file's placeholder."""
    if not settings.api_key:
        return Finding(
            "API key",
            FAIL,
            "No Links+ API key is set: run `linksplus init`, or put `api_key` under "
            "`[linksplus]` in .streamlit/secrets.toml, or set LINKSPLUS_API_KEY.",
        )
    if settings.api_key in PUBLIC_API_KEYS:
        return Finding(
            "API key",
            FAIL,
            "The Links+ API key is still the example file's placeholder: put your key from "
            "the Links+ dashboard (Settings > API Keys) in `api_key`.",
        )
    return Finding("API key", OK, f"set ({mask_key(settings.api_key)}).")


def other_settings(settings: Settings) -> Finding:
    """Every other setting the app checks itself (auth style, country, URL, cookie days)."""
    # The key has a finding of its own: checked here with a stand-in, so not twice.
    problems = replace(settings, api_key="set").problems()
    if problems:
        return Finding("settings", FAIL, " ".join(problems))
    return Finding("settings", OK, f"API at {settings.api_base_url}, auth {settings.api_auth}.")


def cookie_key(settings: Settings) -> Finding:
    """The login cookie's signing key: set, not a published value, at least 32 bytes."""
    key = settings.cookie_key or ""
    fix = (
        'put the output of `python -c "import secrets; print(secrets.token_urlsafe(48))"` '
        "in `cookie_key` (or LINKSPLUS_COOKIE_KEY)."
    )
    if not key:
        return Finding("cookie key", FAIL, f"No login cookie key is set: {fix}")
    if key in PUBLIC_COOKIE_KEYS:
        return Finding(
            "cookie key",
            FAIL,
            f"The cookie key is the example's published value, so anyone could forge a "
            f"login: {fix}",
        )
    size = len(key.encode())
    if size < MIN_COOKIE_KEY_BYTES:
        return Finding(
            "cookie key",
            FAIL,
            f"The cookie key is {size} bytes, shorter than {MIN_COOKIE_KEY_BYTES}, so a login "
            f"could be forged by guessing it: {fix}",
        )
    return Finding("cookie key", OK, f"{size} bytes.")


def users(settings: Settings) -> Finding:
    """The users store can be read and lets somebody in (an active admin among them)."""
    from linksplus.console.users import (
        UsersFileError,
        configured_users,
        effective_role,
        uses_store,
        where_users_live,
    )

    try:
        found = [u for u in configured_users(settings) if u.active]
    except UsersFileError as exc:
        return Finding("users", FAIL, str(exc))
    where = where_users_live(settings)
    if not found:
        return Finding(
            "users",
            FAIL,
            f"{where[:1].upper()}{where[1:]} has no users (or only disabled ones), so nobody "
            f"could log in: {_first_admin_hint(settings)}",
        )
    admins = sum(effective_role(u.roles) == "admin" for u in found)
    if not admins:
        fix = (
            "`linksplus users add NAME --role admin ...`"
            if uses_store(settings)
            else f"`roles: [admin]` in {settings.users_file}"
        )
        return Finding(
            "users",
            WARN,
            f"{len(found)} user(s) but no admin, so nobody can open Settings, Users or the "
            f"Webhook log: give one user the admin role ({fix}).",
        )
    return Finding("users", OK, f"{len(found)} user(s), {admins} admin(s).")


def _first_admin_hint(settings: Settings) -> str:
    from linksplus.console.users import uses_store

    if uses_store(settings):
        return (
            "add an admin with `linksplus users add USERNAME --name NAME --role admin "
            "--teams '*'` (or `linksplus init` on a new configuration)."
        )
    return "run `linksplus init` to create the first admin."


def databases(settings: Settings, *, behind_fails: bool = True) -> list[Finding]:
    """The event log's and the workspace's schemas in `eventlog_url`'s database: reachable
    and not newer than this code; with `behind_fails`, also not older (else that is fine:
    the app makes or upgrades them when it first opens them)."""
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from linksplus.eventlog.engine import make_engine
    from linksplus.eventlog.schema import HISTORY as EVENT_LOG
    from linksplus.workspace.schema import HISTORY as WORKSPACE

    histories = (("event log", EVENT_LOG), ("workspace store", WORKSPACE))
    try:
        if _missing_sqlite_file(settings.eventlog_url):
            return [_schema_finding(name, h, 0, behind_fails) for name, h in histories]
        engine = make_engine(settings.eventlog_url)
    except (ValueError, ArgumentError) as exc:
        reason = str(exc) if isinstance(exc, ValueError) else "SQLAlchemy cannot read it"
        sentence = f"`eventlog_url` is not a database the console can use ({reason})."
        return [Finding("event log", FAIL, sentence)]
    try:
        return [
            _schema_finding(name, h, _stored_version(engine, h), behind_fails)
            for name, h in histories
        ]
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        sentence = (
            f"The database `eventlog_url` names cannot be reached ({reason}): start it, or "
            "correct the URL."
        )
        return [Finding("event log", FAIL, sentence)]
    finally:
        engine.dispose()


def _missing_sqlite_file(url: str) -> bool:
    """An SQLite URL whose file does not exist yet (opening it would make it)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return False
    if parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return False
    return not Path(parsed.database).expanduser().exists()


def _stored_version(engine, history) -> int:
    from linksplus.schema_history import stored_version

    with engine.connect() as conn:
        return stored_version(conn, history)


def _schema_finding(name: str, history, found: int, behind_fails: bool) -> Finding:
    if found > history.version:
        said = history.too_new.format(found=found, known=history.version)
        return Finding(name, FAIL, said[:1].upper() + said[1:])
    if found == history.version:
        return Finding(name, OK, f"schema {found} (current).")
    where = "not made yet" if found == 0 else f"schema {found}, older than {history.version}"
    if not behind_fails:  # the app makes or upgrades it when it first opens it
        return Finding(name, OK, f"{where}; the app brings it to schema {history.version}.")
    return Finding(
        name,
        FAIL,
        f"{where}: run `linksplus migrate` (the app also does it when it first opens it).",
    )


def connection(settings: Settings, *, timeout: float = 10.0) -> Finding:
    """The connection check: Links+ answers and accepts the key in the configured style."""
    from linksplus.connection import check_connection

    if not settings.api_key:
        return Finding("connection", FAIL, "Not checked: no API key is set.")
    report = check_connection(
        settings.api_key,
        base_url=settings.api_base_url,
        auth=settings.api_auth,
        path=CONNECTION_PATH,
        timeout=timeout,
    )
    return Finding("connection", *connection_words(report, settings))


def connection_words(report, settings: Settings) -> tuple[str, str]:
    """(status, sentence) for a `ConnectionReport`, for the terminal."""
    masked = mask_key(settings.api_key)
    if report.ok:
        ms = round(report.answer.ms)
        return OK, f"Links+ accepts the key {masked} sent as {report.configured} ({ms} ms)."
    if report.accepted:
        return FAIL, (
            f"Links+ refused the key sent as {report.configured} but accepts it sent as "
            f'{report.accepted}: set `api_auth = "{report.accepted}"` under `[linksplus]` '
            f"(or LINKSPLUS_API_AUTH={report.accepted})."
        )
    if all(a.refused for a in report.attempts):
        return FAIL, (
            f"The Links+ key was refused in every style (raw, basic, bearer), so the key "
            f"{masked} is wrong or revoked: copy it again from the Links+ dashboard "
            "(Settings > API Keys) into `api_key`."
        )
    error = report.attempts[-1].error
    said = (error.message if error else "no answer").rstrip(". ")
    return FAIL, (
        f"Links+ at {settings.api_base_url} could not be asked ({said}): check "
        "`api_base_url` and this machine's network."
    )


def receiver(url: str | None, *, timeout: float = 10.0) -> Finding:
    """The webhook receiver's health URL answers 200 (a warning when none was given)."""
    if not url:
        return Finding(
            "webhook receiver",
            WARN,
            "not checked: give --receiver-url with its health URL (https://…/healthz).",
        )
    try:
        resp = requests.get(url, timeout=timeout, headers={"Connection": "close"})
    except requests.RequestException as exc:
        return Finding(
            "webhook receiver",
            FAIL,
            f"No answer from {url} ({type(exc).__name__}): is `linksplus webhooks` running "
            "there, and the address right?",
        )
    if resp.status_code != 200:
        return Finding(
            "webhook receiver",
            FAIL,
            f"{url} answered {resp.status_code}, not 200: its log says why (a database it "
            "cannot write to, most often).",
        )
    return Finding("webhook receiver", OK, f"{url} answered 200.")


def config_file(path: Path) -> Finding:
    """The configuration file holds secrets: it should be readable by its owner only."""
    if not path.is_file():
        return Finding(
            "configuration file",
            WARN,
            f"{path} does not exist: the settings come from LINKSPLUS_* variables only.",
        )
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return Finding(
            "configuration file",
            WARN,
            f"{path} can be read by other users of this machine (mode {mode:o}): "
            f"`chmod 600 {path}`.",
        )
    return Finding("configuration file", OK, f"{path} (mode {mode:o}).")


def start_findings(settings: Settings) -> list[Finding]:
    """What `linksplus app` checks before it starts: everything it cannot run safely
    without, and nothing that needs the network."""
    return [
        api_key(settings),
        other_settings(settings),
        cookie_key(settings),
        users(settings),
        *databases(settings, behind_fails=False),
    ]


def all_findings(settings: Settings, *, path: Path, receiver_url: str | None) -> list[Finding]:
    """What `linksplus check` reports: the start checks with the schemas required to be
    current, plus the connection, the receiver and the file's permissions."""
    return [
        config_file(path),
        api_key(settings),
        other_settings(settings),
        connection(settings),
        *databases(settings, behind_fails=True),
        users(settings),
        cookie_key(settings),
        receiver(receiver_url),
    ]


def streamlit_command(
    app_path: Path,
    *,
    address: str,
    port: int,
    base_path: str = "",
    secrets_files: list[Path] | None = None,
) -> list[str]:
    """The `streamlit run` command line for production: headless, XSRF protection on, no
    file watcher, no usage statistics."""
    import sys

    options = {
        "--server.headless": "true",
        "--server.enableXsrfProtection": "true",
        "--server.enableCORS": "true",
        "--server.fileWatcherType": "none",
        "--server.runOnSave": "false",
        "--browser.gatherUsageStats": "false",
        "--server.address": address,
        "--server.port": str(port),
    }
    if base_path.strip("/"):
        options["--server.baseUrlPath"] = base_path.strip("/")
    command = [sys.executable, "-m", "streamlit", "run", str(app_path)]
    command += [part for option in options.items() for part in option]
    for path in secrets_files or ():
        command += ["--secrets.files", str(path)]
    return command


def private_write(path: Path, text: str) -> None:
    """Write `text` to `path` readable by its owner only (0600), replacing it atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)  # whatever the umask
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
