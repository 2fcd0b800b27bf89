"""``SqlReviewDesk``: the ``ReviewRecords`` port on the ``reviews`` and ``review_actions`` tables.

Each change is one conditional UPDATE whose WHERE clause is the rule it enforces (nobody else holds a live
lease; the caller holds one): on SQLite and PostgreSQL alike, of two racing transactions exactly one
matches the row, the other updates nothing and is refused. The action and its audit event are written in
the same transaction as the change.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ticketflow.domain.ids import TicketId
from ticketflow.domain.reviews import ReviewAction, ReviewEntry, ReviewRecord, ReviewStatus
from ticketflow.domain.views import handoff_from_json
from ticketflow.storage import audit
from ticketflow.storage.tables import deliveries, review_actions, reviews, tickets
from ticketflow.storage.times import aware, aware_or_none

OPEN, CLAIMED, SENT, REJECTED = (s.value for s in ReviewStatus)
REVIEWED_KIND = "reviewed"
"""The kind of a reviewed reply in ``deliveries`` (its key is ``send:{ticket_id}:reviewed``)."""

_COLUMNS = (
    reviews.c.ticket_id,
    reviews.c.reason,
    reviews.c.handoff,
    reviews.c.status,
    reviews.c.created_at,
    reviews.c.lease_holder,
    reviews.c.lease_expires_at,
    reviews.c.assignee,
    reviews.c.closed_at,
    tickets.c.channel,
    tickets.c.conversation_id,
)


def _record(row: Any) -> ReviewRecord:
    return ReviewRecord(
        ticket_id=TicketId(row.ticket_id),
        reason=row.reason,
        channel=row.channel,
        conversation_id=row.conversation_id,
        handoff=handoff_from_json(row.handoff),
        status=ReviewStatus(row.status),
        created_at=aware(row.created_at),
        lease_holder=row.lease_holder,
        lease_expires_at=aware_or_none(row.lease_expires_at),
        assignee=row.assignee,
        closed_at=aware_or_none(row.closed_at),
    )


def _entry(row: Any) -> ReviewEntry:
    return ReviewEntry(
        action=ReviewAction(row.action),
        actor=row.actor,
        at=aware(row.at),
        reason=row.reason,
        diff=row.diff,
        body=row.body,
    )


def _held_by(holder: str, now: datetime) -> tuple[sa.ColumnElement[bool], ...]:
    """The WHERE clause of every change but a claim: the caller holds a live lease."""
    return (
        reviews.c.status == CLAIMED,
        reviews.c.lease_holder == holder,
        reviews.c.lease_expires_at > now,
    )


class SqlReviewDesk:
    """Implements ``ReviewRecords``."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def _select(self) -> sa.Select[Any]:
        return sa.select(*_COLUMNS).select_from(reviews.join(tickets, tickets.c.id == reviews.c.ticket_id))

    def _find(self, conn: sa.Connection, ticket_id: str) -> ReviewRecord | None:
        row = conn.execute(self._select().where(reviews.c.ticket_id == ticket_id)).first()
        return _record(row) if row is not None else None

    def find(self, ticket_id: TicketId) -> ReviewRecord | None:
        with self.engine.connect() as conn:
            return self._find(conn, ticket_id)

    def listing(
        self,
        statuses: Collection[ReviewStatus],
        reason: str | None = None,
        channel: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        assignee: str | None = None,
    ) -> list[ReviewRecord]:
        query = self._select().where(reviews.c.status.in_([s.value for s in statuses]))
        if reason is not None:
            query = query.where(reviews.c.reason == reason)
        if channel is not None:
            query = query.where(tickets.c.channel == channel)
        if created_after is not None:
            query = query.where(reviews.c.created_at >= created_after)
        if created_before is not None:
            query = query.where(reviews.c.created_at <= created_before)
        if assignee is not None:
            query = query.where(reviews.c.assignee == assignee)
        with self.engine.connect() as conn:
            return [_record(r) for r in conn.execute(query.order_by(reviews.c.created_at))]

    def _change(
        self,
        ticket_id: TicketId,
        where: tuple[sa.ColumnElement[bool], ...],
        values: dict[str, Any],
        entry: ReviewEntry,
    ) -> tuple[bool, ReviewRecord | None]:
        with self.engine.begin() as conn:
            changed = conn.execute(
                reviews.update().where(reviews.c.ticket_id == ticket_id, *where).values(**values)
            )
            if changed.rowcount != 1:
                return False, self._find(conn, ticket_id)
            conn.execute(
                review_actions.insert().values(
                    ticket_id=ticket_id,
                    action=entry.action.value,
                    actor=entry.actor,
                    at=entry.at,
                    reason=entry.reason,
                    diff=entry.diff,
                    body=entry.body,
                )
            )
            detail: dict[str, Any] = {"actor": entry.actor}
            if entry.reason is not None:
                detail["reason"] = entry.reason[:500]
            if entry.diff is not None:
                detail["edited"] = bool(entry.diff)
            audit.append(conn, ticket_id, f"review_{entry.action.value}", detail)
            return True, self._find(conn, ticket_id)

    def claim(
        self, ticket_id: TicketId, holder: str, now: datetime, until: datetime
    ) -> tuple[bool, ReviewRecord | None]:
        free = sa.or_(
            reviews.c.status == OPEN,
            reviews.c.lease_holder.is_(None),
            reviews.c.lease_expires_at <= now,
            reviews.c.lease_holder == holder,
        )
        return self._change(
            ticket_id,
            (reviews.c.status.in_((OPEN, CLAIMED)), free),
            {"status": CLAIMED, "lease_holder": holder, "lease_expires_at": until},
            ReviewEntry(ReviewAction.CLAIM, holder, now),
        )

    def release(self, ticket_id: TicketId, holder: str, now: datetime) -> tuple[bool, ReviewRecord | None]:
        return self._change(
            ticket_id,
            _held_by(holder, now),
            {"status": OPEN, "lease_holder": None, "lease_expires_at": None},
            ReviewEntry(ReviewAction.RELEASE, holder, now),
        )

    def close(
        self, ticket_id: TicketId, holder: str, now: datetime, status: ReviewStatus, entry: ReviewEntry
    ) -> tuple[bool, ReviewRecord | None]:
        if not status.closed:
            raise ValueError(f"close() takes sent or rejected, not {status}")
        return self._change(
            ticket_id,
            _held_by(holder, now),
            {"status": status.value, "lease_holder": None, "lease_expires_at": None, "closed_at": now},
            entry,
        )

    def reassign(
        self, ticket_id: TicketId, holder: str, now: datetime, to: str
    ) -> tuple[bool, ReviewRecord | None]:
        return self._change(
            ticket_id,
            _held_by(holder, now),
            {"status": OPEN, "lease_holder": None, "lease_expires_at": None, "assignee": to},
            ReviewEntry(ReviewAction.REASSIGN, holder, now, reason=to),
        )

    def history(self, ticket_id: TicketId) -> tuple[ReviewEntry, ...]:
        query = (
            sa.select(review_actions)
            .where(review_actions.c.ticket_id == ticket_id)
            .order_by(review_actions.c.id)
        )
        with self.engine.connect() as conn:
            return tuple(_entry(r) for r in conn.execute(query))

    def unsent(self) -> list[tuple[TicketId, str]]:
        done = (
            sa.select(deliveries.c.id)
            .where(
                deliveries.c.ticket_id == reviews.c.ticket_id,
                deliveries.c.kind == REVIEWED_KIND,
                deliveries.c.status != "queued",
            )
            .exists()
        )
        sent = (
            sa.select(review_actions.c.ticket_id, review_actions.c.body)
            .join(reviews, reviews.c.ticket_id == review_actions.c.ticket_id)
            .where(
                reviews.c.status == SENT,
                review_actions.c.action.in_((ReviewAction.APPROVE.value, ReviewAction.SEND.value)),
                ~done,
            )
        )
        with self.engine.connect() as conn:
            return [(TicketId(r.ticket_id), r.body or "") for r in conn.execute(sent)]
