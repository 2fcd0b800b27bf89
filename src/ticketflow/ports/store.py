"""Persistence the pipeline needs: conversation history in, outbox and review queue out."""

from __future__ import annotations

from typing import Protocol

from ticketflow.domain.ids import ConversationId, TicketId
from ticketflow.domain.message import Turn
from ticketflow.domain.outcome import Handoff


class HistorySource(Protocol):
    def history(self, conversation_id: ConversationId, before: TicketId, limit: int) -> list[Turn]:
        """The conversation's earlier messages (customer and agent), oldest first."""
        ...


class Outbox(Protocol):
    def send(self, ticket_id: TicketId, conversation_id: ConversationId, channel: str, body: str) -> bool:
        """Record a reply for the channel to send; False when this ticket was already sent (no repeat)."""
        ...

    def queue_review(self, ticket_id: TicketId, reason: str, handoff: Handoff) -> bool:
        """Put the ticket in the human review queue; False when it is already there."""
        ...
