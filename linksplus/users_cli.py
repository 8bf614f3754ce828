"""`linksplus users ...`: the Users page for scripts, on the same configuration as the app
(``[linksplus]`` in .streamlit/secrets.toml or --config, overridden by LINKSPLUS_*).

Each command prints what it did, or one sentence on standard error and exits 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from linksplus.console.users import ROLES, UsersFileError, effective_role


def _password_from_stdin() -> str:
    return sys.stdin.readline().rstrip("\r\n")


def _add(args: argparse.Namespace, settings) -> str:
    from linksplus.console.user_admin import add_user

    password = _password_from_stdin() if args.password_stdin else None
    if args.password_stdin and not password:
        raise ValueError("No password came on standard input: pipe it in, one line.")
    user, once = add_user(
        settings,
        username=args.username,
        name=args.name,
        email=args.email or "",
        role=args.role,
        teams=args.teams,
        password=password,
    )
    said = f"Added {user.username} ({effective_role(user.roles)}, teams {args.teams.strip()})."
    if once:
        said += f"\nOne-time password, shown this once (changed at first login): {once}"
    return said


def _passwd(args: argparse.Namespace, settings) -> str:
    from linksplus.console.user_admin import reset_password, set_password

    if args.password_stdin:
        set_password(settings, args.username, _password_from_stdin())
        return f"Set the password of {args.username.lower()}."
    once = reset_password(settings, args.username)
    return (
        f"One-time password of {args.username.lower()}, shown this once (changed at next "
        f"login): {once}"
    )


def _disable(args: argparse.Namespace, settings) -> str:
    from linksplus.console.user_admin import set_active

    user = set_active(settings, args.username, False)
    return f"Disabled {user.username}: logged out everywhere within a minute."


def _enable(args: argparse.Namespace, settings) -> str:
    from linksplus.console.user_admin import set_active

    user = set_active(settings, args.username, True)
    return f"Enabled {user.username} again."


def _two_step_off(args: argparse.Namespace, settings) -> str:
    from linksplus.console import second_factor
    from linksplus.console.users import configured_users

    name = args.username.strip().lower()
    user = next((u for u in configured_users(settings) if u.username == name), None)
    if user is None:
        raise ValueError(f"There is no user {name}.")
    second_factor.turn_off(settings, user, None)
    return f"{name} logs in with a password only now (a lost phone); they may set it up again."


def _list(args: argparse.Namespace, settings) -> str:
    from linksplus.console.users import configured_users

    lines = ["username\tname\temail\trole\tteams\tactive\tmust change password"]
    for u in sorted(configured_users(settings), key=lambda u: u.username):
        teams = u.teams if u.teams == "*" else ",".join(str(t) for t in u.teams)
        flags = ("yes" if u.active else "no", "yes" if u.must_change_password else "no")
        lines.append(
            "\t".join(
                (u.username, u.name, u.email, effective_role(u.roles) or "", str(teams), *flags)
            )
        )
    return "\n".join(lines)


def _import(args: argparse.Namespace, settings) -> str:
    from linksplus.console.user_admin import import_users

    done = import_users(settings, args.file)
    said = f"Imported {len(done.added)} user(s) from {args.file}"
    said += f": {', '.join(done.added)}." if done.added else "."
    if done.skipped:
        said += (
            f"\nSkipped {len(done.skipped)} already in the console, left as they are: "
            f"{', '.join(done.skipped)}."
        )
    return said


def _run(action, load_settings):
    def run(args: argparse.Namespace) -> int:
        try:
            print(action(args, load_settings(args.config)))
        except (UsersFileError, ValueError) as exc:  # UserChangeRefused is a ValueError
            print(str(exc), file=sys.stderr)
            return 1
        return 0

    return run


def _command(commands, name: str, about: str, action, load_settings):
    """A subcommand running `action` on the settings read as the app reads them."""
    p = commands.add_parser(name, help=about, description=about)
    p.add_argument("--config", metavar="PATH", help="the configuration file (as the app's)")
    p.set_defaults(func=_run(action, load_settings))
    return p


def add_parser(sub, load_settings: Callable[[str | None], Any]) -> None:
    """Register `linksplus users ...` on the main parser's subparsers `sub`; the commands
    read their settings with `load_settings(config path or None)`."""
    about = "manage who may log in (when no users_file is set: in the console's database)"
    users = sub.add_parser("users", help=about, description=about)
    commands = users.add_subparsers(dest="users_command", required=True)
    p = _command(commands, "add", "add a person (prints a one-time password)", _add, load_settings)
    p.add_argument("username")
    p.add_argument("--name", required=True)
    p.add_argument("--email", default="")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--teams", required=True, help="team ids like 101,102, or '*' for every team")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    about = "give a one-time password (or set one read from stdin)"
    p = _command(commands, "passwd", about, _passwd, load_settings)
    p.add_argument("username")
    p.add_argument("--password-stdin", action="store_true", help="kept; not a one-time one")
    for name, about, action in (
        ("disable", "disable and log out everywhere", _disable),
        ("enable", "let a disabled user log in again", _enable),
        ("two-step-off", "turn a user's two-step login off (a lost phone)", _two_step_off),
    ):
        _command(commands, name, about, action, load_settings).add_argument("username")
    _command(commands, "list", "everyone, tab-separated", _list, load_settings)
    about = "bring a users.yaml in, once (users already there are skipped)"
    _command(commands, "import", about, _import, load_settings).add_argument("file")
