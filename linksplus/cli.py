"""The `linksplus` command: each subcommand starts one part of the product or helps run it."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import signal
import sys


def _sandbox(args: argparse.Namespace) -> int:
    from linksplus.sandbox.delivery import RETRY_DELAYS, parse_delays
    from linksplus.sandbox.server import serve

    try:
        delays = (
            parse_delays(args.webhook_retry_delays) if args.webhook_retry_delays else RETRY_DELAYS
        )
    except ValueError as exc:
        print(f"--webhook-retry-delays: {exc}", file=sys.stderr)
        return 2

    serve(
        host=args.host,
        port=args.port,
        data=args.data,
        api_key=args.api_key,
        webhook_url=args.webhook_url,
        dashboard_webhook_url=args.dashboard_webhook_url,
        webhook_secret=args.webhook_secret,
        webhook_ca_file=args.webhook_ca_file,
        idempotency=args.idempotency == "on",
        retry_delays=delays,
        retry_time_scale=args.webhook_time_scale,
    )
    return 0


def _webhooks(args: argparse.Namespace) -> int:
    from linksplus.observability.logs import configure_logging
    from linksplus.webhooks.limits import Limits
    from linksplus.webhooks.receiver import serve

    if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
        print("--ssl-certfile and --ssl-keyfile go together.", file=sys.stderr)
        return 2
    if args.log_format not in ("text", "json"):  # from LINKSPLUS_LOG_FORMAT
        print("LINKSPLUS_LOG_FORMAT must be text or json.", file=sys.stderr)
        return 2
    db_url, secret = args.db, args.secret
    if args.config:  # flags and LINKSPLUS_ variables win over the file
        from linksplus.webhooks.config_file import read_receiver_config

        try:
            from_file = read_receiver_config(args.config)
        except ValueError as exc:
            print(_sentence(exc), file=sys.stderr)
            return 2
        db_url, secret = db_url or from_file.db_url, secret or from_file.secret
    if args.log_format == "json":  # text: as `main` set it up
        configure_logging("json")
    serve(
        host=args.host,
        port=args.port,
        db_url=db_url,
        secret=secret,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
        limits=Limits(
            header_timeout=args.header_timeout,
            body_timeout=args.body_timeout,
            first_request_timeout=args.first_request_timeout,
            max_connections=args.max_connections,
            per_client=args.max_connections_per_client,
            reserved=args.reserved_connections,
        ),
        log_format=args.log_format,
    )
    return 0


def _simulate_payment(args: argparse.Namespace) -> int:
    from linksplus.errors import LinksPlusError
    from linksplus.simulate import simulate_payment

    try:
        payment = simulate_payment(
            args.sandbox_url, args.link_id, status=args.status, amount=args.amount
        )
    except LinksPlusError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    print(f"Simulated {payment.get('status')} payment {payment.get('id')} on link {args.link_id}.")
    return 0


def _hash_password(args: argparse.Namespace) -> int:
    from linksplus.console.users import hash_password

    password = args.password
    if password is None:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("The two passwords differ.", file=sys.stderr)
            return 1
    if len(password) < 8:
        print("Use at least 8 characters.", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0


def _report_timezone(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from linksplus.config import DEFAULT_EVENTLOG_URL
    from linksplus.eventlog import EventLog

    try:
        offset = datetime.now(ZoneInfo(args.timezone)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        print(f"{args.timezone!r} is not a timezone name such as Asia/Tokyo", file=sys.stderr)
        return 2

    def utc(m: int) -> str:
        return f"UTC{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}"

    minutes = int(offset.total_seconds() // 60)
    with EventLog(args.db or DEFAULT_EVENTLOG_URL) as log:
        added = log.add_day_offset(minutes)
        kept = ", ".join(utc(m) for m in log.day_offsets())
    print(
        f"per-day figures {'now kept' if added else 'were already kept'} at {utc(minutes)} "
        f"({args.timezone} on {datetime.now(UTC):%Y-%m-%d}); kept at: {kept}"
    )
    return 0


DEFAULT_CONFIG = ".streamlit/secrets.toml"


def _secrets_files(config: str | None = None) -> list:
    """The files the app's settings come from, later ones winning: the user's
    ~/.streamlit/secrets.toml, then `config` (default: the project's, as Streamlit reads)."""
    from pathlib import Path

    return [Path.home() / ".streamlit" / "secrets.toml", Path(config or DEFAULT_CONFIG)]


def _app_settings(config: str | None = None):
    """The settings the app reads: ``[linksplus]`` in .streamlit/secrets.toml (the user's,
    then the project's or `config`, as Streamlit reads them), overridden by LINKSPLUS_*
    variables. ValueError, saying which file, when one is not TOML."""
    import tomllib

    from linksplus.config import Settings

    secrets: dict = {}
    for path in _secrets_files(config):
        if path.is_file():
            try:
                with path.open("rb") as file:
                    secrets.update(tomllib.load(file))
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"{path} cannot be read as TOML ({exc}).") from None
    return Settings.load(secrets, os.environ)


