"""``SqlReplaySource``: the ``ReplaySource`` read model on tickets, messages, outbox and audit_log.

Only reads. A ticket's history is rebuilt as it stood when the ticket was handled: the customer's messages
stored before it, and the replies we wrote before the ticket's own reply (or, without one, before its
``decided`` audit entry), so a replay never shows the pipeline the answer it is about to write.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from ticketflow.domain.ids import ConversationId, TicketId
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket, Turn
from ticketflow.domain.replay import StoredTicket
from ticketflow.storage.erasure import ERASED
from ticketflow.storage.tables import audit_log, conversations, messages, outbox, tickets
from ticketflow.storage.times import aware

_DONE = "done"
_CHUNK = 500
"""Ids per ``IN (...)`` query: well under every database's parameter limit."""


class SqlReplaySource:
    """Implements ``ReplaySource`` (and so ``HistorySource``) without writing anything."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def replayable(self, since: datetime, until: datetime) -> list[TicketId]:
        t = tickets.c
        query = (
            sa.select(t.id)
            .where(t.status == _DONE, t.received_at >= since, t.received_at < until, t.text != ERASED)
            .order_by(t.received_at, t.id)
        )
        with self.engine.connect() as conn:
            return [TicketId(r) for r in conn.execute(query).scalars()]

    def stored_tickets(self, ids: Sequence[TicketId]) -> list[StoredTicket]:
        t = tickets.c
        found: dict[str, StoredTicket] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(ids), _CHUNK):
                query = (
                    sa.select(tickets, conversations.c.external_ref)
                    .select_from(tickets.join(conversations, conversations.c.id == t.conversation_id))
                    .where(t.id.in_(list(ids[start : start + _CHUNK])))
                )
                for row in conn.execute(query).mappings():
                    found[row["id"]] = _stored(row)
        return [found[i] for i in ids if i in found]

    def history(self, conversation_id: ConversationId, before: TicketId, limit: int) -> list[Turn]:
        m = messages.c
        with self.engine.connect() as conn:
            anchor = conn.execute(sa.select(m.id).where(m.ticket_id == before)).scalar()
            cutoff = _handled_at(conn, before)
            customer = m.role == "customer"
            if anchor is not None:
                customer = sa.and_(customer, m.id < anchor)
            agent = m.role == "agent"
            if cutoff is not None:
                agent = sa.and_(agent, m.at < cutoff)
            query = (
                sa.select(m.role, m.text, m.at)
                .where(m.conversation_id == conversation_id, sa.or_(customer, agent), m.text != ERASED)
                .order_by(m.at.desc(), m.id.desc())
                .limit(limit)
            )
            rows = conn.execute(query).all()
        return [Turn(r[0], r[1], aware(r[2])) for r in reversed(rows)]


def _handled_at(conn: sa.Connection, ticket_id: TicketId) -> datetime | None:
    """When the ticket's own reply was written, else when its result was recorded; None if neither is."""
    reply = conn.execute(sa.select(outbox.c.created_at).where(outbox.c.ticket_id == ticket_id)).scalar()
    if reply is not None:
        return aware(reply)
    decided = conn.execute(
        sa.select(sa.func.min(audit_log.c.at)).where(
            audit_log.c.ticket_id == ticket_id, audit_log.c.event == "decided"
        )
    ).scalar()
    return aware(decided) if decided is not None else None


def _stored(row: sa.RowMapping) -> StoredTicket:
    message = InboundMessage(
        channel=row["channel"],
        external_id=row["external_id"],
        customer=CustomerRef(email=row["customer_email"], id=row["customer_id"]),
        text=row["text"],
        subject=row["subject"],
        conversation_ref=row["external_ref"],
        received_at=aware(row["received_at"]),
    )
    ticket = Ticket(
        TicketId(row["id"]), ConversationId(row["conversation_id"]), message, submitted_by=row["submitted_by"]
    )
    return StoredTicket(ticket, row["route"], row["outcome"], row["outcome_reason"])
