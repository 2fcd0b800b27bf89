"""``SqlStore``: tickets, conversations, outbox, review queue and ledger on SQLAlchemy.

Writes that must not repeat (a sent reply, a queued review, ledger rows) are guarded by unique keys, so a
step that re-runs after a crash finds its earlier write and does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ticketflow.domain.ids import ConversationId, TicketId, conversation_id_for, ticket_id_for, workflow_key
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket, Turn
from ticketflow.domain.outcome import Handoff
from ticketflow.domain.result import TicketResult
from ticketflow.domain.serialize import jsonable
from ticketflow.storage.batch_items import SqlBatchClaims
from ticketflow.storage.db import create_engine, migrate
from ticketflow.storage.tables import (
    audit_log,
    conversations,
    fetches,
    ledger,
    messages,
    outbox,
    reviews,
    tickets,
)

QUEUED, PROCESSING, DONE = "queued", "processing", "done"


@dataclass(frozen=True, slots=True)
class Accepted:
    ticket_id: TicketId
    conversation_id: ConversationId
    workflow_id: str
    created: bool


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _audit(conn: sa.Connection, ticket_id: str, event: str, detail: dict[str, Any]) -> None:
    conn.execute(audit_log.insert().values(ticket_id=ticket_id, event=event, detail=detail, at=_now()))


class SqlStore:
    """Implements the ``HistorySource`` and ``Outbox`` ports, plus what the API and runtime need."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.batch_claims = SqlBatchClaims(engine)
        """Claims of requests put in off-peak batches (``ports.batch.BatchClaims``)."""

    @classmethod
    def open(cls, url: str, *, migrate_schema: bool = True) -> SqlStore:
        engine = create_engine(url)
        if migrate_schema:
            migrate(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- intake -------------------------------------------------------------------------------------------

    def accept(self, message: InboundMessage) -> Accepted:
        """Store an inbound message as a queued ticket; a duplicate returns the existing one (not created)."""
        ticket_id = ticket_id_for(message.channel, message.external_id)
        conversation_ref = message.conversation_ref or f"ticket:{message.external_id}"
        conversation_id = conversation_id_for(message.channel, conversation_ref)
        workflow_id = workflow_key(message.channel, message.external_id)
        now = _now()
        received = _aware(message.received_at) or now
        with self.engine.begin() as conn:
            existing = conn.execute(
                sa.select(tickets.c.conversation_id).where(tickets.c.id == ticket_id)
            ).scalar()
            if existing is not None:
                return Accepted(ticket_id, ConversationId(existing), workflow_id, created=False)
            if not conn.execute(
                sa.select(conversations.c.id).where(conversations.c.id == conversation_id)
            ).first():
                conn.execute(
                    conversations.insert().values(
                        id=conversation_id,
                        channel=message.channel,
                        external_ref=conversation_ref,
                        customer_email=message.customer.email,
                        customer_id=message.customer.id,
                        created_at=now,
                    )
                )
            conn.execute(
                tickets.insert().values(
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
                    status=QUEUED,
                    updated_at=now,
                )
            )
            conn.execute(
                messages.insert().values(
                    conversation_id=conversation_id,
                    ticket_id=ticket_id,
                    role="customer",
                    text=message.text,
                    at=received,
                )
            )
            origin = {"channel": message.channel, "external_id": message.external_id}
            _audit(conn, ticket_id, "accepted", origin)
        return Accepted(ticket_id, conversation_id, workflow_id, created=True)

    def import_history(
        self, conversation_id: ConversationId, turns: tuple[Turn, ...], *, channel: str
    ) -> None:
        """Seed a conversation with earlier turns (e.g. a thread migrated from another helpdesk)."""
        now = _now()
        with self.engine.begin() as conn:
            if not conn.execute(
                sa.select(conversations.c.id).where(conversations.c.id == conversation_id)
            ).first():
                conn.execute(
                    conversations.insert().values(
                        id=conversation_id, channel=channel, external_ref=conversation_id, created_at=now
                    )
                )
            for turn in turns:
                conn.execute(
                    messages.insert().values(
                        conversation_id=conversation_id,
                        role=turn.role,
                        text=turn.text,
                        at=_aware(turn.at) or now,
                    )
                )

    def load_ticket(self, ticket_id: TicketId) -> Ticket:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(tickets).where(tickets.c.id == ticket_id)).mappings().one()
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
            received_at=_aware(row["received_at"]),
        )
        return Ticket(TicketId(row["id"]), ConversationId(row["conversation_id"]), message)

    def unfinished(self) -> list[tuple[TicketId, str, ConversationId]]:
        """Tickets accepted but not finished: ``(ticket id, workflow id, conversation id)``, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(tickets.c.id, tickets.c.workflow_id, tickets.c.conversation_id)
                .where(tickets.c.status != DONE)
                .order_by(tickets.c.received_at, tickets.c.id)
            ).all()
        return [(TicketId(r[0]), r[1], ConversationId(r[2])) for r in rows]

    def mark(self, ticket_id: TicketId, status: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                tickets.update()
                .where(tickets.c.id == ticket_id, tickets.c.status != DONE)
                .values(status=status, updated_at=_now())
            )

    # -- HistorySource ------------------------------------------------------------------------------------

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
        return [Turn(r[0], r[1], _aware(r[2])) for r in reversed(rows)]

    # -- Outbox -------------------------------------------------------------------------------------------

    def send(self, ticket_id: TicketId, conversation_id: ConversationId, channel: str, body: str) -> bool:
        with self.engine.begin() as conn:
            if conn.execute(sa.select(outbox.c.ticket_id).where(outbox.c.ticket_id == ticket_id)).first():
                return False
            now = _now()
            conn.execute(
                outbox.insert().values(
                    ticket_id=ticket_id,
                    conversation_id=conversation_id,
                    channel=channel,
                    body=body,
                    created_at=now,
                )
            )
            conn.execute(
                messages.insert().values(conversation_id=conversation_id, role="agent", text=body, at=now)
            )
            _audit(conn, ticket_id, "sent", {"channel": channel, "chars": len(body)})
        return True

    def queue_review(self, ticket_id: TicketId, reason: str, handoff: Handoff) -> bool:
        with self.engine.begin() as conn:
            if conn.execute(sa.select(reviews.c.ticket_id).where(reviews.c.ticket_id == ticket_id)).first():
                return False
            conn.execute(
                reviews.insert().values(
                    ticket_id=ticket_id,
                    reason=reason,
                    handoff=jsonable(handoff),
                    status="open",
                    created_at=_now(),
                )
            )
            _audit(conn, ticket_id, "handed_off", {"reason": reason})
        return True

    # -- results and ledger -------------------------------------------------------------------------------

    def finish(self, result: TicketResult) -> None:
        """Record the final result and its ledger rows, once (a repeat finds the rows and stops)."""
        ticket_id = result.ticket.id
        now = _now()
        with self.engine.begin() as conn:
            decided = sa.and_(audit_log.c.ticket_id == ticket_id, audit_log.c.event == "decided")
            already = conn.execute(sa.select(sa.func.count()).where(decided)).scalar_one()
            if not already:
                d = result.decision
                _audit(
                    conn,
                    ticket_id,
                    "decided",
                    {
                        "route": d.route.value,
                        "intent": d.intent,
                        "confidence": d.confidence,
                        "reasons": list(d.reasons),
                        "triggers": [t.id for t in d.triggers],
                        "out_of_hours": d.out_of_hours,
                        "checks": {c.name: c.verdict.value for c in result.checks},
                        "outcome": result.delivery.outcome.value,
                        "model_calls": len(result.model_calls),
                    },
                )
                for seq, usage in enumerate(result.model_calls, start=1):
                    conn.execute(
                        ledger.insert().values(
                            ticket_id=ticket_id,
                            seq=seq,
                            purpose=usage.purpose,
                            model=usage.model,
                            projected=usage.projected,
                            input_tokens=usage.input_tokens,
                            output_tokens=usage.output_tokens,
                            cache_creation_input_tokens=usage.cache_creation_input_tokens,
                            cache_read_input_tokens=usage.cache_read_input_tokens,
                            cost_usd=usage.cost_usd,
                            latency_ms=usage.latency_ms,
                            attempt=usage.attempt,
                            request_id=usage.request_id,
                            stop_reason=usage.stop_reason,
                            at=now,
                        )
                    )
                fetch = result.context.customer_fetch if result.context is not None else None
                if fetch is not None:
                    conn.execute(
                        fetches.insert().values(
                            ticket_id=ticket_id,
                            seq=1,
                            source=fetch.source,
                            latency_ms=fetch.ms,
                            found=fetch.found,
                            stale=list(fetch.stale),
                            error=fetch.error,
                            at=now,
                        )
                    )
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

    def ticket_view(self, ticket_id: str) -> dict[str, Any] | None:
        """A ticket as the API shows it: status, decision, draft, checks, outcome, ledger, handoff."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(tickets).where(tickets.c.id == ticket_id)).mappings().first()
            if row is None:
                return None
            review = (
                conn.execute(sa.select(reviews).where(reviews.c.ticket_id == ticket_id)).mappings().first()
            )
            sent = conn.execute(sa.select(outbox.c.body).where(outbox.c.ticket_id == ticket_id)).scalar()
        return {
            "id": row["id"],
            "status": row["status"],
            "channel": row["channel"],
            "external_id": row["external_id"],
            "conversation_id": row["conversation_id"],
            "received_at": _aware(row["received_at"]).isoformat() if row["received_at"] else None,  # type: ignore[union-attr]
            "decision": row["decision"],
            "draft": row["draft"],
            "checks": row["checks"] or [],
            "outcome": row["outcome"],
            "outcome_reason": row["outcome_reason"],
            "reply": sent,
            "handoff": review["handoff"] if review else None,
            "stage_latency_ms": row["timings"] or {},
            "ledger": self.ledger_for(ticket_id),
            "fetches": self.fetches_for(ticket_id),
            "audit": self.audit_for(ticket_id),
        }

    def audit_for(self, ticket_id: str) -> list[dict[str, Any]]:
        """The ticket's audit trail, oldest first (append-only: nothing here is ever updated or deleted)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(audit_log.c.event, audit_log.c.detail, audit_log.c.at)
                .where(audit_log.c.ticket_id == ticket_id)
                .order_by(audit_log.c.id)
            ).all()
        return [{"event": r[0], "detail": r[1], "at": _aware(r[2]).isoformat()} for r in rows]  # type: ignore[union-attr]

    def spent_today(self) -> float:
        """Dollars charged (not projected) by the ledger rows written since midnight UTC."""
        midnight = _now().replace(hour=0, minute=0, second=0, microsecond=0)
        with self.engine.connect() as conn:
            total = conn.execute(
                sa.select(sa.func.coalesce(sa.func.sum(ledger.c.cost_usd), 0.0)).where(
                    ledger.c.at >= midnight, ledger.c.projected.is_(False)
                )
            ).scalar_one()
        return float(total)

    def ledger_for(self, ticket_id: str) -> list[dict[str, Any]]:
        """The ticket's model calls, in order: tokens, cost, latency, attempt, request id."""
        return self._rows_of(ledger, ticket_id)

    def fetches_for(self, ticket_id: str) -> list[dict[str, Any]]:
        """The ticket's customer-fact lookups, in order: source, latency, found, stale facts, error."""
        return self._rows_of(fetches, ticket_id)

    def _rows_of(self, table: sa.Table, ticket_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(table).where(table.c.ticket_id == ticket_id).order_by(table.c.seq)
            ).mappings()
            return [
                {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items() if k != "id"}
                for r in rows
            ]

    def counts(self) -> dict[str, int]:
        """Rows per table of interest, for health checks and tests."""
        with self.engine.connect() as conn:
            return {
                "tickets": conn.execute(sa.select(sa.func.count()).select_from(tickets)).scalar_one(),
                "done": conn.execute(
                    sa.select(sa.func.count()).select_from(tickets).where(tickets.c.status == DONE)
                ).scalar_one(),
                "outbox": conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one(),
                "reviews": conn.execute(sa.select(sa.func.count()).select_from(reviews)).scalar_one(),
                "ledger": conn.execute(sa.select(sa.func.count()).select_from(ledger)).scalar_one(),
                "fetches": conn.execute(sa.select(sa.func.count()).select_from(fetches)).scalar_one(),
            }
