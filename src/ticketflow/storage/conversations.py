"""``SqlConversations``: the ``HistorySource`` port on the conversations and messages tables.

The tickets and the outbox write turns inside their own transactions, through :func:`add_turn`, so a
message and the ticket or reply it belongs to are stored together or not at all.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ticketflow.domain.cards import truncate_cards
from ticketflow.domain.ids import ConversationId, TicketId, new_conversation_id
from ticketflow.domain.message import Role, Turn
from ticketflow.storage.tables import conversations, messages
from ticketflow.storage.times import aware, aware_or_none, utcnow
from ticketflow.storage.upsert import insert_or_ignore


def ensure_conversation(
    conn: sa.Connection,
    *,
    channel: str,
    external_ref: str,
    at: datetime,
    customer_email: str | None = None,
    customer_id: str | None = None,
) -> ConversationId:
    """The id of the channel's thread ``external_ref``, created (with a random id) unless it exists.

    Insert-or-get, so two messages opening the same thread at once both get its one conversation: the
    insert does nothing when the key is taken (on PostgreSQL it waits for a concurrent insert of the same
    key to commit), and the select then reads the row, whoever wrote it. Its first message names its
    customer.
    """
    created = conn.execute(
        insert_or_ignore(conn, conversations, ("channel", "external_ref"))
        .values(
            id=new_conversation_id(),
            channel=channel,
            external_ref=external_ref,
            customer_email=customer_email,
            customer_id=customer_id,
            created_at=at,
        )
        .returning(conversations.c.id)
    ).scalar()
    if created is not None:
        return ConversationId(created)
    found: str = conn.execute(
        sa.select(conversations.c.id).where(
            conversations.c.channel == channel, conversations.c.external_ref == external_ref
        )
    ).scalar_one()
    return ConversationId(found)


def add_turn(
    conn: sa.Connection,
    conversation_id: ConversationId,
    role: Role,
    text: str,
    at: datetime,
    ticket_id: TicketId | None = None,
) -> None:
    """Append a message to the conversation; ``ticket_id`` marks the customer message a ticket answers.
    A card number in it keeps only its last four digits (``domain/cards.py``), whoever wrote it."""
    conn.execute(
        messages.insert().values(
            conversation_id=conversation_id, ticket_id=ticket_id, role=role, text=truncate_cards(text), at=at
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

    def import_history(self, turns: tuple[Turn, ...], *, channel: str, external_ref: str) -> ConversationId:
        """Seed the channel's thread ``external_ref`` with earlier turns (e.g. a thread migrated from another
        helpdesk); its conversation's id. A message later accepted on that thread joins the conversation."""
        now = utcnow()
        with self.engine.begin() as conn:
            conversation_id = ensure_conversation(conn, channel=channel, external_ref=external_ref, at=now)
            for turn in turns:
                add_turn(conn, conversation_id, turn.role, turn.text, aware_or_none(turn.at) or now)
        return conversation_id
