"""``MailReceiver``: an SMTP server on a free loopback port that keeps every message it receives.

For tests of outbound mail: point a sender at ``receiver.url`` and read ``receiver.messages``. It accepts
any recipient; ``refuse_next`` scripts SMTP failures (``"451 4.3.0 try later"``, ``"550 no such user"``) for
tests of how a sender sorts them.
"""

from __future__ import annotations

import email
import email.policy
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from types import TracebackType

from aiosmtpd.smtp import SMTP, Envelope, Session

from ticketflow.channels.email.smtp_intake import PortZeroController


@dataclass(frozen=True, slots=True)
class Received:
    """One delivered message: the envelope as the server saw it and the raw bytes."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes = field(repr=False)

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Handler:
    def __init__(self, receiver: MailReceiver) -> None:
        self.receiver = receiver

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return self.receiver._take(envelope)


class MailReceiver:
    """Start with ``with MailReceiver() as receiver:``; ``url`` is ``smtp://127.0.0.1:<port>``."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self._refusals: list[str] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._controller = PortZeroController(
            _Handler(self), hostname="127.0.0.1", port=0, server_hostname="receiver.test", ready_timeout=10.0
        )

    @property
    def port(self) -> int:
        port: int = self._controller.port
        return port

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def refuse_next(self, *replies: str) -> None:
        """Answer the next DATA commands with these SMTP replies instead of accepting the message."""
        with self._lock:
            self._refusals.extend(replies)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """The messages once ``count`` have arrived; raises ``TimeoutError`` after ``timeout`` seconds."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.messages) >= count, timeout):
                raise TimeoutError(f"{len(self.messages)} of {count} messages arrived within {timeout} s")
            return list(self.messages)

    def _take(self, envelope: Envelope) -> str:
        with self._arrived:
            if self._refusals:
                return self._refusals.pop(0)
            raw = envelope.content if isinstance(envelope.content, bytes) else b""
            self.messages.append(Received(envelope.mail_from or "", tuple(envelope.rcpt_tos), raw))
            self._arrived.notify_all()
        return "250 OK"

    def __enter__(self) -> MailReceiver:
        self._controller.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._controller.stop()
