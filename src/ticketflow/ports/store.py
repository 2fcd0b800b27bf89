"""Persistence, one port per caller's role: tickets and intake, history, outbox, review queue, ledger, audit.

Writes that a crashed and replayed step may repeat (a sent reply, a queued handoff, a recorded result) are
made once: the repeat returns False and writes nothing, so a durable step can simply run again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from ticketflow.domain.feedback import Feedback, Rating
from ticketflow.domain.ids import ConversationId, TicketId
from ticketflow.domain.message import InboundMessage, Ticket, Turn
from ticketflow.domain.outcome import Handoff
from ticketflow.domain.resolution import DEFAULT_WINDOW, Answer, ResolutionSummary
from ticketflow.domain.result import TicketResult
from ticketflow.domain.views import AuditEntry, DeliveryLine, FetchLine, LedgerLine, TicketStatus, TicketView


@dataclass(frozen=True, slots=True)
class Accepted:
    """What accepting a message gave: its ticket, conversation and workflow, and whether it is new."""

    ticket_id: TicketId
    conversation_id: ConversationId
    workflow_id: str
    created: bool
    """False when the message had been accepted before (a resent webhook): nothing was written."""


@dataclass(frozen=True, slots=True)
class Unfinished:
    """A ticket accepted but not finished, with what it takes to enqueue its workflow again."""

    ticket_id: TicketId
    workflow_id: str
    conversation_id: ConversationId


class TicketStore(Protocol):
    """Tickets from acceptance to their recorded result (the runtime and ``Engine.handle``)."""

    def accept(self, message: InboundMessage, *, submitted_by: str | None = None) -> Accepted:
        """Store a message as a queued ticket on its conversation; a duplicate returns the existing one.

        ``submitted_by`` is the id of the API key that posted it (None for the other intakes)."""
        ...

    def load_ticket(self, ticket_id: TicketId) -> Ticket:
        """The ticket as accepted (``KeyError`` when there is none)."""
        ...

    def unfinished(self) -> list[Unfinished]:
        """Tickets accepted but not done, oldest first: the ones to enqueue again at start."""
        ...

    def mark(self, ticket_id: TicketId, status: TicketStatus) -> None:
        """Set a ticket's status; a ticket that is done stays done."""
        ...

    def finish(self, result: TicketResult) -> bool:
        """Record the result, its ledger lines and its ``decided`` audit entry; False when already recorded
        (the status and result are written again, the ledger and audit are not)."""
        ...

    def view(self, ticket_id: TicketId) -> TicketView | None:
        """The ticket with everything recorded about it, or None when there is no such ticket."""
        ...


class HistorySource(Protocol):
    """A conversation's earlier turns, for the intake stage."""

    def history(self, conversation_id: ConversationId, before: TicketId, limit: int) -> list[Turn]:
        """The conversation's earlier messages (customer and agent), oldest first."""
        ...


class Outbox(Protocol):
    """Where a reply that passed every check is recorded for sending, once per ticket."""

    def send(self, ticket_id: TicketId, conversation_id: ConversationId, channel: str, body: str) -> bool:
        """Record a reply for the channel to send; False when this ticket was already sent (no repeat)."""
        ...


class ReviewQueue(Protocol):
    """Where a handed-off ticket waits for a person, with its package, once per ticket."""

    def queue_review(self, ticket_id: TicketId, reason: str, handoff: Handoff) -> bool:
        """Put the ticket in the human review queue; False when it is already there."""
        ...


class DeliveryTarget(Outbox, ReviewQueue, Protocol):
    """Where delivery puts a ticket: a reply in the outbox, or a handoff in the review queue."""


class Ledger(Protocol):
    """Every model call and customer lookup a ticket made (append-only; written with its result)."""

    def lines(self, ticket_id: TicketId) -> tuple[LedgerLine, ...]:
        """The ticket's model calls, in order."""
        ...

    def fetches(self, ticket_id: TicketId) -> tuple[FetchLine, ...]:
        """The ticket's customer lookups, in order."""
        ...

    def spent_today(self) -> float:
        """Dollars charged (not projected) by the calls recorded since midnight UTC: the daily budget's."""
        ...


class AuditLog(Protocol):
    """Each ticket's trail of events (append-only: nothing in it is ever updated or deleted)."""

    def append(self, ticket_id: TicketId, event: str, detail: dict[str, Any]) -> None:
        """Add ``event`` (with its JSON ``detail``) to the ticket's trail."""
        ...

    def trail(self, ticket_id: TicketId) -> tuple[AuditEntry, ...]:
        """The ticket's events, oldest first."""
        ...


