"""``SqlConversationEvents``: a conversation's messages, outcomes and deliveries, in order, for SSE.

Each event's id names its row and state (``m:<message id>``, ``o:<ticket id>``,
``d:<ticket id>:<kind>:<status>``), so it stays the same on every read and a stream resumes after
the last id a client saw.
"""

from __future__ import annotations

import sqlalchemy as sa

from ticketflow.domain.events import ConversationEvent
from ticketflow.domain.ids import ConversationId
from ticketflow.storage.deliveries import SqlDeliveries
from ticketflow.storage.tables import conversations, messages, tickets
from ticketflow.storage.times import aware


class SqlConversationEvents:
    """Reads the events of one conversation from ``messages``, ``tickets`` and ``deliveries``."""

    def __init__(self, engine: sa.Engine, deliveries: SqlDeliveries) -> None:
        self._engine = engine
        self._deliveries = deliveries

    def exists(self, conversation_id: ConversationId) -> bool:
        """Whether there is such a conversation."""
        query = sa.select(conversations.c.id).where(conversations.c.id == conversation_id)
        with self._engine.connect() as conn:
            return conn.execute(query).first() is not None

    def events(self, conversation_id: ConversationId) -> list[ConversationEvent]:
        """Every event of the conversation so far, oldest first."""
        found: list[ConversationEvent] = []
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(messages.c.id, messages.c.ticket_id, messages.c.text, messages.c.at).where(
                    messages.c.conversation_id == conversation_id, messages.c.role == "customer"
                )
            ).all()
            found += [
                ConversationEvent(f"m:{r[0]}", "message", aware(r[3]), {"ticket_id": r[1], "text": r[2]})
                for r in rows
            ]
            done = conn.execute(
                sa.select(
                    tickets.c.id, tickets.c.outcome, tickets.c.outcome_reason, tickets.c.updated_at
                ).where(tickets.c.conversation_id == conversation_id, tickets.c.outcome.is_not(None))
            ).all()
            found += [
                ConversationEvent(
                    f"o:{r[0]}", "outcome", aware(r[3]), {"ticket_id": r[0], "outcome": r[1], "reason": r[2]}
                )
                for r in done
            ]
        for line in self._deliveries.for_conversation(conversation_id):
            if line.status.value not in ("sent", "failed"):
                continue
            data = {
                "ticket_id": line.ticket_id,
                "kind": line.kind,
                "status": line.status.value,
                "text": line.body,
                "error": line.error,
            }
            at = line.sent_at or line.updated_at
            found.append(
                ConversationEvent(f"d:{line.ticket_id}:{line.kind}:{line.status.value}", "delivery", at, data)
            )
        found.sort(key=lambda e: (e.at, "mod".index(e.id[0])))
        return found
