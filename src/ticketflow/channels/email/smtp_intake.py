"""SMTP intake: an aiosmtpd server that takes mail for our addresses and hands the raw bytes to ``accept``.

The sending server keeps a message until we answer ``250``, so the answer must mean "stored": recipients we
do not serve get ``550`` (we are not a relay), a message over ``max_bytes`` gets ``552``, and when
``accept`` raises (the store could not take it) the answer is a transient ``451 4.3.0``, so the sender
retries later and nothing is lost. ``accept`` should therefore be quick and durable: record the raw
message, let a workflow do the rest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from types import TracebackType

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

__all__ = ["Accept", "Envelope", "IntakeHandler", "PortZeroController", "SmtpIntake"]

Accept = Callable[[bytes, Envelope], None]
"""Takes one message (raw bytes, and the envelope with ``mail_from`` and ``rcpt_tos``); raises to defer it."""

log = logging.getLogger(__name__)


class IntakeHandler:
    """The aiosmtpd hooks: recipients filtered against our addresses, data handed to ``accept``."""

    def __init__(self, addresses: Iterable[str], accept: Accept) -> None:
        self.addresses = frozenset(a.lower() for a in addresses)
        self.accept = accept

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() not in self.addresses:
            return "550 5.1.1 no such mailbox here (we accept mail for our support addresses only)"
        envelope.rcpt_tos.append(address)  # aiosmtpd leaves appending to the hook
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.content  # bytes: the server does not decode (decode_data=False)
        if not isinstance(raw, bytes):
            raw = str(raw or "").encode("utf-8", "surrogateescape")
        try:
            self.accept(raw, envelope)
        except Exception:
            # the sending server retries a 4xx later: the message waits there rather than being lost here
            log.exception(
                "accepting a message from %s failed; answered 451 so it is retried", envelope.mail_from
            )
            return "451 4.3.0 could not store the message now; please retry later"
        return "250 2.0.0 Message accepted"


class PortZeroController(Controller):
    """aiosmtpd's controller, able to listen on port 0 (a free port, for tests) and report the real one."""

    def _trigger_server(self) -> None:
        # the base class connects to self.port to wake the server up: it must be the bound port by then
        if self.port == 0 and isinstance(self.server, asyncio.Server):
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class SmtpIntake:
    """Starts and stops the intake server on ``listen`` (``host:port``; port 0 picks a free one).

    Use as a context manager, or call :meth:`start` and :meth:`stop`. ``port`` is the bound port once
    started.
    """

    def __init__(
        self,
        *,
        listen: str = "127.0.0.1:2525",
        addresses: Iterable[str],
        accept: Accept,
        max_bytes: int = 10 * 1024 * 1024,
        hostname: str = "ticketflow",
    ) -> None:
        host, _, port = listen.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"listen must be host:port, not {listen!r}")
        self.host = host
        self.handler = IntakeHandler(addresses, accept)
        # server_hostname spares aiosmtpd a DNS lookup of our own name (socket.getfqdn) at start
        self._controller = PortZeroController(
            self.handler,
            hostname=host,
            port=int(port),
            server_hostname=hostname,
            data_size_limit=max_bytes,
            ready_timeout=10.0,
        )

    @property
    def port(self) -> int:
        port: int = self._controller.port
        return port

    def start(self) -> SmtpIntake:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpIntake:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