class Deliveries(Protocol):
    """What the durable sender sent, per ticket and kind, keyed ``send:{ticket_id}:{kind}``.

    The attempt is recorded (``queued``) before the channel is called, the receipt (``sent``) after, so a step
    that runs again knows what happened: ``sent`` means do nothing, ``queued`` means the call may or may not
    have reached the channel.
    """

    def begin(
        self,
        ticket_id: TicketId,
        conversation_id: ConversationId,
        kind: str,
        channel: str,
        body: str | None,
    ) -> DeliveryLine:
        """Record an attempt (a new ``queued`` row, or one more attempt on a ``queued`` one) and return the
        row as it stands; a ``sent`` or ``failed`` row is returned unchanged."""
        ...

    def sent(self, key: str, message_id: str, at: datetime, *, mail_thread: str | None = None) -> None:
        """Record the receipt; ``mail_thread``: remember our Message-ID as part of that mail conversation."""
        ...

    def retrying(self, key: str, error: str) -> None:
        """Note a transient failure (the row stays ``queued``)."""
        ...

    def failed(self, key: str, error: str, handoff: Handoff | None) -> None:
        """Mark the delivery failed for good; with ``handoff``, put the ticket in review with the reason."""
        ...

    def for_ticket(self, ticket_id: TicketId) -> tuple[DeliveryLine, ...]:
        """The ticket's outgoing messages and their status, oldest first."""
        ...

    def for_conversation(self, conversation_id: ConversationId) -> tuple[DeliveryLine, ...]:
        """Every outgoing message of the conversation, oldest first."""
        ...

    def counts(self) -> list[tuple[str, str, str, int]]:
        """``(channel, kind, status, count)`` for every combination present (the metrics' source)."""
        ...


class MailThreads(Protocol):
    """The Message-IDs of mail conversations, the customers' and ours, for threading the next mail."""

    def remember(
        self, message_id: str, conversation_ref: str, chain: tuple[str, ...], *, direction: str
    ) -> None:
        """Record a Message-ID of a conversation (``direction``: ``in`` or ``out``); a repeat is a no-op."""
        ...

    def conversation_of(self, message_id: str) -> str | None:
        """The conversation a Message-ID belongs to (the email channel's ``known``)."""
        ...

    def chain_of(self, message_id: str) -> tuple[str, ...] | None:
        """What a reply to that mail carries in ``References`` (None: not a mail we took in or sent)."""
        ...

    def record_ignored(self, external_id: str | None, author: str, reason: str) -> None:
        """Record a mail that gets no answer, who sent it and why (an audit event without a ticket)."""
        ...


class Cursors(Protocol):
    """Where pollers stopped, by name (``poll:zendesk``): a JSON value each, kept across restarts."""

    def get(self, name: str) -> Any | None:
        """The value stored under ``name``, or None when nothing is."""
        ...

    def put(self, name: str, value: Any) -> None:
        """Store ``value`` under ``name``, replacing what was there."""
        ...


class FeedbackStore(Protocol):
    """Customers' ratings and the facts that verify an automated answer (see ``domain.resolution``).

    The console's verified-resolution tile, ``/metrics``, the demo report and ``GET /v1/tickets/{id}`` all
    read :meth:`resolution_summary` or :meth:`resolution`, so every place shows the same figures.
    """

    def rate(
        self,
        ticket_id: TicketId,
        rating: Rating,
        *,
        score: int | None = None,
        comment: str | None = None,
        source: str = "link",
        at: datetime,
    ) -> bool:
        """Record the customer's rating of the ticket, replacing an earlier one (True when it did);
        ``KeyError`` when there is no such ticket. Each rating is an audit event ``rated``."""
        ...

    def feedback(self, ticket_id: TicketId) -> Feedback | None:
        """The ticket's current rating, or None."""
        ...

    def answer(self, ticket_id: TicketId) -> Answer | None:
        """The facts about the ticket's automated answer (when sent, the customer's next message, the
        rating), or None when the ticket was not answered automatically."""
        ...

    def resolution_summary(
        self, since: datetime, until: datetime, now: datetime, *, window: timedelta = DEFAULT_WINDOW
    ) -> ResolutionSummary:
        """Automated answers recorded in ``[since, until)``, counted as sent / resolved / reopened /
        pending and by rating, judged at ``now`` with ``window``."""
        ...
