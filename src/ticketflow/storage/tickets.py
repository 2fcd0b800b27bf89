"""``SqlTickets``: the ``TicketStore`` port on the ``tickets`` table, from acceptance to the recorded result.

Each write is one transaction with what belongs to it: accepting stores the ticket, its conversation, the
customer's message and an ``accepted`` event; finishing stores the result, its ledger lines and a ``decided``
event. The ``decided`` event is what makes a second ``finish`` (a replayed step) write no lines again.
"""

from __future__ import annotations

import sqlalchemy as sa

from ticketflow.domain.audit_record import decided_detail
from ticketflow.domain.cards import without_cards
from ticketflow.domain.ids import (
    ConversationId,
    TicketId,
    could_be_id,
    new_ticket_id,
    thread_ref,
    workflow_key,
)
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket
from ticketflow.domain.result import TicketResult
from ticketflow.domain.serialize import jsonable
from ticketflow.domain.text import problems
from ticketflow.domain.views import TicketStatus, TicketView, check_from_json, decision_from_json
from ticketflow.errors import InputError
from ticketflow.ports.store import Accepted, Unfinished
from ticketflow.storage import attempts, audit, ledger
from ticketflow.storage.audit import SqlAuditLog
from ticketflow.storage.conversations import add_turn, ensure_conversation
from ticketflow.storage.deliveries import SqlDeliveries
from ticketflow.storage.ledger import SqlLedger
from ticketflow.storage.outbox import SqlOutbox
from ticketflow.storage.reviews import SqlReviewQueue
from ticketflow.storage.tables import conversations, tickets
from ticketflow.storage.times import aware, aware_or_none, utcnow
from ticketflow.storage.upsert import insert_or_ignore

DONE = TicketStatus.DONE.value


