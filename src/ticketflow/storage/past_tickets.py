"""The ``PastTickets`` port on the tickets table: a customer's earlier tickets, newest first."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from ticketflow.domain.context import PastTicket
from ticketflow.domain.ids import TicketId
from ticketflow.domain.message import CustomerRef
from ticketflow.storage.tables import tickets


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class SqlPastTickets:
    """Earlier tickets of the same customer (by account id, else by email), received before this one."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def past_tickets(self, customer: CustomerRef, before: TicketId, limit: int) -> list[PastTicket]:
        if limit <= 0:
            return []
        t = tickets.c
        if customer.id:
            same = t.customer_id == customer.id
        elif customer.email:
            same = sa.func.lower(t.customer_email) == customer.email.lower()
        else:
            return []
        query = sa.select(t.id, t.text, t.received_at, t.intent, t.outcome).where(same, t.id != before)
        with self._engine.connect() as conn:
            anchor = conn.execute(sa.select(t.received_at).where(t.id == before)).scalar()
            if anchor is not None:
                query = query.where(t.received_at <= anchor)
            rows = conn.execute(query.order_by(t.received_at.desc(), t.id.desc()).limit(limit)).all()
        return [PastTicket(r[0], r[1], _aware(r[2]), r[3], r[4]) for r in rows]
