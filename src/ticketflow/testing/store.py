"""In-memory fakes of the store's ports, which refuse a repeat exactly as the SQL store does.

``MemoryStore`` holds one fake per port over shared tables, with the same attribute names as
``storage.SqlStore`` (``tickets``, ``conversations``, ``outbox``, ``reviews``, ``ledger``, ``audit``), and
itself serves as the pipeline's ``HistorySource`` and ``DeliveryTarget``::

    store = MemoryStore()
    Deliverer(store).run(ticket, decision, context, draft, checks)
    assert store.outbox.sent[ticket.id].body == "..."

``tests/store_contract.py`` runs the same tests against it and against the SQL store.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ticketflow.domain.audit_record import decided_detail
from ticketflow.domain.cards import truncate_cards, without_cards
from ticketflow.domain.checks import CheckResult
from ticketflow.domain.ids import (
    ConversationId,
    TicketId,
    could_be_id,
    new_conversation_id,
    new_ticket_id,
    thread_ref,
    workflow_key,
)
from ticketflow.domain.message import InboundMessage, Role, Ticket, Turn
from ticketflow.domain.outcome import Handoff
from ticketflow.domain.result import TicketResult
from ticketflow.domain.text import problems
from ticketflow.domain.views import AuditEntry, FetchLine, LedgerLine, TicketStatus, TicketView
from ticketflow.errors import InputError
from ticketflow.ports.store import Accepted, Unfinished


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@dataclass(frozen=True, slots=True)
class SentReply:
    """A reply in the outbox."""

    ticket_id: TicketId
    conversation_id: ConversationId
    channel: str
    body: str


@dataclass(frozen=True, slots=True)
class QueuedReview:
    """A ticket in the review queue."""

    ticket_id: TicketId
    reason: str
    handoff: Handoff


@dataclass(slots=True)
class _Message:
    id: int
    conversation_id: ConversationId
    role: Role
    text: str
    at: datetime
    ticket_id: TicketId | None = None


@dataclass(slots=True)
class _Ticket:
    ticket: Ticket
    workflow_id: str
    status: TicketStatus = TicketStatus.QUEUED
    result: TicketResult | None = None


@dataclass
class _Tables:
    """What the SQL store keeps in tables, kept in dicts and lists in insertion order."""

    clock: Callable[[], datetime]
    tickets: dict[TicketId, _Ticket] = field(default_factory=dict)
    conversations: dict[ConversationId, str] = field(default_factory=dict)
    """Conversation id → the channel's reference for it."""
    threads: dict[tuple[str, str], ConversationId] = field(default_factory=dict)
    """(channel, reference) → conversation id: the SQL store's unique key."""
    keys: dict[tuple[str, str], TicketId] = field(default_factory=dict)
    """(channel, external id) → ticket id: the SQL store's unique key."""
    intake: threading.Lock = field(default_factory=threading.Lock)
    """Held while accepting, so concurrent identical messages make one ticket, as in the SQL store."""
    messages: list[_Message] = field(default_factory=list)
    sent: dict[TicketId, SentReply] = field(default_factory=dict)
    reviews: dict[TicketId, QueuedReview] = field(default_factory=dict)
    ledger: list[LedgerLine] = field(default_factory=list)
    fetches: list[FetchLine] = field(default_factory=list)
    audit: list[tuple[TicketId, AuditEntry]] = field(default_factory=list)

    def add_turn(
        self, conversation_id: ConversationId, role: Role, text: str, at: datetime, ticket_id: TicketId | None
    ) -> None:
        text = truncate_cards(text)  # as the SQL store keeps it
        self.messages.append(_Message(len(self.messages) + 1, conversation_id, role, text, at, ticket_id))

    def append(self, ticket_id: TicketId, event: str, detail: dict[str, Any]) -> None:
        self.audit.append((ticket_id, AuditEntry(event, detail, self.clock())))

    def thread(self, channel: str, reference: str) -> ConversationId:
        """The conversation of the channel's thread, created with a random id unless it exists."""
        conversation_id = self.threads.setdefault((channel, reference), new_conversation_id())
        self.conversations.setdefault(conversation_id, reference)
        return conversation_id


class MemoryAuditLog:
    """``AuditLog`` in memory."""

    def __init__(self, tables: _Tables) -> None:
        self._t = tables

    def append(self, ticket_id: TicketId, event: str, detail: dict[str, Any]) -> None:
        self._t.append(ticket_id, event, detail)

    def trail(self, ticket_id: TicketId) -> tuple[AuditEntry, ...]:
        return tuple(entry for owner, entry in self._t.audit if owner == ticket_id)