def _sentence(text: str) -> str:
    text = str(text)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _migrate(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from linksplus.eventlog.engine import make_engine
    from linksplus.eventlog.schema import HISTORY as EVENT_LOG
    from linksplus.schema_history import SchemaError, migrate
    from linksplus.workspace.schema import HISTORY as WORKSPACE

    try:
        engine = make_engine(args.db or _app_settings().eventlog_url)
    except ValueError as exc:
        print(_sentence(exc), file=sys.stderr)
        return 2
    except ArgumentError:
        # Not the URL itself: it may hold a password.
        print("The database URL is not one SQLAlchemy can read.", file=sys.stderr)
        return 2
    try:
        for history in (EVENT_LOG, WORKSPACE):
            print(migrate(engine, history))
    except SchemaError as exc:
        print(_sentence(exc), file=sys.stderr)
        return 1
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0]
        print(f"The database could not be migrated: {reason}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


def _backup(args: argparse.Namespace) -> int:
    from linksplus.backup import BackupError, backup

    try:
        done = backup(args.db or _app_settings().eventlog_url, args.folder, keep=args.keep)
    except (BackupError, ValueError) as exc:
        print(_sentence(exc), file=sys.stderr)
        return 1
    print(f"Backed up to {done.path} ({done.size:,} bytes).")
    for old in done.pruned:
        print(f"Removed the older backup {old.name}.")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from linksplus.backup import BackupError, restore

    url = args.db or _app_settings().eventlog_url
    try:
        restore(args.file, url)
    except (BackupError, ValueError) as exc:
        print(_sentence(exc), file=sys.stderr)
        return 1
    print(f"Restored {args.file}. Run `linksplus migrate` if it came from an older release.")
    return 0


def _init(args: argparse.Namespace) -> int:
    from linksplus.init_config import run_init

    return run_init(args)


def _check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from linksplus.operate import all_findings

    try:
        settings = _app_settings(args.config)
    except ValueError as exc:
        print(f"FAIL  configuration file: {_sentence(exc)}")
        return 1
    findings = all_findings(
        settings, path=Path(args.config or DEFAULT_CONFIG), receiver_url=args.receiver_url
    )
    for finding in findings:
        print(finding.line(), flush=True)
    return 0 if all(f.passed for f in findings) else 1


def _app(args: argparse.Namespace) -> int:
    from linksplus.demo import app_file
    from linksplus.operate import FAIL, start_findings, streamlit_command

    try:
        findings = start_findings(_app_settings(args.config))
    except ValueError as exc:
        print(f"Cannot start: {_sentence(exc)}", file=sys.stderr)
        return 1
    app_path = app_file()
    for finding in findings:
        if finding.status != "ok":
            verdict = "Cannot start" if finding.status == FAIL else f"Warning ({finding.name})"
            print(f"{verdict}: {finding.sentence}", file=sys.stderr)
    if not all(f.passed for f in findings):
        return 1
    if app_path is None:
        print(
            "Cannot start: app.py was not found; run `linksplus app` from the Links+ Console "
            "folder (the one with app.py and pages/).",
            file=sys.stderr,
        )
        return 1
    command = streamlit_command(
        app_path,
        address=args.address,
        port=args.port,
        base_path=args.base_path,
        secrets_files=[p.resolve() for p in _secrets_files(args.config) if p.is_file()],
    )
    sys.stdout.flush()
    sys.stderr.flush()
    # Streamlit takes this process over: a service manager's signals reach it directly.
    os.execv(command[0], command)
    return 0  # not reached


def _demo(args: argparse.Namespace) -> int:
    from linksplus.demo import run_demo

    return run_demo(
        app_port=args.app_port,
        api_port=args.api_port,
        webhook_port=args.webhook_port,
        live=args.live,
        data_dir=args.data_dir,
        host=args.host,
    )


def _notifier(args: argparse.Namespace) -> int:
    import dataclasses
    import threading

    from linksplus.notify import Notifier, Timing
    from linksplus.schema_history import SchemaError

    try:
        settings = _app_settings()
        if args.db:
            settings = dataclasses.replace(settings, eventlog_url=args.db)
        notifier = Notifier(
            settings, Timing(poll=args.poll, lease=args.lease, retry_base=args.retry_base)
        )
    except (ValueError, SchemaError) as exc:  # a bad smtp_url, users file, database URL
        print(_sentence(exc), file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        notifier.run(stop)
    except KeyboardInterrupt:
        pass
    finally:
        notifier.close()
    return 0


def _notifier_parser(sub) -> None:
    about = (
        "send paid-link alerts (email, LINE) from the outbox, each once; reads the app's "
        "settings; runs until stopped"
    )
    p = sub.add_parser("notifier", help=about, description=about)
    p.add_argument("--db", help="database URL (default: the app's eventlog_url setting)")
    p.add_argument("--poll", type=float, default=0.5, help="seconds between looks when idle")
    p.add_argument("--lease", type=float, default=60.0, help="seconds a claimed message is held")
    p.add_argument(
        "--retry-base",
        type=float,
        default=30.0,
        help="seconds before the first retry, doubling per failure (up to an hour)",
    )
    p.set_defaults(func=_notifier)


def _delivery_schedule(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--webhook-retry-delays",
        metavar="SECONDS,...",
        help="pauses between webhook attempts (default: 1, 5 and 15 min, 1, 3, 6, 12, 24 h)",
    )
    p.add_argument(
        "--webhook-time-scale",
        type=float,
        default=1.0,
        help="multiplies every pause, e.g. 0.001 for tests (default 1)",
    )


def _receiver_limits(p: argparse.ArgumentParser) -> None:
    from linksplus.webhooks import limits

    p.add_argument(
        "--header-timeout",
        type=float,
        default=limits.HEADER_TIMEOUT,
        help="seconds a request's headers may take (default %(default)s)",
    )
    p.add_argument(
        "--body-timeout",
        type=float,
        default=limits.BODY_TIMEOUT,
        help="seconds a body may take after its headers (default %(default)s)",
    )
    p.add_argument(
        "--max-connections",
        type=int,
        default=limits.MAX_CONNECTIONS,
        help="open connections at most; more get 503 (default %(default)s)",
    )
    p.add_argument(
        "--max-connections-per-client",
        type=int,
        help="open connections from one address at most (default: a tenth of --max-connections)",
    )
    p.add_argument(
        "--reserved-connections",
        type=int,
        help="the last slots, kept for addresses holding fewer than "
        f"{limits.RESERVE_PER_CLIENT} connections (default: a tenth of --max-connections)",
    )
    p.add_argument(
        "--first-request-timeout",
        type=float,
        default=limits.FIRST_REQUEST_TIMEOUT,
        help="seconds a new connection may stay silent (default %(default)s)",
    )


def _sandbox_parser(sub) -> None:
    p = sub.add_parser("sandbox", help="serve a local stand-in for the Links+ API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument(
        "--data",
        choices=("demo", "empty"),
        default="demo",
        help="start with demo teams, templates and links, or nothing",
    )
    p.add_argument(
        "--api-key",
        default=os.environ.get("LINKSPLUS_SANDBOX_API_KEY"),
        help="the key clients must send (default: made up and printed)",
    )
    p.add_argument("--webhook-url", help="system webhook: where payment events go")
    p.add_argument("--dashboard-webhook-url", help="dashboard webhook: a second destination")
    p.add_argument(
        "--webhook-secret",
        default=os.environ.get("LINKSPLUS_WEBHOOK_SECRET"),
        help="base64 secret used to sign webhooks",
    )
    p.add_argument("--webhook-ca-file", help="CA bundle to trust for https webhooks")
    p.add_argument(
        "--idempotency",
        choices=("on", "off"),
        default="on",
        help="honour Idempotency-Key on creates (on), or ignore it as Links+ documents "
        "no idempotency (off)",
    )
    _delivery_schedule(p)
    p.set_defaults(func=_sandbox)


def _webhooks_parser(sub) -> None:
    p = sub.add_parser("webhooks", help="serve the webhook receiver that records payments")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8766)
    p.add_argument(
        "--db",
        default=os.environ.get("LINKSPLUS_EVENTLOG_URL"),
        help="event-log database URL (default sqlite:///.linksplus/events.db)",
    )
    p.add_argument(
        "--secret",
        default=os.environ.get("LINKSPLUS_WEBHOOK_SECRET"),
        help="base64 webhook secret; without it unsigned events are accepted",
    )
    p.add_argument(
        "--config",
        metavar="PATH",
        help="the console's configuration file (`linksplus init` writes it): its eventlog_url "
        "and webhook_secret, where --db, --secret and their variables do not say",
    )
    p.add_argument("--ssl-certfile")
    p.add_argument("--ssl-keyfile")
    p.add_argument(
        "--log-format",
        choices=("text", "json"),
        default=os.environ.get("LINKSPLUS_LOG_FORMAT") or "text",
        help="text (default, or LINKSPLUS_LOG_FORMAT) or json: one object a line with time, "
        "level, logger, message and request_id",
    )
    _receiver_limits(p)
    p.set_defaults(func=_webhooks)


def _simulate_payment_parser(sub) -> None:
    p = sub.add_parser("simulate-payment", help="make the sandbox take a payment on a link")
    p.add_argument("link_id", type=int)
    p.add_argument("--status", choices=("successful", "failed"), default="successful")
    p.add_argument("--amount", type=int, help="minor units (default: the link's amount)")
    p.add_argument(
        "--sandbox-url", default=os.environ.get("LINKSPLUS_SANDBOX_URL", "http://127.0.0.1:8765")
    )
    p.set_defaults(func=_simulate_payment)


def _database_parsers(sub) -> None:
    p = sub.add_parser(
        "report-timezone",
        help="keep the event log's per-day figures at a timezone's UTC offset too "
        "(reports of its days then read them; the default is Asia/Bangkok's)",
    )
    p.add_argument("timezone", help="an IANA name, e.g. Asia/Tokyo")
    p.add_argument("--db", default=os.environ.get("LINKSPLUS_EVENTLOG_URL"))
    p.set_defaults(func=_report_timezone)

    about = (
        "make or upgrade the event log's and the console's tables in place "
        "(the database the app's eventlog_url names)"
    )
    p = sub.add_parser("migrate", help=about, description=about)
    p.add_argument("--db", help="database URL (default: the app's eventlog_url setting)")
    p.set_defaults(func=_migrate)
    _backup_parsers(sub)


def _backup_parsers(sub) -> None:
    about = (
        "write a consistent copy of the event log and the console's records into FOLDER "
        "while the receiver keeps running, named by time; keep the newest --keep"
    )
    p = sub.add_parser("backup", help=about, description=about)
    p.add_argument("folder", help="where backups go (made if missing)")
    p.add_argument("--keep", type=int, default=14, help="how many backups to keep (14)")
    p.add_argument("--db", help="database URL (default: the app's eventlog_url setting)")
    p.set_defaults(func=_backup)
    about = "put a backup back into an empty database (it never writes over data)"
    p = sub.add_parser("restore", help=about, description=about)
    p.add_argument("file", help="a backup file that `linksplus backup` wrote")
    p.add_argument("--db", help="database URL (default: the app's eventlog_url setting)")
    p.set_defaults(func=_restore)


def _demo_parser(sub) -> None:
    p = sub.add_parser("demo", help="sandbox, receiver and app together, with demo users")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--app-port", type=int, default=8501)
    p.add_argument("--api-port", type=int, default=8765)
    p.add_argument("--webhook-port", type=int, default=8766)
    p.add_argument("--live", action="store_true", help="keep simulating payments")
    p.add_argument(
        "--data-dir",
        default=".linksplus/demo",
        help="where the demo keeps its event log and users file",
    )
    p.set_defaults(func=_demo)


def _config_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config",
        metavar="PATH",
        help=f"the configuration file (default {DEFAULT_CONFIG} in this folder)",
    )


