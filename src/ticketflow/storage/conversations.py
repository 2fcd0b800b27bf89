"""``SqlConversations``: the ``HistorySource`` port on the conversations and messages tables.

The tickets and the outbox write turns inside their own transactions, through :func:`add_turn`, so a
message and the ticket or reply it belongs to are stored together or not at all.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ticketflow.domain.ids import ConversationId, TicketId
from ticketflow.domain.message import Role, Turn
from ticketflow.storage.tables import conversations, messages
from ticketflow.storage.times import aware, aware_or_none, utcnow


def ensure_conversation(
    conn: sa.Connection,
    conversation_id: ConversationId,
    *,
    channel: str,
    external_ref: str,
    at: datetime,
    customer_email: str | None = None,
    customer_id: str | None = None,
) -> None:
    """Create the conversation unless it exists (its first message names its customer)."""
    if conn.execute(sa.select(conversations.c.id).where(conversations.c.id == conversation_id)).first():
        return
    conn.execute(
        conversations.insert().values(
            id=conversation_id,
            channel=channel,
            external_ref=external_ref,
            customer_email=customer_email,
            customer_id=customer_id,
            created_at=at,
        )
    )


def add_turn(
    conn: sa.Connection,
    conversation_id: ConversationId,
    role: Role,
    text: str,
    at: datetime,
    ticket_id: TicketId | None = None,
) -> None:
    """Append a message to the conversation; ``ticket_id`` marks the customer message a ticket answers."""
    conn.execute(
        messages.insert().values(
            conversation_id=conversation_id, ticket_id=ticket_id, role=role, text=text, at=at
        )
    )


class SqlConversations:
    """Implements ``HistorySource``; also seeds a conversation with turns from elsewhere."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def history(self, conversation_id: ConversationId, before: TicketId, limit: int) -> list[Turn]:
        """Earlier turns of the conversation: the customer's messages received before this ticket's, and
        every reply we sent (a reply to an earlier message may be written after this one arrived)."""
        with self.engine.connect() as conn:
            anchor = conn.execute(sa.select(messages.c.id).where(messages.c.ticket_id == before)).scalar()
            query = sa.select(messages.c.role, messages.c.text, messages.c.at).where(
                messages.c.conversation_id == conversation_id
            )
            if anchor is not None:
                query = query.where(
                    messages.c.id != anchor, sa.or_(messages.c.role == "agent", messages.c.id < anchor)
                )
            rows = conn.execute(query.order_by(messages.c.at.desc(), messages.c.id.desc()).limit(limit)).all()
        return [Turn(r[0], r[1], aware(r[2])) for r in reversed(rows)]

    def import_history(
        self, conversation_id: ConversationId, turns: tuple[Turn, ...], *, channel: str
    ) -> None:
        """Seed a conversation with earlier turns (e.g. a thread migrated from another helpdesk)."""
        now = utcnow()
        with self.engine.begin() as conn:
            ensure_conversation(conn, conversation_id, channel=channel, external_ref=conversation_id, at=now)
            for turn in turns:
                add_turn(conn, conversation_id, turn.role, turn.text, aware_or_none(turn.at) or now)