class MemoryLedger:
    """``Ledger`` in memory."""

    def __init__(self, tables: _Tables) -> None:
        self._t = tables

    def lines(self, ticket_id: TicketId) -> tuple[LedgerLine, ...]:
        return tuple(line for line in self._t.ledger if line.ticket_id == ticket_id)

    def fetches(self, ticket_id: TicketId) -> tuple[FetchLine, ...]:
        return tuple(line for line in self._t.fetches if line.ticket_id == ticket_id)

    def spent_today(self) -> float:
        midnight = self._t.clock().replace(hour=0, minute=0, second=0, microsecond=0)
        return sum(line.cost_usd for line in self._t.ledger if line.at >= midnight and not line.projected)

    def record(self, result: TicketResult, at: datetime) -> None:
        ticket_id = result.ticket.id
        for seq, u in enumerate(result.model_calls, start=1):
            self._t.ledger.append(
                LedgerLine(
                    ticket_id=ticket_id,
                    seq=seq,
                    purpose=u.purpose,
                    model=u.model,
                    projected=u.projected,
                    input_tokens=u.input_tokens,
                    output_tokens=u.output_tokens,
                    cache_creation_input_tokens=u.cache_creation_input_tokens,
                    cache_read_input_tokens=u.cache_read_input_tokens,
                    cost_usd=u.cost_usd,
                    latency_ms=u.latency_ms,
                    attempt=u.attempt,
                    request_id=u.request_id,
                    stop_reason=u.stop_reason,
                    at=at,
                )
            )
        fetch = result.context.customer_fetch if result.context is not None else None
        if fetch is not None:
            line = FetchLine(ticket_id, 1, fetch.source, fetch.ms, fetch.found, fetch.stale, fetch.error, at)
            self._t.fetches.append(line)


class MemoryOutbox:
    """``Outbox`` in memory: ``sent`` holds each ticket's one reply."""

    def __init__(self, tables: _Tables) -> None:
        self._t = tables

    @property
    def sent(self) -> dict[TicketId, SentReply]:
        return self._t.sent

    def send(self, ticket_id: TicketId, conversation_id: ConversationId, channel: str, body: str) -> bool:
        if ticket_id in self._t.sent:
            return False
        self._t.sent[ticket_id] = SentReply(ticket_id, conversation_id, channel, body)
        self._t.add_turn(conversation_id, "agent", body, self._t.clock(), None)
        self._t.append(ticket_id, "sent", {"channel": channel, "chars": len(body)})
        return True


class MemoryReviewQueue:
    """``ReviewQueue`` in memory: ``queued`` holds each ticket's one handoff."""

    def __init__(self, tables: _Tables) -> None:
        self._t = tables

    @property
    def queued(self) -> dict[TicketId, QueuedReview]:
        return self._t.reviews

    def queue_review(self, ticket_id: TicketId, reason: str, handoff: Handoff) -> bool:
        if ticket_id in self._t.reviews:
            return False
        self._t.reviews[ticket_id] = QueuedReview(ticket_id, reason, handoff)
        self._t.append(ticket_id, "handed_off", {"reason": reason})
        return True


class MemoryConversations:
    """``HistorySource`` in memory, with the same order and cut-off as the SQL store's."""

    def __init__(self, tables: _Tables) -> None:
        self._t = tables

    def history(self, conversation_id: ConversationId, before: TicketId, limit: int) -> list[Turn]:
        anchor = next((m.id for m in self._t.messages if m.ticket_id == before), None)
        turns = [
            m
            for m in self._t.messages
            if m.conversation_id == conversation_id
            and (anchor is None or (m.id != anchor and (m.role == "agent" or m.id < anchor)))
        ]
        latest = sorted(turns, key=lambda m: (m.at, m.id), reverse=True)[:limit]
        return [Turn(m.role, m.text, m.at) for m in reversed(latest)]

    def import_history(self, turns: tuple[Turn, ...], *, channel: str, external_ref: str) -> ConversationId:
        now = self._t.clock()
        conversation_id = self._t.thread(channel, external_ref)
        for turn in turns:
            self._t.add_turn(conversation_id, turn.role, turn.text, _aware(turn.at) if turn.at else now, None)
        return conversation_id