def _init_parser(sub) -> None:
    about = (
        "write the configuration file (new cookie key and webhook secret, your Links+ key "
        "checked against Links+) and create the first admin; asks for what no flag gives"
    )
    p = sub.add_parser("init", help=about, description=about)
    _config_option(p)
    p.set_defaults(config=DEFAULT_CONFIG)
    p.add_argument("--force", action="store_true", help="replace a file that holds a key")
    p.add_argument("--no-input", action="store_true", help="ask nothing: flags and defaults")
    p.add_argument("--api-base-url", help="Links+ API address (default: Omise's)")
    p.add_argument(
        "--api-key-stdin", action="store_true", help="read the Links+ key from stdin's first line"
    )
    p.add_argument("--api-auth", choices=("raw", "basic", "bearer"), help="tried first (raw)")
    p.add_argument("--skip-connection-check", action="store_true", help="write it unchecked")
    p.add_argument("--account-country", default="th", choices=("th", "jp", "sg", "my"))
    p.add_argument("--sandbox-url", help="only with the sandbox: its test controls")
    p.add_argument("--data-dir", default=".linksplus", help="event log and users (.linksplus)")
    p.add_argument("--eventlog-url", help="database URL (default: SQLite in --data-dir)")
    p.add_argument("--users-file", help="(default: users.yaml in --data-dir)")
    p.add_argument("--admin-username", help="the first admin's username (admin)")
    p.add_argument("--admin-name", help="their full name")
    p.add_argument("--admin-email", help="their email")
    p.add_argument(
        "--admin-password-stdin",
        action="store_true",
        help="read their password from the next line of stdin (else asked, or made up)",
    )
    p.set_defaults(func=_init)


