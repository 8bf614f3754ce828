"""What makes a password acceptable for the console: long enough, not the username, not a
common password (a list shipped with the package, linksplus/common_passwords.txt)."""

from __future__ import annotations

import functools
import re
import secrets
from importlib import resources

from linksplus.i18n import _

MIN_LENGTH = 10


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-case."""
    text = resources.files("linksplus").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def _letters(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def password_problem(password: str, username: str = "") -> str | None:
    """Why `password` may not be used by `username`, as one sentence; None when it may."""
    if len(password) < MIN_LENGTH:
        return _("The password is too short: use at least {n} characters.").format(n=MIN_LENGTH)
    name = _letters(username)
    plain = _letters(password)
    # "Malee2024!!" for malee is the username with a little around it: refused too.
    if name and (
        plain == name or (len(name) >= 4 and name in plain and len(plain) - len(name) < 6)
    ):
        return _("The password must not be your username or contain it: choose another.")
    if password.strip().lower() in common_passwords() or plain in common_passwords():
        return _("That password is one of the most common ones, easy to guess: choose another.")
    return None


def one_time_password() -> str:
    """A random password for a new user or a reset (shown once; changed at next login)."""
    while True:
        candidate = secrets.token_urlsafe(12)  # 16 characters
        if password_problem(candidate) is None:
            return candidate
