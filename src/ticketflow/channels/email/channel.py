"""``EmailChannel``: the ``Channel`` port for mail, from raw RFC 5322 bytes in to an SMTP reply out.

Inbound, the SMTP intake (or the IMAP poller) hands over the raw message as ``ChannelRequest.body``, with the
envelope in the ``x-envelope-from`` / ``x-envelope-to`` headers when it knows them. There is no signature to
check: trust comes from the listener being ours, so ``verify`` accepts. ``parse`` returns the customer's
message, cleaned of quotes (see :mod:`.parse`) and placed in its conversation (see :mod:`.threading`), or
says why the mail is ignored (see :mod:`.loops`).

Outbound, the only operation on a customer's mail thread is a reply: an internal note, a tag, an assignment
or a handoff package have no place in someone's inbox (the review queue holds handoffs; the holding message
to the customer is sent as a reply), so those are declared unsupported.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any, Protocol

from ticketflow.channels.email import loops, outbound, parse
from ticketflow.channels.email import threading as mail_threads
from ticketflow.channels.email.settings_model import EmailSettings
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.domain.outcome import Handoff
from ticketflow.errors import ConfigError, DeliveryRefused, InputError, Unsupported
from ticketflow.ports.channel import (
    Assignee,
    Capability,
    ChannelRequest,
    Ignored,
    Parsed,
    Receipt,
    Thread,
)

ENVELOPE_FROM = "x-envelope-from"
ENVELOPE_TO = "x-envelope-to"
INVALID = "the mail cannot be answered"
REMEMBERED_RECEIPTS = 10_000
"""Idempotency keys remembered in memory; the durable delivery step is the lasting record."""

SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "EmailMessage",
    "description": (
        "A raw RFC 5322 message (message/rfc822 bytes, not JSON). These headers are read; the body may be "
        "text/plain or HTML in any charset, quoted text and signatures are stripped."
    ),
    "properties": {
        "From": {"type": "string", "description": "the customer's address (required)"},
        "Subject": {"type": "string"},
        "Message-ID": {"type": "string", "description": "the dedupe key; a content hash when absent"},
        "In-Reply-To": {"type": "string", "description": "threads the mail into a known conversation"},
        "References": {"type": "string", "description": "tried newest first after In-Reply-To"},
    },
    "required": ["From"],
}


class MailSender(Protocol):
    """Hands a composed message to the next mail server (``outbound.SmtpSender`` over SMTP)."""

    def send(self, message: EmailMessage, *, envelope_from: str, recipients: Sequence[str]) -> None: ...


class EmailChannel:
    """Mail in (raw bytes from the intake) and replies out (through ``sender``), threads kept intact."""

    name = "email"
    capabilities = frozenset({Capability.REPLY})

    def __init__(
        self,
        *,
        from_address: str,
        sender: MailSender,
        addresses: Sequence[str] = (),
        known: mail_threads.Known = mail_threads.unknown,
        rate_limit: loops.ReplyRateLimit | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if "@" not in from_address:
            raise ConfigError(f"from_address {from_address!r} is not an email address")
        self.from_address = from_address
        self.domain = from_address.rsplit("@", 1)[1]
        self.own = frozenset({from_address.lower(), *(a.lower() for a in addresses)})
        self._sender = sender
        self._known = known
        self._rate_limit = rate_limit
        self._clock = clock
        self._receipts: OrderedDict[str, Receipt] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls,
        settings: EmailSettings,
        *,
        known: mail_threads.Known = mail_threads.unknown,
        environ: Mapping[str, str] = os.environ,
    ) -> EmailChannel:
        """The channel ``[channels.email]`` describes; credentials are read from ``environ`` now."""
        from_address = settings.from_address or (settings.addresses[0] if settings.addresses else None)
        if from_address is None:
            raise ConfigError("[channels.email] needs from_address (or at least one of addresses)")
        if settings.outbound is None:
            raise ConfigError('[channels.email] needs outbound, e.g. outbound = "smtp://127.0.0.1:2526"')
        target = outbound.SmtpTarget.parse(settings.outbound, timeout=settings.timeout_seconds)
        return cls(
            from_address=from_address,
            sender=outbound.SmtpSender(target, _credentials(settings, environ)),
            addresses=settings.addresses,
            known=known,
            rate_limit=loops.ReplyRateLimit(settings.reply_rate_per_hour),
        )

    # inbound

    def payload_schema(self) -> dict[str, Any]:
        return SCHEMA

    def verify(self, request: ChannelRequest) -> None:
        """Accept: SMTP carries no signature here; trust comes from the listener being ours."""

    def parse(self, request: ChannelRequest) -> Parsed:
        """The customer's message in the mail, or the reason it is not answered."""
        if not request.body.strip():
            raise InputError(INVALID, errors=[_problem("body", "the message is empty")])
        mail = parse.read(request.body)
        found = mail_threads.ids(mail.message)
        external_id = mail_threads.external_id(found, request.body)
        noise = loops.noise(mail.message, envelope_from=request.header(ENVELOPE_FROM), own=self.own)
        if noise is not None:
            return Parsed(ignored=(Ignored(external_id, noise.author, noise.reason),))
        if mail.sender is None:
            problem = "no sender address in From: the reply would have nowhere to go"
            raise InputError(INVALID, errors=[_problem("body.from", problem)])
        text = mail.text or mail.subject
        if not text:
            problem = "the mail has no text, subject or attachment"
            raise InputError(INVALID, errors=[_problem("body.text", problem)])
        message = InboundMessage(
            channel=self.name,
            external_id=external_id,
            customer=CustomerRef(email=mail.sender),
            text=text,
            subject=mail.subject or None,
            conversation_ref=mail_threads.conversation(found, self._known) or external_id,
            received_at=self._clock(),
        )
        return Parsed(messages=(message,))

    def thread(self, message: InboundMessage, raw: bytes) -> Thread:
        """Where the reply to ``message`` goes, with the full ``References`` chain of its raw mail."""
        return Thread(
            customer=message.customer,
            conversation_ref=message.conversation_ref,
            external_id=message.external_id,
            subject=message.subject,
            reply_to=mail_threads.ids(parse.decode(raw)).chain,
        )

    # outbound

    def reply(self, thread: Thread, body: str, *, idempotency_key: str) -> Receipt:
        """Mail ``body`` to the customer, threaded under the message being answered.

        A repeated key returns the first receipt without sending; a sender over the hourly limit is refused
        (``DeliveryRefused``: a loop a human should look at).
        """
        with self._lock:
            if idempotency_key in self._receipts:
                return self._receipts[idempotency_key]
        to = thread.customer.email
        if not to:
            raise DeliveryRefused("the email channel cannot reply: the customer has no email address")
        if self._rate_limit is not None and not self._rate_limit.allows(to):
            raise DeliveryRefused(
                f"{to} already got {self._rate_limit.per_hour} replies in the last hour: a mail loop or a "
                "very busy thread, for a human to look at"
            )
        message_id = outbound.message_id_for(idempotency_key, self.domain)
        in_reply_to, references = reply_headers(thread)
        at = self._clock()
        message = outbound.compose(
            from_address=self.from_address,
            to=to,
            subject=thread.subject,
            body=body,
            message_id=message_id,
            at=at,
            in_reply_to=in_reply_to,
            references=references,
        )
        self._sender.send(message, envelope_from=self.from_address, recipients=[to])
        receipt = Receipt(message_id=message_id, at=at)
        with self._lock:
            if self._rate_limit is not None:
                self._rate_limit.record(to)
            self._receipts[idempotency_key] = receipt
            while len(self._receipts) > REMEMBERED_RECEIPTS:
                self._receipts.popitem(last=False)
        return receipt

    def note(self, thread: Thread, body: str, *, idempotency_key: str) -> Receipt:
        raise Unsupported.operation(self.name, "add an internal note (the customer would read it)")

    def hand_off(self, thread: Thread, handoff: Handoff, *, idempotency_key: str) -> Receipt:
        raise Unsupported.operation(self.name, "hand off (the review queue holds the handoff; reply to hold)")

    def tag(self, thread: Thread, tags: tuple[str, ...], *, idempotency_key: str) -> Receipt:
        raise Unsupported.operation(self.name, "tag a thread")

    def assign(self, thread: Thread, assignee: Assignee, *, idempotency_key: str) -> Receipt:
        raise Unsupported.operation(self.name, "assign a thread")


