"""Mail in: the SMTP intake's hook, which answers ``250`` only once the message is stored and enqueued.

For each mail the email channel parses: noise (auto-replies, bounces, lists, our own echoes) and mail that
cannot be answered are recorded in the audit log with their reason and get no answer; a customer's mail has
its Message-ID and ``References`` chain remembered (so replies thread, and our answers to it can be found),
then is accepted as a ticket and enqueued, exactly as ``POST /v1/messages`` does. When the store cannot take
it the hook raises, the intake answers ``451`` and the sending server retries later: nothing is lost.

The stored text is the channel's cleaned text (quotes, signatures and disclaimers cut once, at parse time).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Protocol, cast

from ticketflow.domain.message import InboundMessage
from ticketflow.errors import ConfigError, InputError
from ticketflow.ports.channel import ChannelRequest, Parsed, Thread
from ticketflow.ports.store import Unfinished
from ticketflow.wiring.adapters import Listener, smtp_intake

if TYPE_CHECKING:
    from ticketflow.runtime.service import Runtime

log = logging.getLogger(__name__)


class MailChannel(Protocol):
    """What the intake needs of the email channel: parsing, and the thread of a parsed mail."""

    def parse(self, request: ChannelRequest) -> Parsed: ...

    def thread(self, message: InboundMessage, raw: bytes) -> Thread: ...


class MailIntake:
    """The runtime's SMTP listener on ``[channels.email] listen`` (``TICKETFLOW_CHANNELS__EMAIL__LISTEN``)."""

    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.engine.settings.channels.email
        channel = runtime.engine.channels.get("email")
        if settings is None or channel is None:
            raise ConfigError("the mail intake needs [channels.email] in ticketflow.toml")
        self._runtime = runtime
        self._channel = cast(MailChannel, channel)
        self._listener: Listener = smtp_intake(settings, self.accept)
        # DBOS's synchronous calls refuse to run on an event loop's thread, and the SMTP hook runs on one
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mail-intake")

    @property
    def port(self) -> int:
        return self._listener.port

    def start(self) -> None:
        self._listener.start()
        log.info("mail intake listening on port %d", self._listener.port)

    def stop(self) -> None:
        self._listener.stop()
        self._pool.shutdown(wait=True)

    def accept(self, request: ChannelRequest) -> None:
        """Store and enqueue one mail; raises (so the sender gets a 4xx) when it cannot be stored."""
        self._pool.submit(self.take, request).result()

    def take(self, request: ChannelRequest) -> list[str]:
        """Store and enqueue the mail; the ticket ids it became (none for noise). Runs off the event loop."""
        accepted = store_mail(self._runtime, self._channel, request)
        for ticket in accepted:
            self._runtime.enqueue(ticket)
        return [ticket.ticket_id for ticket in accepted]


def store_mail(runtime: Runtime, channel: MailChannel, request: ChannelRequest) -> list[Unfinished]:
    """Parse one raw mail and store it: noise recorded with its reason, a customer's mail remembered by
    Message-ID and accepted as a ticket (not yet enqueued; a mail already answered is not returned).
    Raises when the store cannot take it."""
    store = runtime.store
    try:
        parsed = channel.parse(request)
    except InputError as exc:
        problems = "; ".join(e.get("problem", "") for e in exc.errors) or str(exc)
        store.mail.record_ignored(None, "system", f"unanswerable: {problems}")
        return []
    for ignored in parsed.ignored:
        store.mail.record_ignored(ignored.external_id, ignored.author.value, ignored.reason)
    accepted: list[Unfinished] = []
    for message in parsed.messages:
        chain = channel.thread(message, request.body).reply_to
        store.mail.remember(
            message.external_id, message.conversation_ref or message.external_id, chain, direction="in"
        )
        done = runtime.tickets.accept(message)
        if not done.created and runtime.finished(done.ticket_id):
            # the same mail again (the sender's retry after a lost 250, an IMAP resync): answered already,
            # and its workflow may be pruned ([retention] checkpoints), so enqueueing would run it again
            continue
        accepted.append(Unfinished(done.ticket_id, done.workflow_id, done.conversation_id))
    return accepted
