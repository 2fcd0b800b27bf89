"""The HTTP API channel: the ``POST /v1/messages`` payload and its normalisation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ticketflow.domain.message import CustomerRef, InboundMessage

CHANNELS = ("api", "chat", "email", "web", "sms", "social", "zendesk", "intercom", "freshdesk")
Channel = Literal["api", "chat", "email", "web", "sms", "social", "zendesk", "intercom", "freshdesk"]
MAX_TEXT_CHARS = 100_000


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    id: str | None = Field(None, min_length=1, max_length=128)

    @model_validator(mode="after")
    def _one_of(self) -> CustomerIn:
        if not (self.email or self.id):
            raise ValueError("customer needs 'email' or 'id'")
        return self


class MessageIn(BaseModel):
    """One customer message. ``external_id`` is the sender's id for it: resending it creates nothing new."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "channel": "chat",
                "external_id": "chat-8841",
                "conversation_id": "session-12",
                "customer": {"email": "ana@example.com"},
                "subject": "Where is my order?",
                "text": "Hi, my order NW-100234 has not arrived yet.",
            }
        },
    )

    channel: Channel
    external_id: str = Field(..., min_length=1, max_length=255)
    conversation_id: str | None = Field(None, min_length=1, max_length=255)
    customer: CustomerIn
    subject: str | None = Field(None, max_length=1000)
    text: str = Field(..., min_length=1, max_length=MAX_TEXT_CHARS)

    @model_validator(mode="after")
    def _not_blank(self) -> MessageIn:
        if not self.text.strip():
            raise ValueError("text is blank")
        return self

    def to_message(self) -> InboundMessage:
        return InboundMessage(
            channel=self.channel,
            external_id=self.external_id,
            customer=CustomerRef(email=self.customer.email, id=self.customer.id),
            text=self.text,
            subject=self.subject,
            conversation_ref=self.conversation_id,
            received_at=datetime.now(UTC),
        )
