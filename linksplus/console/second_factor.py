"""The optional second factor: a TOTP code from an authenticator app (`pyotp`), set up by
scanning a QR code, with recovery codes shown once; an admin may require it for admins.

Codes are checked with one time step either side (a phone's clock a little off); each
works once (`TotpStore.use_step`). Recovery codes are kept as SHA-256 digests: they are
random, so a digest is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

import pyotp

from linksplus.console.qr import qr_png
from linksplus.console.users import UserRecord, effective_role
from linksplus.i18n import _
from linksplus.workspace.totp import ADMINS_NEED_TOTP, TotpStore, totp_store_for
from linksplus.workspace.users import UserChangeRefused

ISSUER = "Links+ Console"
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def store(settings: Any) -> TotpStore:
    """The second factors of the console with `settings`."""
    return totp_store_for(settings.eventlog_url)


def _digest(code: str) -> str:
    plain = "".join(c for c in code.lower() if c.isalnum())
    return hashlib.sha256(plain.encode()).hexdigest()


def _step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code `code` is (this one or one either side), or None."""
    code = "".join(c for c in code if c.isdigit())
    if len(code) != 6:
        return None
    totp, now = pyotp.TOTP(secret), time.time() if now is None else now
    here = int(now // totp.interval)
    for step in (here - 1, here, here + 1):
        if hmac.compare_digest(totp.at(step * totp.interval), code):
            return step
    return None


def is_on(settings: Any, username: str) -> bool:
    """Whether `username` logs in with a second factor."""
    found = store(settings).get(username)
    return found is not None and found.confirmed


def admins_must(settings: Any) -> bool:
    """Whether an admin requires the second factor of every admin."""
    return store(settings).option(ADMINS_NEED_TOTP) == "yes"


def set_admins_must(settings: Any, required: bool) -> None:
    store(settings).set_option(ADMINS_NEED_TOTP, "yes" if required else "no")


def must_set_up(settings: Any, user: UserRecord) -> bool:
    """Whether `user` must set up a second factor before anything else."""
    return (
        effective_role(user.roles) == "admin"
        and admins_must(settings)
        and not is_on(settings, user.username)
    )


def begin(settings: Any, username: str) -> tuple[str, bytes]:
    """Start a setup: the secret (to type in by hand) and its QR code as a PNG."""
    secret = pyotp.random_base32()
    store(settings).begin(username, secret)
    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)
    return secret, qr_png(uri)


def confirm(settings: Any, username: str, code: str) -> list[str]:
    """Turn the setup on with its first code; the recovery codes, to show once."""
    found = store(settings).get(username)
    step = _step(found.secret, code) if found and not found.confirmed else None
    if step is None:
        raise UserChangeRefused(_("That code does not match. Type the 6 digits the app shows now."))
    codes = [
        "-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODES)
    ]
    store(settings).confirm(username, step, [_digest(c) for c in codes])
    return codes


def check(settings: Any, username: str, code: str) -> bool:
    """Whether `code` (the app's, or a recovery code, used up) lets `username` in now."""
    found = store(settings).get(username)
    if found is None or not found.confirmed:
        return False
    step = _step(found.secret, code)
    if step is not None:
        return store(settings).use_step(username, step)
    return store(settings).use_recovery(username, _digest(code))


def turn_off(settings: Any, user: UserRecord, code: str | None) -> None:
    """Turn `user`'s second factor off: by themselves with a code (`code`), or by an admin
    (`code` None). Refused for an admin while admins must have one."""
    if effective_role(user.roles) == "admin" and admins_must(settings) and code is not None:
        raise UserChangeRefused(
            _("Admins must use two-step login here, so it cannot be turned off.")
        )
    if code is not None and not check(settings, user.username, code):
        raise UserChangeRefused(_("That code does not match. Type the 6 digits the app shows now."))
    store(settings).remove(user.username)
