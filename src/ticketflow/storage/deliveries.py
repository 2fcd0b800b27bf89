"""``SqlDeliveries``: the ``Deliveries`` port on the ``deliveries`` table, one row per outgoing message.

The row's key is the idempotency key the channel is called with (``send:{ticket_id}:{kind}``), unique, so two
workers racing on the same step insert one row. A receipt for an email also records our Message-ID in
``mail_ids``, in the same transaction, so a customer's answer to it threads into the conversation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ticketflow.domain.audit_record import text_sha256
from ticketflow.domain.ids import ConversationId, TicketId
from ticketflow.domain.outcome import Handoff, Outcome
from ticketflow.domain.serialize import jsonable
from ticketflow.domain.views import DeliveryLine, DeliveryStatus
from ticketflow.storage import audit
from ticketflow.storage.mail_ids import insert_ignoring_duplicates, remember
from ticketflow.storage.tables import deliveries, reviews, tickets
from ticketflow.storage.times import aware, aware_or_none, utcnow

SENT_BY = "ticketflow.sender"
"""Who or what the ``delivered`` audit entry says sent a message: the durable sender (``runtime.sender``)."""

QUEUED, SENT, FAILED = (s.value for s in DeliveryStatus)


def key_for(ticket_id: str, kind: str) -> str:
    """The idempotency key of one outgoing message."""
    return f"send:{ticket_id}:{kind}"


def _line(row: Any) -> DeliveryLine:
    return DeliveryLine(
        ticket_id=TicketId(row.ticket_id),
        kind=row.kind,
        channel=row.channel,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        message_id=row.message_id,
        error=row.error,
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
        sent_at=aware_or_none(row.sent_at),
        body=row.body,
    )


class SqlDeliveries:
    """Implements ``Deliveries``."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def begin(
        self,
        ticket_id: TicketId,
        conversation_id: ConversationId,
        kind: str,
        channel: str,
        body: str | None,
    ) -> DeliveryLine:
        key = key_for(ticket_id, kind)
        now = utcnow()
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(deliveries).where(deliveries.c.key == key)).first()
            if row is None:
                values = {
                    "key": key,
                    "ticket_id": ticket_id,
                    "conversation_id": conversation_id,
                    "kind": kind,
                    "channel": channel,
                    "status": QUEUED,
                    "attempts": 1,
                    "body": body,
                    "created_at": now,
                    "updated_at": now,
                }
                inserted = conn.execute(insert_ignoring_duplicates(conn, deliveries, values))
                if inserted.rowcount == 0:  # another worker's step inserted it first
                    conn.execute(_one_more(key, now))
            elif row.status == QUEUED:
                conn.execute(_one_more(key, now))
            found = conn.execute(sa.select(deliveries).where(deliveries.c.key == key)).one()
        return _line(found)

    def sent(self, key: str, message_id: str, at: datetime, *, mail_thread: str | None = None) -> None:
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(deliveries).where(deliveries.c.key == key)).one()
            conn.execute(
                deliveries.update()
                .where(deliveries.c.key == key)
                .values(status=SENT, message_id=message_id, sent_at=at, error=None, updated_at=utcnow())
            )
            if mail_thread is not None:
                remember(conn, message_id, mail_thread, (), direction="out")
            detail = {
                "kind": row.kind,
                "channel": row.channel,
                "message_id": message_id,
                "body_sha256": text_sha256(row.body) if row.body else None,
                "sent_by": SENT_BY,
            }
            audit.append(conn, row.ticket_id, "delivered", detail)

    def retrying(self, key: str, error: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                deliveries.update()
                .where(deliveries.c.key == key, deliveries.c.status == QUEUED)
                .values(error=error[:2000], updated_at=utcnow())
            )

    def failed(self, key: str, error: str, handoff: Handoff | None) -> None:
        now = utcnow()
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(deliveries).where(deliveries.c.key == key)).one()
            conn.execute(
                deliveries.update()
                .where(deliveries.c.key == key)
                .values(status=FAILED, error=error[:2000], updated_at=now)
            )
            audit.append(
                conn,
                row.ticket_id,
                "delivery_failed",
                {"kind": row.kind, "channel": row.channel, "error": error},
            )
            if handoff is None:
                return
            queued = conn.execute(sa.select(reviews.c.ticket_id).where(reviews.c.ticket_id == row.ticket_id))
            if queued.first() is None:
                conn.execute(
                    reviews.insert().values(
                        ticket_id=row.ticket_id,
                        reason=handoff.reason,
                        handoff=jsonable(handoff),
                        status="open",
                        created_at=now,
                    )
                )
                audit.append(conn, row.ticket_id, "handed_off", {"reason": handoff.reason})
            conn.execute(
                tickets.update()
                .where(tickets.c.id == row.ticket_id)
                .values(outcome=Outcome.REVIEW.value, outcome_reason=handoff.reason[:255], updated_at=now)
            )

    def for_ticket(self, ticket_id: TicketId) -> tuple[DeliveryLine, ...]:
        query = sa.select(deliveries).where(deliveries.c.ticket_id == ticket_id).order_by(deliveries.c.id)
        with self.engine.connect() as conn:
            return tuple(_line(r) for r in conn.execute(query))

    def for_conversation(self, conversation_id: ConversationId) -> tuple[DeliveryLine, ...]:
        query = (
            sa.select(deliveries)
            .where(deliveries.c.conversation_id == conversation_id)
            .order_by(deliveries.c.id)
        )
        with self.engine.connect() as conn:
            return tuple(_line(r) for r in conn.execute(query))

    def counts(self) -> list[tuple[str, str, str, int]]:
        c = deliveries.c
        query = sa.select(c.channel, c.kind, c.status, sa.func.count()).group_by(c.channel, c.kind, c.status)
        with self.engine.connect() as conn:
            return [(r[0], r[1], r[2], int(r[3])) for r in conn.execute(query)]


def _one_more(key: str, now: datetime) -> sa.Update:
    return (
        deliveries.update()
        .where(deliveries.c.key == key, deliveries.c.status == QUEUED)
        .values(attempts=deliveries.c.attempts + 1, updated_at=now)
    )
