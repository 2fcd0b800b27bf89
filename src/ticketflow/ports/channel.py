"""A channel: where messages come from and replies go (the HTTP API, email, Zendesk, Intercom, Freshdesk).

Inbound, the HTTP layer hands the raw request to :meth:`Channel.verify` *before anything is parsed* (every
helpdesk signs the exact bytes it sent), then to :meth:`Channel.parse`, which says which messages to answer
and which it ignored and why (our own echoes, agents' replies, internal notes), so an echo is never answered.

Outbound, every call names the thread on the channel and carries an idempotency key: a call repeated with the
same key (a retried delivery step) sends nothing twice and returns the first receipt. A channel declares what
it can do in ``capabilities``; anything else raises :class:`~ticketflow.errors.Unsupported`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal, Protocol, runtime_checkable

from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.domain.outcome import Handoff


class Capability(StrEnum):
    """What a channel can do beyond reading messages; outbound operations are named after their method."""

    SIGNED = "signed"
    """Inbound requests carry a signature that ``verify`` checks (unsigned channels accept every request)."""
    REPLY = "reply"
    NOTE = "note"
    HAND_OFF = "hand_off"
    TAG = "tag"
    ASSIGN = "assign"


OUTBOUND = (Capability.REPLY, Capability.NOTE, Capability.HAND_OFF, Capability.TAG, Capability.ASSIGN)


class Author(StrEnum):
    """Who wrote a message on the channel: only a customer's message is answered."""

    CUSTOMER = "customer"
    AGENT = "agent"
    """A human on the support side (a reply or a note written in the helpdesk)."""
    US = "us"
    """ticketflow itself: the echo of something we sent, which the helpdesk reports back to us."""
    SYSTEM = "system"
    """The channel or an automation (status changes, assignments, bots, campaigns)."""


@dataclass(frozen=True, slots=True)
class ChannelRequest:
    """An inbound request exactly as it arrived: the raw body (signatures cover these bytes) and headers.

    Header names are case-insensitive (stored lower-cased); ``query`` holds the URL's parameters, for channels
    that authenticate with a token in the URL.
    """

    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        lowered = {name.lower(): value for name, value in self.headers.items()}
        object.__setattr__(self, "headers", MappingProxyType(lowered))
        object.__setattr__(self, "query", MappingProxyType(dict(self.query)))

    @classmethod
    def of(cls, body: bytes, headers: Iterable[tuple[str, str]] | Mapping[str, str] = ()) -> ChannelRequest:
        """A request from a body and header pairs (a web framework's headers, or a dict)."""
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        return cls(body, dict(pairs))

    def header(self, name: str) -> str | None:
        """The header's value, whatever the case of ``name``; None when absent."""
        return self.headers.get(name.lower())


@dataclass(frozen=True, slots=True)
class Ignored:
    """A message of the payload that is deliberately not answered, who wrote it, and why."""

    external_id: str
    author: Author
    reason: str


@dataclass(frozen=True, slots=True)
class Parsed:
    """What one payload held: the customers' messages to answer, and everything else with its reason.

    A channel puts a message in ``messages`` only when its author is the customer; our own echoes, agents'
    replies, notes and system events go to ``ignored`` with their author, so answering ``messages`` can
    never answer ourselves.
    """

    messages: tuple[InboundMessage, ...] = ()
    ignored: tuple[Ignored, ...] = ()


@dataclass(frozen=True, slots=True)
class Thread:
    """Where a conversation lives on the channel, so that outbound calls land in it.

    ``conversation_ref`` is the channel's thread (a Zendesk ticket, an Intercom conversation, an email's first
    Message-ID); ``external_id`` the message being answered; ``reply_to`` the message ids an email reply
    threads under (``In-Reply-To`` / ``References``, oldest first); ``origin`` who submitted it.
    """

    customer: CustomerRef
    conversation_ref: str | None = None
    external_id: str | None = None
    subject: str | None = None
    reply_to: tuple[str, ...] = ()
    origin: str | None = None
    """The id of the API key that submitted the message, so the API channel finds that key's webhook."""

    @classmethod
    def answering(cls, message: InboundMessage) -> Thread:
        """The thread of an inbound message: where its reply goes."""
        return cls(
            customer=message.customer,
            conversation_ref=message.conversation_ref,
            external_id=message.external_id,
            subject=message.subject,
        )


@dataclass(frozen=True, slots=True)
class Assignee:
    """Whom to assign a thread to: an agent or a team, by the channel's own id."""

    id: str
    kind: Literal["agent", "team"] = "agent"


@dataclass(frozen=True, slots=True)
class Receipt:
    """The channel's proof of an outbound call: its id for what was created, and when."""

    message_id: str
    at: datetime


class Channel(Protocol):
    """One channel's inbound and outbound sides (see the module docstring for the order of calls)."""

    name: str
    capabilities: frozenset[Capability]

    def payload_schema(self) -> dict[str, Any]:
        """The JSON schema of the body ``parse`` accepts, self-contained (no ``$ref``), for the API docs."""
        ...

    def verify(self, request: ChannelRequest) -> None:
        """Check the request's signature over its raw bytes; raise ``SignatureError`` when bad or missing."""
        ...

    def parse(self, request: ChannelRequest) -> Parsed:
        """The messages in a verified request; raise ``InputError`` with located ``errors`` when malformed."""
        ...

    def reply(self, thread: Thread, body: str, *, idempotency_key: str) -> Receipt:
        """Send ``body`` to the customer in ``thread``."""
        ...

    def note(self, thread: Thread, body: str, *, idempotency_key: str) -> Receipt:
        """Add an internal note, seen by agents only."""
        ...

    def hand_off(self, thread: Thread, handoff: Handoff, *, idempotency_key: str) -> Receipt:
        """Hand the thread to a human with the package: summary, reason, what was tried, a suggested reply."""
        ...

    def tag(self, thread: Thread, tags: tuple[str, ...], *, idempotency_key: str) -> Receipt:
        """Add ``tags`` to the thread (keeping the ones it has)."""
        ...

    def assign(self, thread: Thread, assignee: Assignee, *, idempotency_key: str) -> Receipt:
        """Assign the thread to an agent or a team."""
        ...


@runtime_checkable
class Recalls(Protocol):
    """A channel that can tell whether a message it was asked to send already landed (a helpdesk whose API
    lists a thread's comments). The durable sender asks before sending again a message whose earlier attempt
    was cut off, since these APIs take no idempotency key."""

    def recall(
        self, thread: Thread, *, reply: str | None = None, handoff: Handoff | None = None
    ) -> Receipt | None:
        """The receipt of the ``reply`` (or ``hand_off`` package) already in ``thread``, or None."""
        ...
