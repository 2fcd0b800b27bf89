"""``[channels.email]``: where mail comes in, where replies go out, and the mailbox to poll.

A plain pydantic model: ``settings.py`` embeds it, and the channel reads it without importing settings.
Secrets are never values here, only the *names* of the environment variables that hold them.

.. code-block:: toml

    [channels.email]
    listen = "127.0.0.1:2525"
    addresses = ["support@example.com"]
    from_address = "support@example.com"
    outbound = "smtp://127.0.0.1:2526"          # or "smtps://smtp.example.com:465", "smtp://h:587?starttls=1"
    username_env = "TICKETFLOW_SMTP_USERNAME"
    password_env = "TICKETFLOW_SMTP_PASSWORD"

    [channels.email.imap]                        # optional: poll a mailbox as well as listen
    host = "imap.example.com"
    user = "support@example.com"
    password_env = "TICKETFLOW_IMAP_PASSWORD"
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ticketflow.channels.email.outbound import SmtpTarget
from ticketflow.errors import ConfigError

_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_ADDRESS = r"^[^@\s<>]+@[^@\s<>]+$"


class ImapSettings(BaseModel):
    """A mailbox polled over IMAP; its checkpoint is ``(UIDVALIDITY, UID)``, kept by the runtime."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(..., min_length=1)
    port: int | None = Field(None, ge=1, le=65535, description="default: 993 with ssl, else 143")
    user: str = Field(..., min_length=1)
    password_env: str = Field(..., pattern=_ENV_NAME, description="the variable holding the password")
    folder: str = "INBOX"
    security: Literal["ssl", "starttls", "plain"] = "ssl"
    every_seconds: float = Field(60.0, gt=0, description="how often the runtime polls")
    timeout_seconds: float = Field(30.0, gt=0)


class EmailSettings(BaseModel):
    """The email channel: SMTP intake, outbound SMTP, our addresses, and loop protection."""

    model_config = ConfigDict(extra="forbid")

    listen: str = Field("127.0.0.1:2525", description="host:port of the SMTP intake")
    addresses: list[str] = Field(
        default_factory=list, description="recipients the intake accepts; others get 550"
    )
    max_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="larger messages get 552")
    outbound: str | None = Field(None, description="smtp://host:port[?starttls=1] or smtps://host:port")
    from_address: str | None = Field(None, pattern=_ADDRESS, description="From of our replies")
    username_env: str | None = Field(None, pattern=_ENV_NAME)
    password_env: str | None = Field(None, pattern=_ENV_NAME)
    reply_rate_per_hour: int = Field(5, ge=1, description="replies to one sender per hour, at most")
    timeout_seconds: float = Field(30.0, gt=0, description="SMTP connect and command timeout")
    imap: ImapSettings | None = None

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError("listen must be host:port, e.g. 127.0.0.1:2525")
        return value

    @field_validator("addresses")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        bad = [a for a in value if "@" not in a or any(c.isspace() for c in a)]
        if bad:
            raise ValueError(f"not email addresses: {', '.join(bad)}")
        return [a.lower() for a in value]

    @field_validator("outbound")
    @classmethod
    def _outbound(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                SmtpTarget.parse(value)
            except ConfigError as exc:
                raise ValueError(str(exc)) from exc
        return value
