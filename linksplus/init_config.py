"""`linksplus init`: write a working configuration file and create the console's first admin.

The file is `.streamlit/secrets.toml` (or another path) with a ``[linksplus]`` table, mode
0600: the Links+ key (asked for hidden, or read from stdin, never taken from the command
line), the auth style the connection check found, a new cookie key and webhook secret,
and where the event log and the users live. A file that already holds an API key is never
replaced without ``force``. Every question has a flag; without one it is asked, on the
terminal or, when stdin is not a terminal, as a line read from stdin.
"""

from __future__ import annotations

import getpass
import json
import secrets
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from linksplus.config import LIVE_BASE_URL, Settings, mask_key

MIN_PASSWORD = 8


class InitError(Exception):
    """`linksplus init` cannot go on; the message is one sentence saying what to do."""


class Asker:
    """Asks one question at a time: on a terminal with input() (getpass() for secrets),
    otherwise by reading the next line of stdin, so scripts and tests can answer. With
    `enabled` false nothing is asked and every answer is its default."""

    def __init__(self, enabled: bool = True, stdin=None, out=None):
        self.enabled = enabled
        self.stdin = stdin or sys.stdin
        self.out = out or sys.stdout

    @property
    def tty(self) -> bool:
        return self.stdin.isatty()

    def line(self) -> str:
        """The next line of stdin without its newline ("" at its end)."""
        return self.stdin.readline().rstrip("\r\n")

    def ask(self, question: str, default: str = "") -> str:
        if not self.enabled:
            return default
        prompt = f"{question} [{default}]: " if default else f"{question}: "
        if self.tty:
            answer = input(prompt)
        else:
            print(prompt, file=self.out, flush=True)
            answer = self.line()
        return answer.strip() or default

    def secret(self, question: str) -> str:
        if not self.enabled:
            return ""
        if self.tty:
            return getpass.getpass(f"{question}: ").strip()
        print(f"{question}:", file=self.out, flush=True)
        return self.line().strip()


@dataclass(frozen=True)
class Admin:
    username: str
    name: str
    email: str
    password: str
    generated: bool  # made up here: printed once