def _check_parser(sub) -> None:
    about = (
        "check a configuration end to end (key and auth style, event log, workspace store, "
        "users, cookie key, receiver): a line per check with what to do; exit 0 if all pass"
    )
    p = sub.add_parser("check", help=about, description=about)
    _config_option(p)
    p.add_argument("--receiver-url", help="the receiver's health URL, e.g. https://…/healthz")
    p.set_defaults(func=_check)


def _app_parser(sub) -> None:
    about = (
        "run the console for real use (Streamlit headless, XSRF protection on, no file "
        "watcher); refuses to start, saying why, on an unsafe configuration"
    )
    p = sub.add_parser("app", help=about, description=about)
    _config_option(p)
    p.add_argument("--address", default="127.0.0.1", help="where to listen (%(default)s)")
    p.add_argument("--port", type=int, default=8501, help="(%(default)s)")
    p.add_argument(
        "--base-path", default="", help="serve under this prefix, e.g. console for /console/"
    )
    p.set_defaults(func=_app)


def _operator_parsers(sub) -> None:
    _init_parser(sub)
    _check_parser(sub)
    _app_parser(sub)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="linksplus", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True)
    _sandbox_parser(sub)
    _webhooks_parser(sub)
    _simulate_payment_parser(sub)
    _database_parsers(sub)
    p = sub.add_parser("hash-password", help="print a bcrypt hash for the users file")
    p.add_argument("--password", help="(default: asked for, not echoed)")
    p.set_defaults(func=_hash_password)
    _demo_parser(sub)
    _operator_parsers(sub)
    _notifier_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