class MemoryTickets:
    """``TicketStore`` in memory."""

    def __init__(self, tables: _Tables, ledger: MemoryLedger) -> None:
        self._t = tables
        self._ledger = ledger

    def accept(self, message: InboundMessage, *, submitted_by: str | None = None) -> Accepted:
        found = problems(message)
        if found:
            first = found[0]
            raise InputError(f"the message cannot be stored: {first['where']} {first['problem']}", found)
        message = without_cards(message)
        workflow_id = workflow_key(message.channel, message.external_id)
        with self._t.intake:
            known = self._t.keys.get((message.channel, message.external_id))
            if known is not None:
                existing = self._t.tickets[known]
                return Accepted(known, existing.ticket.conversation_id, workflow_id, created=False)
            ticket_id = new_ticket_id()
            self._t.keys[(message.channel, message.external_id)] = ticket_id
            conversation_id = self._t.thread(
                message.channel, thread_ref(message.external_id, message.conversation_ref)
            )
            received = _aware(message.received_at) if message.received_at else self._t.clock()
            # as the SQL store loads it: the conversation's reference, the arrival time it recorded
            stored = dataclasses.replace(
                message, conversation_ref=self._t.conversations[conversation_id], received_at=received
            )
            self._t.tickets[ticket_id] = _Ticket(
                Ticket(ticket_id, conversation_id, stored, submitted_by=submitted_by), workflow_id
            )
            self._t.add_turn(conversation_id, "customer", message.text, received, ticket_id)
            self._t.append(
                ticket_id, "accepted", {"channel": message.channel, "external_id": message.external_id}
            )
            return Accepted(ticket_id, conversation_id, workflow_id, created=True)

    def load_ticket(self, ticket_id: TicketId) -> Ticket:
        if not could_be_id(ticket_id):
            raise KeyError(ticket_id)
        return self._t.tickets[ticket_id].ticket

    def unfinished(self) -> list[Unfinished]:
        waiting = [row for row in self._t.tickets.values() if row.status is not TicketStatus.DONE]
        waiting.sort(key=lambda row: (row.ticket.message.received_at or self._t.clock(), row.ticket.id))
        return [Unfinished(r.ticket.id, r.workflow_id, r.ticket.conversation_id) for r in waiting]

    def mark(self, ticket_id: TicketId, status: TicketStatus) -> None:
        row = self._t.tickets.get(ticket_id)
        if row is not None and row.status is not TicketStatus.DONE:
            row.status = TicketStatus(status)

    def finish(self, result: TicketResult) -> bool:
        ticket_id = result.ticket.id
        first = not any(owner == ticket_id and e.event == "decided" for owner, e in self._t.audit)
        if first:
            self._t.append(ticket_id, "decided", decided_detail(result))
            self._ledger.record(result, self._t.clock())
        row = self._t.tickets.get(ticket_id)
        if row is not None:
            row.status, row.result = TicketStatus.DONE, result
        return first

    def view(self, ticket_id: TicketId) -> TicketView | None:
        if not could_be_id(ticket_id):
            return None
        row = self._t.tickets.get(ticket_id)
        if row is None:
            return None
        ticket, result = row.ticket, row.result
        sent, review = self._t.sent.get(ticket_id), self._t.reviews.get(ticket_id)
        return TicketView(
            id=ticket.id,
            status=row.status,
            channel=ticket.message.channel,
            external_id=ticket.message.external_id,
            conversation_id=ticket.conversation_id,
            received_at=ticket.message.received_at,
            decision=result.decision if result else None,
            draft=result.draft.reply if result and result.draft else None,
            # as recorded: a check's model calls are in the ledger, not in the check
            checks=tuple(CheckResult(c.name, c.verdict, c.evidence) for c in result.checks) if result else (),
            outcome=result.delivery.outcome.value if result else None,
            outcome_reason=result.delivery.reason if result else None,
            reply=sent.body if sent else None,
            handoff=review.handoff if review else None,
            stage_latency_ms=dict(result.timings_ms) if result else {},
            ledger=self._ledger.lines(ticket_id),
            fetches=self._ledger.fetches(ticket_id),
            audit=tuple(entry for owner, entry in self._t.audit if owner == ticket_id),
        )


class MemoryStore:
    """Every store port in memory, sharing tables as the SQL store's roles share a database."""

    def __init__(self, clock: Callable[[], datetime] = _utcnow) -> None:
        """``clock``: the time each write is stamped with (``spent_today`` counts from its midnight)."""
        tables = _Tables(clock)
        self.audit = MemoryAuditLog(tables)
        self.ledger = MemoryLedger(tables)
        self.outbox = MemoryOutbox(tables)
        self.reviews = MemoryReviewQueue(tables)
        self.conversations = MemoryConversations(tables)
        self.tickets = MemoryTickets(tables, self.ledger)

    def history(self, conversation_id: ConversationId, before: TicketId, limit: int) -> list[Turn]:
        return self.conversations.history(conversation_id, before, limit)

    def send(self, ticket_id: TicketId, conversation_id: ConversationId, channel: str, body: str) -> bool:
        return self.outbox.send(ticket_id, conversation_id, channel, body)

    def queue_review(self, ticket_id: TicketId, reason: str, handoff: Handoff) -> bool:
        return self.reviews.queue_review(ticket_id, reason, handoff)
