"""What arrives: a customer's message on a channel, and the ticket it becomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args

from ticketflow.domain.ids import ConversationId, TicketId

Role = Literal["customer", "agent"]

ChannelName = Literal["api", "chat", "email", "web", "sms", "social", "zendesk", "intercom", "freshdesk"]
"""Where a message may come from: how the sender says it reached us (``InboundMessage.channel``)."""
CHANNELS: tuple[str, ...] = get_args(ChannelName)


@dataclass(frozen=True, slots=True)
class CustomerRef:
    """How a channel names the sender: an email address, an account id, or both."""

    email: str | None = None
    id: str | None = None

    def __post_init__(self) -> None:
        if not (self.email or self.id):
            raise ValueError("a customer reference needs an email or an id")


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier message of a conversation, as context for the next reply."""

    role: Role
    text: str
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A channel payload after normalisation: one message from a customer."""

    channel: str
    external_id: str
    customer: CustomerRef
    text: str
    subject: str | None = None
    conversation_ref: str | None = None
    received_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Ticket:
    """One inbound message to answer, with the conversation it belongs to."""

    id: TicketId
    conversation_id: ConversationId
    message: InboundMessage
    history: tuple[Turn, ...] = field(default=())
    earlier: str | None = None
    """A short summary of the turns before ``history`` (when summaries are on and the thread is longer)."""
    submitted_by: str | None = None
    """The id of the API key that submitted the message (``POST /v1/messages``); None for other intakes."""

    @property
    def text(self) -> str:
        """The customer's words, with the subject line in front when there is one."""
        if self.message.subject and self.message.subject.strip() not in self.message.text:
            return f"{self.message.subject.strip()}\n{self.message.text}"
        return self.message.text
