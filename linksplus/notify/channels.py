"""The two ways an alert leaves: email (Python's smtplib) and LINE (line-bot-sdk's push).

Neither the SMTP password nor the LINE token appears in a repr, a log line or an error:
errors name the server as `mask_url` shows it.
"""

from __future__ import annotations

import smtplib
import ssl
import time
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlsplit

SMTP_TIMEOUT = 20.0
# A connection is used again for the next message only this soon after the last: a busy
# notifier saves a connection and greeting per message; an idle one would find it closed.
SMTP_REUSE_SECONDS = 5.0
# Every message's Message-ID and LINE retry key come from its outbox key in this namespace,
# so the same message sent twice (a notifier killed mid-send) carries the same id both
# times: LINE drops the second push, a mail client may fold the copies.
_NAMESPACE = uuid.UUID("6c1b2a58-5e0f-4a57-9a55-1a3c2e8e7f10")


class SendError(RuntimeError):
    """A channel could not send a message; the text names no secret."""


def message_key(payment_id: str, recipient: str, channel: str) -> uuid.UUID:
    """The stable id of one alert (a payment, a recipient, a channel)."""
    return uuid.uuid5(_NAMESPACE, f"{payment_id}\0{recipient}\0{channel}")


def mask_url(url: str) -> str:
    """`url` without its password: ``smtp://user:••••@host:587``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:••••@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()


@dataclass(frozen=True)
class SmtpServer:
    """Where mail goes, read from ``smtp://`` or ``smtps://`` URLs (``?tls=starttls``)."""

    host: str
    port: int
    tls: str  # none, starttls, ssl
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """ValueError with one sentence when the URL is not an SMTP server's."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise ValueError("smtp_url is not a URL (smtp://user:password@host:587).") from None
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(
                "smtp_url must start with smtp:// or smtps:// and name a host, for example "
                "smtp://user:password@mail.example.com:587?tls=starttls."
            )
        tls = "ssl" if parts.scheme == "smtps" else "none"
        wanted = parse_qs(parts.query).get("tls", [""])[0].lower()
        if wanted == "starttls":
            tls = "starttls"
        elif wanted not in ("", "none", "ssl"):
            raise ValueError("smtp_url's tls must be starttls, ssl or none.")
        elif wanted == "ssl":
            tls = "ssl"
        default_port = 465 if tls == "ssl" else 587 if tls == "starttls" else 25
        return cls(
            host=parts.hostname,
            port=port or default_port,
            tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class EmailChannel:
    """Sends an alert as a plain-text email through `smtp_url`, from `mail_from`."""

    def __init__(self, smtp_url: str, mail_from: str):
        self.server = SmtpServer.from_url(smtp_url)
        self.shown = mask_url(smtp_url)
        self.mail_from = mail_from or f"Links+ Console <linksplus@{self.server.host}>"
        self._smtp: smtplib.SMTP | None = None
        self._used = 0.0

    def __repr__(self) -> str:
        return f"EmailChannel({self.shown!r})"

    def send(self, to: str, subject: str, body: str, key: uuid.UUID) -> None:
        """Hand the message to the SMTP server; SendError when it does not accept it."""
        message = EmailMessage()
        message["From"] = self.mail_from
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = f"<{key}@linksplus.alerts>"
        message.set_content(body)
        try:
            smtp = self._connection()
            smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()  # after any error, the next message starts a new connection
            reason = _reason(exc)
            raise SendError(f"the mail server {self.shown} did not take it: {reason}") from None
        self._used = time.monotonic()

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None and time.monotonic() - self._used < SMTP_REUSE_SECONDS:
            return self._smtp
        self.close()
        smtp = self._connect()
        try:
            if self.server.username:
                smtp.login(self.server.username, self.server.password or "")
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        """Say goodbye to the server, if connected."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def _connect(self) -> smtplib.SMTP:
        s = self.server
        if s.tls == "ssl":
            return smtplib.SMTP_SSL(
                s.host, s.port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context()
            )
        smtp = smtplib.SMTP(s.host, s.port, timeout=SMTP_TIMEOUT)
        if s.tls == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        return smtp


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        message = exc.smtp_error
        text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
        return f"{exc.smtp_code} {text}"[:300]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "the recipient was refused"
    return (str(exc) or type(exc).__name__)[:300]


class LineChannel:
    """Pushes an alert as a LINE text message (Messaging API, line-bot-sdk v3) to a user id,
    with `token` (the channel access token) at `api_url` (LINE's, or a stand-in)."""

    def __init__(self, token: str, api_url: str):
        from linebot.v3.messaging import ApiClient, Configuration, MessagingApi

        self.api_url = api_url.rstrip("/")
        self._client = ApiClient(Configuration(host=self.api_url, access_token=token))
        self._api = MessagingApi(self._client)

    def __repr__(self) -> str:
        return f"LineChannel({self.api_url!r})"

    def send(self, to: str, text: str, key: uuid.UUID) -> None:
        """Push `text` to LINE user `to`; SendError when LINE refuses it. `key` is LINE's
        retry key: LINE delivers a push with a key it has seen once only (a 409)."""
        from linebot.v3.messaging import PushMessageRequest, TextMessage
        from linebot.v3.messaging.exceptions import ApiException

        request = PushMessageRequest(to=to, messages=[TextMessage(text=text)])
        try:
            self._api.push_message(request, x_line_retry_key=str(key))
        except ApiException as exc:
            if exc.status == 409:  # this very message was accepted before
                return
            raise SendError(f"LINE did not take it: HTTP {exc.status} {exc.reason}") from None
        except Exception as exc:  # urllib3's connection errors, timeouts
            raise SendError(f"LINE could not be reached at {self.api_url}: {exc}"[:300]) from None

    def close(self) -> None:
        self._client.close()