def refusal(path: Path, force: bool) -> str | None:
    """Why `path` must not be written (it holds a configuration), or None."""
    if force or not path.exists():
        return None
    try:
        with path.open("rb") as file:
            section = tomllib.load(file).get("linksplus") or {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return (
            f"{path} exists but cannot be read ({type(exc).__name__}); fix or move it, or "
            "run `linksplus init --force` to replace it."
        )
    if section.get("api_key"):
        return (
            f"{path} already holds a configuration with an API key, so it was left as it is: "
            "`linksplus check` tests it, and `linksplus init --force` replaces it."
        )
    return None


def read_api_key(args, asker: Asker) -> str:
    """The Links+ key: a line of stdin with --api-key-stdin, else asked for (hidden)."""
    key = asker.line().strip() if args.api_key_stdin else asker.secret("Links+ API key")
    if not key:
        raise InitError(
            "No Links+ API key was given: paste it when asked, or pipe it in with "
            "--api-key-stdin (copy it from the Links+ dashboard, Settings > API Keys)."
        )
    return key


def check_key(settings: Settings) -> str:
    """The auth style Links+ accepts the key in (the connection check); InitError when it
    accepts none or cannot be asked."""
    from linksplus.connection import check_connection
    from linksplus.operate import CONNECTION_PATH, connection_words

    report = check_connection(
        settings.api_key,
        base_url=settings.api_base_url,
        auth=settings.api_auth,
        path=CONNECTION_PATH,
    )
    if report.accepted:
        print(
            f"Links+ at {settings.api_base_url} accepts the key {mask_key(settings.api_key)} "
            f"sent as {report.accepted}."
        )
        return report.accepted
    _, sentence = connection_words(report, settings)
    raise InitError(
        f"{sentence} Nothing was written (--skip-connection-check writes it unchecked)."
    )


def read_admin(args, asker: Asker) -> Admin:
    """The first admin's details, from flags or asked; a password made up when none is
    given (printed once)."""
    username = args.admin_username or asker.ask("First admin's username", "admin")
    name = args.admin_name or asker.ask("Their full name", username)
    email = args.admin_email if args.admin_email is not None else asker.ask("Their email", "")
    if args.admin_password_stdin:
        password = asker.line()
    else:
        password = asker.secret("Their password (empty: make one up)")
        if password and asker.tty and asker.secret("Again") != password:
            raise InitError("The two passwords differ; run `linksplus init` again.")
    if password and len(password) < MIN_PASSWORD:
        raise InitError(
            f"The admin's password is too short: use at least {MIN_PASSWORD} characters."
        )
    if password:
        return Admin(username, name, email, password, generated=False)
    return Admin(username, name, email, secrets.token_urlsafe(12), generated=True)


def new_settings(args, api_key: str, base_url: str) -> Settings:
    """The settings to write: the given ones, absolute paths under the data folder, and a
    new cookie key."""
    data = Path(args.data_dir).expanduser().resolve()
    return Settings(
        api_base_url=base_url,
        api_key=api_key,
        api_auth=args.api_auth or "raw",
        account_country=args.account_country,
        eventlog_url=args.eventlog_url or f"sqlite:///{data / 'events.db'}",
        sandbox_url=args.sandbox_url,
        users_file=str(Path(args.users_file).resolve() if args.users_file else data / "users.yaml"),
        cookie_key=secrets.token_urlsafe(48),
    )


def toml_text(settings: Settings, webhook_secret: str) -> str:
    """The configuration file's text: one ``[linksplus]`` table."""
    values = {
        "api_base_url": settings.api_base_url,
        "api_key": settings.api_key,
        "api_auth": settings.api_auth,
        "account_country": settings.account_country,
        "eventlog_url": settings.eventlog_url,
        "users_file": settings.users_file,
        "cookie_key": settings.cookie_key,
        "webhook_secret": webhook_secret,
    }
    if settings.sandbox_url:
        values["sandbox_url"] = settings.sandbox_url
    # A JSON string is a valid TOML basic string (same escapes; non-ASCII as \\uXXXX).
    lines = [f"{name} = {json.dumps(value)}" for name, value in values.items()]
    header = (
        "# Written by `linksplus init`. Secrets: keep this file readable by its owner only.\n"
        "# The receiver reads webhook_secret by --config (or LINKSPLUS_WEBHOOK_SECRET).\n"
    )
    return header + "[linksplus]\n" + "\n".join(lines) + "\n"


def make_databases(settings: Settings) -> None:
    """Create the event log's and the workspace's tables (`linksplus migrate`)."""
    from sqlalchemy.exc import SQLAlchemyError

    from linksplus.eventlog.engine import make_engine
    from linksplus.eventlog.schema import HISTORY as EVENT_LOG
    from linksplus.schema_history import SchemaError, migrate
    from linksplus.workspace.schema import HISTORY as WORKSPACE

    try:
        engine = make_engine(settings.eventlog_url)
    except ValueError as exc:
        raise InitError(f"--eventlog-url cannot be used: {exc}.") from None
    try:
        for history in (EVENT_LOG, WORKSPACE):
            print(migrate(engine, history))
    except (SchemaError, SQLAlchemyError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise InitError(f"The event log's database could not be prepared: {reason}") from None
    finally:
        engine.dispose()


def make_admin(settings: Settings, args, asker: Asker) -> Admin | None:
    """The first admin, stored; None (said so) when the users store already has users."""
    from linksplus.console.users import UsersFileError, add_first_admin, user_count

    try:
        existing = user_count(settings)
    except UsersFileError as exc:
        raise InitError(str(exc)) from None
    if existing:
        print(f"The users file {settings.users_file} already has users; it was left as it is.")
        return None
    admin = read_admin(args, asker)
    try:
        add_first_admin(
            settings,
            username=admin.username,
            name=admin.name,
            email=admin.email,
            password=admin.password,
        )
    except ValueError as exc:
        raise InitError(str(exc)) from None
    return admin


def run_init(args, asker: Asker | None = None) -> int:
    """`linksplus init`; the exit code."""
    from linksplus.operate import private_write
    from linksplus.webhooks.signing import generate_secret

    asker = asker or Asker(enabled=not args.no_input)
    path = Path(args.config)
    try:
        reason = refusal(path, args.force)
        if reason:
            raise InitError(reason)
        base_url = args.api_base_url or asker.ask("Links+ API address", LIVE_BASE_URL)
        settings = new_settings(args, read_api_key(args, asker), base_url)
        if not args.skip_connection_check:
            settings = _with_auth(settings, check_key(settings))
        make_databases(settings)
        admin = make_admin(settings, args, asker)
        private_write(path, toml_text(settings, generate_secret()))
    except InitError as exc:
        print(exc, file=sys.stderr)
        return 1
    _summary(path, settings, admin)
    return 0


def _with_auth(settings: Settings, auth: str) -> Settings:
    from dataclasses import replace

    return replace(settings, api_auth=auth)


def _summary(path: Path, settings: Settings, admin: Admin | None) -> None:
    print(f"Wrote {path} (readable by you only).")
    if admin is not None:
        print(f"Created the admin {admin.username!r} (every team) in {settings.users_file}.")
        if admin.generated:
            print(f"Their password, shown this once: {admin.password}")
    print("Next: `linksplus check`, then `linksplus app`.")
