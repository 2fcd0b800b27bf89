"""``SqlOutbox``: the ``Outbox`` port on the ``outbox`` table, one reply per ticket (its primary key).

A sent reply is also a turn of the conversation and an audit event, written in the same transaction.
"""

from __future__ import annotations

import sqlalchemy as sa

from ticketflow.domain.ids import ConversationId, TicketId
from ticketflow.storage import audit
from ticketflow.storage.conversations import add_turn
from ticketflow.storage.tables import outbox
from ticketflow.storage.times import utcnow


class SqlOutbox:
    """Implements ``Outbox``."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def send(self, ticket_id: TicketId, conversation_id: ConversationId, channel: str, body: str) -> bool:
        with self.engine.begin() as conn:
            if conn.execute(sa.select(outbox.c.ticket_id).where(outbox.c.ticket_id == ticket_id)).first():
                return False
            now = utcnow()
            conn.execute(
                outbox.insert().values(
                    ticket_id=ticket_id,
                    conversation_id=conversation_id,
                    channel=channel,
                    body=body,
                    created_at=now,
                )
            )
            add_turn(conn, conversation_id, "agent", body, now)
            audit.append(conn, ticket_id, "sent", {"channel": channel, "chars": len(body)})
        return True

    def reply(self, ticket_id: TicketId) -> str | None:
        """The reply sent for the ticket, if any."""
        with self.engine.connect() as conn:
            body: str | None = conn.execute(
                sa.select(outbox.c.body).where(outbox.c.ticket_id == ticket_id)
            ).scalar()
        return body