class SqlTickets:
    """Implements ``TicketStore``; the view reads the other roles' tables through their classes."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        ledger: SqlLedger,
        audit: SqlAuditLog,
        outbox: SqlOutbox,
        reviews: SqlReviewQueue,
    ) -> None:
        self.engine = engine
        self._ledger = ledger
        self._audit = audit
        self._outbox = outbox
        self._reviews = reviews
        self.deliveries: SqlDeliveries | None = None
        """Set by ``SqlStore``: the view shows each outgoing message's status."""

    def accept(self, message: InboundMessage, *, submitted_by: str | None = None) -> Accepted:
        """Store an inbound message as a queued ticket; a duplicate returns the existing one (not created).

        Safe under concurrency: messages opening the same new conversation share it, and of identical
        messages accepted at once exactly one creates the ticket (the others get it, ``created=False``).
        Text no database can hold is refused with ``InputError`` before anything is written. A card number
        in the text or subject is stored with its last four digits only (``domain/cards.py``).
        """
        found = problems(message)
        if found:  # every channel's parser should have refused it; this is the last line of defence
            first = found[0]
            raise InputError(f"the message cannot be stored: {first['where']} {first['problem']}", found)
        message = without_cards(message)
        conversation_ref = thread_ref(message.external_id, message.conversation_ref)
        workflow_id = workflow_key(message.channel, message.external_id)
        now = utcnow()
        received = aware_or_none(message.received_at) or now
        with self.engine.begin() as conn:
            existing = self._existing(conn, message)
            if existing is not None:
                return Accepted(*existing, workflow_id, created=False)
            conversation_id = ensure_conversation(
                conn,
                channel=message.channel,
                external_ref=conversation_ref,
                at=now,
                customer_email=message.customer.email,
                customer_id=message.customer.id,
            )
            ticket_id = new_ticket_id()
            inserted = conn.execute(
                insert_or_ignore(conn, tickets, ("channel", "external_id"))
                .values(
                    id=ticket_id,
                    workflow_id=workflow_id,
                    conversation_id=conversation_id,
                    channel=message.channel,
                    external_id=message.external_id,
                    customer_email=message.customer.email,
                    customer_id=message.customer.id,
                    subject=message.subject,
                    text=message.text,
                    received_at=received,
                    status=TicketStatus.QUEUED.value,
                    updated_at=now,
                    submitted_by=submitted_by,
                )
                .returning(tickets.c.id)
            ).first()
            if inserted is None:  # the same message, accepted meanwhile by a concurrent request
                existing = self._existing(conn, message)
                assert existing is not None, "a skipped insert means the row exists"
                return Accepted(*existing, workflow_id, created=False)
            add_turn(conn, conversation_id, "customer", message.text, received, ticket_id=ticket_id)
            origin = {"channel": message.channel, "external_id": message.external_id}
            audit.append(conn, ticket_id, "accepted", origin)
        return Accepted(ticket_id, conversation_id, workflow_id, created=True)

    @staticmethod
    def _existing(conn: sa.Connection, message: InboundMessage) -> tuple[TicketId, ConversationId] | None:
        row = conn.execute(
            sa.select(tickets.c.id, tickets.c.conversation_id).where(
                tickets.c.channel == message.channel, tickets.c.external_id == message.external_id
            )
        ).first()
        return (TicketId(row[0]), ConversationId(row[1])) if row is not None else None

    def load_ticket(self, ticket_id: TicketId) -> Ticket:
        if not could_be_id(ticket_id):
            raise KeyError(ticket_id)
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(tickets).where(tickets.c.id == ticket_id)).mappings().first()
            if row is None:
                raise KeyError(ticket_id)
            conv = conn.execute(
                sa.select(conversations.c.external_ref).where(conversations.c.id == row["conversation_id"])
            ).scalar_one()
        message = InboundMessage(
            channel=row["channel"],
            external_id=row["external_id"],
            customer=CustomerRef(email=row["customer_email"], id=row["customer_id"]),
            text=row["text"],
            subject=row["subject"],
            conversation_ref=conv,
            received_at=aware(row["received_at"]),
        )
        return Ticket(
            TicketId(row["id"]),
            ConversationId(row["conversation_id"]),
            message,
            submitted_by=row["submitted_by"],
        )

    def unfinished(self) -> list[Unfinished]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(tickets.c.id, tickets.c.workflow_id, tickets.c.conversation_id)
                .where(tickets.c.status != DONE)
                .order_by(tickets.c.received_at, tickets.c.id)
            ).all()
        return [Unfinished(TicketId(r[0]), r[1], ConversationId(r[2])) for r in rows]

    def mark(self, ticket_id: TicketId, status: TicketStatus) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                tickets.update()
                .where(tickets.c.id == ticket_id, tickets.c.status != DONE)
                .values(status=TicketStatus(status).value, updated_at=utcnow())
            )

    def finish(self, result: TicketResult) -> bool:
        """Record the final result and its ledger rows, once (a repeat finds the rows and stops). Attempts
        journaled for the ticket that the result does not carry (lost with a killed process) are ledgered
        too, settled or in doubt."""
        ticket_id = result.ticket.id
        now = utcnow()
        with self.engine.begin() as conn:
            first = not audit.recorded(conn, ticket_id, "decided")
            conn.execute(
                tickets.update()
                .where(tickets.c.id == ticket_id)
                .values(
                    status=DONE,
                    route=result.decision.route.value,
                    intent=result.decision.intent,
                    decision=jsonable(result.decision),
                    draft=result.draft.reply if result.draft else None,
                    checks=jsonable(result.checks),
                    outcome=result.delivery.outcome.value,
                    outcome_reason=result.delivery.reason,
                    timings=dict(result.timings_ms),
                    updated_at=now,
                )
            )
            if first:  # last: the chains' lock (``storage.chain``) is held for the rest of the transaction
                audit.append(conn, ticket_id, "decided", decided_detail(result))
                known = (u.attempt_id for u in result.model_calls if u.attempt_id)
                ledger.record(conn, result, now, attempts.unledgered(conn, ticket_id, known))
                attempts.mark_ledgered(conn, ticket_id, now)
        return first

    def view(self, ticket_id: TicketId) -> TicketView | None:
        if not could_be_id(ticket_id):  # e.g. a NUL from a URL, which PostgreSQL cannot even compare
            return None
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(tickets).where(tickets.c.id == ticket_id)).mappings().first()
        if row is None:
            return None
        return TicketView(
            id=TicketId(row["id"]),
            status=TicketStatus(row["status"]),
            channel=row["channel"],
            external_id=row["external_id"],
            conversation_id=ConversationId(row["conversation_id"]),
            received_at=aware_or_none(row["received_at"]),
            decision=decision_from_json(row["decision"]) if row["decision"] is not None else None,
            draft=row["draft"],
            checks=tuple(check_from_json(c) for c in row["checks"] or ()),
            outcome=row["outcome"],
            outcome_reason=row["outcome_reason"],
            reply=self._outbox.reply(ticket_id),
            handoff=self._reviews.handoff(ticket_id),
            stage_latency_ms=dict(row["timings"] or {}),
            ledger=self._ledger.lines(ticket_id),
            fetches=self._ledger.fetches(ticket_id),
            audit=self._audit.trail(ticket_id),
            deliveries=self.deliveries.for_ticket(ticket_id) if self.deliveries is not None else (),
        )
