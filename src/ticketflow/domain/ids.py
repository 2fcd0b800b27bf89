"""Typed identifiers, and the one rule that turns a channel's message id into ours."""

from __future__ import annotations

import hashlib
from typing import NewType

TicketId = NewType("TicketId", str)
ConversationId = NewType("ConversationId", str)
CustomerId = NewType("CustomerId", str)


def workflow_key(channel: str, external_id: str) -> str:
    """The idempotency key of an inbound message: a duplicate delivery maps to the same key."""
    return f"msg:{channel}:{external_id}"


def ticket_id_for(channel: str, external_id: str) -> TicketId:
    """A stable ticket id derived from the channel's message id, so retries never create a second ticket."""
    digest = hashlib.sha256(workflow_key(channel, external_id).encode()).hexdigest()
    return TicketId(f"t_{digest[:20]}")


def conversation_id_for(channel: str, external_conversation_id: str) -> ConversationId:
    """A stable conversation id: the same thread on the same channel is always the same conversation."""
    digest = hashlib.sha256(f"conv:{channel}:{external_conversation_id}".encode()).hexdigest()
    return ConversationId(f"c_{digest[:20]}")
