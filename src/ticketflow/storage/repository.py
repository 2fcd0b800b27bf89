"""``SqlStore``: the store's roles on one SQLAlchemy engine, each in its own module, composed.

Callers that need one role take it as an attribute (``store.tickets``, ``store.conversations``,
``store.outbox``, ``store.reviews``, ``store.ledger``, ``store.audit``, ``store.batch_claims``,
``store.deliveries``, ``store.mail``, ``store.cursors``). The methods
below delegate to them, for the pipeline's stages (which get the whole store as their ``HistorySource`` and
``DeliveryTarget``) and for callers that read a ticket as JSON.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ticketflow.domain.ids import ConversationId, TicketId
from ticketflow.domain.message import InboundMessage, Ticket, Turn
from ticketflow.domain.outcome import Handoff
from ticketflow.domain.result import TicketResult
from ticketflow.domain.serialize import jsonable
from ticketflow.domain.views import TicketStatus, TicketView
from ticketflow.ports.store import Accepted, Unfinished
from ticketflow.storage.alerts import SqlAlertStore, SqlOpsFigures
from ticketflow.storage.attempts import SqlAttempts
from ticketflow.storage.audit import SqlAuditLog
from ticketflow.storage.batch_items import SqlBatchClaims
from ticketflow.storage.conversation_events import SqlConversationEvents
from ticketflow.storage.conversations import SqlConversations
from ticketflow.storage.cursors import SqlCursors
from ticketflow.storage.dashboard import SqlDashboard
from ticketflow.storage.db import create_engine, migrate
from ticketflow.storage.deliveries import SqlDeliveries
from ticketflow.storage.feedback import SqlFeedback
from ticketflow.storage.keys import SqlApiKeys
from ticketflow.storage.ledger import SqlLedger
from ticketflow.storage.mail_ids import SqlMailThreads
from ticketflow.storage.outbox import SqlOutbox
from ticketflow.storage.review_desk import SqlReviewDesk
from ticketflow.storage.reviews import SqlReviewQueue
from ticketflow.storage.tables import fetches, ledger, outbox, reviews, tickets
from ticketflow.storage.throttles import SqlThrottles
from ticketflow.storage.tickets import DONE, SqlTickets
from ticketflow.storage.users import SqlUsers


class SqlStore:
    """Every store port on SQLite or PostgreSQL, over one engine (and so one connection pool)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.conversations = SqlConversations(engine)
        """``HistorySource``, and seeding a conversation with earlier turns."""
        self.outbox = SqlOutbox(engine)
        self.reviews = SqlReviewQueue(engine)
        self.review_desk = SqlReviewDesk(engine)
        """Reviews as agents work them (``ports.reviews.ReviewRecords``): leases, actions, history."""
        self.ledger = SqlLedger(engine)
        self.audit = SqlAuditLog(engine)
        self.tickets = SqlTickets(
            engine, ledger=self.ledger, audit=self.audit, outbox=self.outbox, reviews=self.reviews
        )
        self.batch_claims = SqlBatchClaims(engine)
        """Claims of requests put in off-peak batches (``ports.batch.BatchClaims``)."""
        self.keys = SqlApiKeys(engine)
        """API keys (``ports.access.ApiKeys``)."""
        self.attempts = SqlAttempts(engine)
        """The attempt journal (``ports.attempts.AttemptLog``): providers write each model attempt here."""
        self.deliveries = SqlDeliveries(engine)
        """What the durable sender sent, per ticket and kind (``ports.store.Deliveries``)."""
        self.events = SqlConversationEvents(engine, self.deliveries)
        """A conversation's events for the SSE stream (``GET /v1/conversations/{id}/events``)."""
        self.mail = SqlMailThreads(engine)
        """Message-IDs of mail conversations, for threading (``ports.store.MailThreads``)."""
        self.cursors = SqlCursors(engine)
        """Pollers' checkpoints (``ports.store.Cursors``)."""
        self.feedback = SqlFeedback(engine)
        """Ratings and verified resolution (``ports.store.FeedbackStore``)."""
        self.tickets.deliveries = self.deliveries
        self.throttles = SqlThrottles(engine)
        """Rate limits shared by every process (``ports.access.Throttles``): sign-ins, the rating form."""
        self.alerts = SqlAlertStore(engine)
        """Alert rules' states and events (``ports.alerts.AlertStore``)."""
        self.figures = SqlOpsFigures(engine, self.ledger.spent_today)
        """Windowed figures the alert rules are measured on (``ports.alerts.OpsFigures``)."""
        self.users = SqlUsers(engine)
        """People's accounts and console sessions (``ports.access.Users``)."""
        self.dashboard = SqlDashboard(engine)
        """The console dashboard's figures."""

    @classmethod
    def open(cls, url: str, *, migrate_schema: bool = True) -> SqlStore:
        engine = create_engine(url)
        if migrate_schema:
            migrate(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- TicketStore ---------------------------------------------------------------------------------------

    def accept(self, message: InboundMessage, *, submitted_by: str | None = None) -> Accepted:
        return self.tickets.accept(message, submitted_by=submitted_by)

    def load_ticket(self, ticket_id: TicketId) -> Ticket:
        return self.tickets.load_ticket(ticket_id)

    def unfinished(self) -> list[Unfinished]:
        return self.tickets.unfinished()

    def reachable(self) -> bool:
        """Whether the database answers a trivial query (for ``/healthz``)."""
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError:
            return False
        return True

    def backlog(self) -> int:
        """How many accepted tickets are not finished (the bound intake pushes back at)."""
        query = sa.select(sa.func.count()).select_from(tickets).where(tickets.c.status != DONE)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def mark(self, ticket_id: TicketId, status: TicketStatus) -> None:
        self.tickets.mark(ticket_id, status)

    def finish(self, result: TicketResult) -> bool:
        return self.tickets.finish(result)

    def view(self, ticket_id: TicketId) -> TicketView | None:
        return self.tickets.view(ticket_id)

    def import_history(self, turns: tuple[Turn, ...], *, channel: str, external_ref: str) -> ConversationId:
        """Seed the channel's thread ``external_ref`` with earlier turns; its conversation's id."""
        return self.conversations.import_history(turns, channel=channel, external_ref=external_ref)

    # -- the pipeline's ports: HistorySource, Outbox, ReviewQueue -----------------------------------------

    def history(self, conversation_id: ConversationId, before: TicketId, limit: int) -> list[Turn]:
        return self.conversations.history(conversation_id, before, limit)

    def send(self, ticket_id: TicketId, conversation_id: ConversationId, channel: str, body: str) -> bool:
        return self.outbox.send(ticket_id, conversation_id, channel, body)

    def queue_review(self, ticket_id: TicketId, reason: str, handoff: Handoff) -> bool:
        return self.reviews.queue_review(ticket_id, reason, handoff)

    def spent_today(self) -> float:
        return self.ledger.spent_today()

    # -- JSON, as the API shows it ------------------------------------------------------------------------

    def ticket_view(self, ticket_id: str) -> dict[str, Any] | None:
        """``view(ticket_id).to_json()``: the body of ``GET /v1/tickets/{id}``, or None."""
        view = self.tickets.view(TicketId(ticket_id))
        return view.to_json() if view is not None else None

    def ledger_for(self, ticket_id: str) -> list[dict[str, Any]]:
        """The ticket's model calls, in order, as JSON: tokens, cost, latency, attempt, request id."""
        return [jsonable(line) for line in self.ledger.lines(TicketId(ticket_id))]

    def fetches_for(self, ticket_id: str) -> list[dict[str, Any]]:
        """The ticket's customer-fact lookups, in order, as JSON: source, latency, found, stale, error."""
        return [jsonable(line) for line in self.ledger.fetches(TicketId(ticket_id))]

    def audit_for(self, ticket_id: str) -> list[dict[str, Any]]:
        """The ticket's audit trail, oldest first, as JSON."""
        return [jsonable(entry) for entry in self.audit.trail(TicketId(ticket_id))]

    def counts(self) -> dict[str, int]:
        """Rows per table of interest, for health checks and tests."""

        def count(conn: sa.Connection, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
            total: int = conn.execute(
                sa.select(sa.func.count()).select_from(table).where(*where)
            ).scalar_one()
            return total

        with self.engine.connect() as conn:
            return {
                "tickets": count(conn, tickets),
                "done": count(conn, tickets, tickets.c.status == DONE),
                "outbox": count(conn, outbox),
                "reviews": count(conn, reviews),
                "ledger": count(conn, ledger),
                "fetches": count(conn, fetches),
            }
