"""``MemoryOutbox``, and the old home of the port fakes (now one module per port family), kept importable.

``MemoryOutbox`` stays here until the store's fakes replace it; import the others from
:mod:`ticketflow.testing` or their own modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ticketflow.domain.ids import ConversationId, TicketId
from ticketflow.domain.outcome import Handoff
from ticketflow.testing.customers import StaticCustomers
from ticketflow.testing.knowledge import StaticKnowledge
from ticketflow.testing.providers import ScriptedProvider

__all__ = ["MemoryOutbox", "ScriptedProvider", "StaticCustomers", "StaticKnowledge"]


@dataclass
class MemoryOutbox:
    """An ``Outbox`` that keeps what was sent and queued, and refuses repeats like the real store."""

    sent: dict[str, str] = field(default_factory=dict)
    reviews: dict[str, Handoff] = field(default_factory=dict)

    def send(self, ticket_id: TicketId, conversation_id: ConversationId, channel: str, body: str) -> bool:
        if ticket_id in self.sent:
            return False
        self.sent[ticket_id] = body
        return True

    def queue_review(self, ticket_id: TicketId, reason: str, handoff: Handoff) -> bool:
        if ticket_id in self.reviews:
            return False
        self.reviews[ticket_id] = handoff
        return True
