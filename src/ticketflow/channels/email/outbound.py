"""A reply as a MIME message, and its delivery over SMTP with failures sorted into retry or review.

The message threads under the customer's mail (``In-Reply-To``/``References``, RFC 5322 §3.6.4), says it
was generated (``Auto-Submitted: auto-replied``, so well-behaved responders do not answer it, and
``X-Auto-Response-Suppress: All`` for Exchange), and carries a Message-ID derived from the idempotency key:
a retried send of the same reply is the same message, which receivers and our own dedupe recognise.

``outbound`` is a URL, ``smtp://host:port`` (``?starttls=1`` to upgrade) or ``smtps://host:465``; the
credentials never appear in it, they come from environment variables whose names the settings hold.
Transient failures (a 4xx reply, a refused connection, a timeout) raise ``ChannelUnavailable`` so the
delivery step retries; permanent ones (a 5xx reply) raise ``DeliveryRefused`` so the ticket goes to review.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from ticketflow.channels.email.parse import display_subject
from ticketflow.errors import ChannelUnavailable, ConfigError, DeliveryRefused

Security = Literal["plain", "starttls", "ssl"]
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    """Where replies are handed over: host, port, and how the connection is secured."""

    host: str
    port: int
    security: Security = "plain"
    timeout: float = 30.0

    @classmethod
    def parse(cls, url: str, *, timeout: float = 30.0) -> SmtpTarget:
        """``smtp://host[:port][?starttls=1]`` or ``smtps://host[:port]``; credentials in it are refused."""
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS:
            raise ConfigError(f"outbound {url!r}: the scheme must be smtp:// or smtps://")
        if parts.username is not None or parts.password is not None:
            raise ConfigError(
                "outbound: put no credentials in the URL; name their environment variables in "
                "username_env and password_env"
            )
        if not parts.hostname:
            raise ConfigError(f"outbound {url!r}: a host is required, e.g. smtp://127.0.0.1:2526")
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError as exc:
            raise ConfigError(f"outbound {url!r}: the port is not a number") from exc
        starttls = parse_qs(parts.query).get("starttls", ["0"])[-1].lower() in {"1", "true", "yes"}
        if parts.scheme == "smtps":
            security: Security = "ssl"
        else:
            security = "starttls" if starttls else "plain"
        return cls(parts.hostname, port, security, timeout)


@dataclass(frozen=True, slots=True)
class Credentials:
    """An SMTP login, read from the environment when a send needs it; repr never shows the password."""

    username: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password=***)"


def message_id_for(idempotency_key: str, domain: str) -> str:
    """The Message-ID of the reply sent under ``idempotency_key``: the same key, the same id.

    Not ``email.utils.make_msgid``, which adds the time and a random number: the left part is a hash of the
    key, so a retried send is recognisably the same message.
    """
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<tf.{digest}@{domain}>"


def reply_subject(subject: str | None) -> str:
    """``Re: <subject>``, never ``Re: Re: ...``."""
    plain = display_subject(subject or "")
    return f"Re: {plain}" if plain else "Re: your message"


def compose(
    *,
    from_address: str,
    to: str,
    subject: str | None,
    body: str,
    message_id: str,
    at: datetime,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> EmailMessage:
    """The reply as a MIME message: text/plain UTF-8 with the threading and auto-reply headers."""
    message = EmailMessage()
    message["From"] = from_address
    message["To"] = to
    message["Date"] = format_datetime(at)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = " ".join(references)
    message["Subject"] = reply_subject(subject)
    message["Auto-Submitted"] = "auto-replied"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(body, subtype="plain", charset="utf-8")
    return message


class SmtpSender:
    """Hands messages to an SMTP server (``smtplib``), one connection per send."""

    def __init__(self, target: SmtpTarget, credentials: Credentials | None = None) -> None:
        self.target = target
        self._credentials = credentials

    def send(self, message: EmailMessage, *, envelope_from: str, recipients: Sequence[str]) -> None:
        """Deliver ``message``; raise ``ChannelUnavailable`` (retry) or ``DeliveryRefused`` (review)."""
        where = f"{self.target.host}:{self.target.port}"
        try:
            with self._connect() as client:
                if self.target.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if self._credentials is not None:
                    client.login(self._credentials.username, self._credentials.password)
                client.send_message(message, from_addr=envelope_from, to_addrs=list(recipients))
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            detail = "; ".join(f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg) in exc.recipients.items())
            if all(400 <= code < 500 for code in codes):
                raise ChannelUnavailable(f"the SMTP server {where} deferred the recipient: {detail}") from exc
            raise DeliveryRefused(f"the SMTP server {where} refused the recipient: {detail}") from exc
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, auth, HELO ...
            detail = f"{exc.smtp_code} {_text(exc.smtp_error)}"
            if 400 <= exc.smtp_code < 500:
                raise ChannelUnavailable(f"the SMTP server {where} answered {detail}; retry later") from exc
            raise DeliveryRefused(f"the SMTP server {where} refused the message: {detail}") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryRefused(f"the SMTP server {where} does not support {exc}: check outbound") from exc
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryRefused(
                f"the SMTP server {where} has a certificate we do not trust: {exc}"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timed out, disconnected
            raise ChannelUnavailable(f"the SMTP server {where} is unreachable: {exc}; retry later") from exc

    def _connect(self) -> smtplib.SMTP:
        host, port, timeout = self.target.host, self.target.port, self.target.timeout
        if self.target.security == "ssl":
            return smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        return smtplib.SMTP(host, port, timeout=timeout)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