def reply_headers(thread: Thread) -> tuple[str | None, tuple[str, ...]]:
    """``In-Reply-To`` and ``References`` of a reply in ``thread`` (RFC 5322 §3.6.4).

    ``In-Reply-To`` is the answered mail's Message-ID. ``References`` is its chain (``thread.reply_to``) when
    known, else the conversation's first message and the answered one: shorter, but still threading in
    every client, since they match on any id they know.
    """
    parent = mail_threads.as_message_id(thread.external_id)
    chain = [i for i in (mail_threads.as_message_id(r) for r in thread.reply_to) if i]
    if not chain:
        root = mail_threads.as_message_id(thread.conversation_ref)
        chain = [root] if root else []
    if parent:
        chain = [*(i for i in chain if i != parent), parent]
    return parent, tuple(dict.fromkeys(chain))


def _credentials(settings: EmailSettings, environ: Mapping[str, str]) -> outbound.Credentials | None:
    names = (settings.username_env, settings.password_env)
    if names == (None, None):
        return None
    if None in names:
        raise ConfigError("[channels.email] needs both username_env and password_env, or neither")
    missing = [name for name in names if name and not environ.get(name)]
    if missing:
        raise ConfigError(f"[channels.email]: set the environment variable(s) {', '.join(missing)}")
    assert settings.username_env is not None and settings.password_env is not None
    return outbound.Credentials(environ[settings.username_env], environ[settings.password_env])


def _problem(where: str, problem: str) -> dict[str, str]:
    return {"where": where, "problem": problem}
