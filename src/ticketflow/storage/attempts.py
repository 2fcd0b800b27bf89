"""``SqlAttempts``: the attempt journal (``ports.attempts``) on the ``attempts`` table.

Providers write here around each HTTP attempt, each write its own short transaction, so no database
transaction is open while the model answers. The table is operational, not the ledger: a row is updated
when its attempt settles, and ``ledgered_at`` is set by :func:`mark_ledgered` in the transaction that writes
the ticket's ledger rows, so an attempt is counted by the daily spend exactly once, journal or ledger.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ticketflow.domain.draft import Usage
from ticketflow.domain.ids import TicketId
from ticketflow.storage.tables import attempts
from ticketflow.storage.times import utcnow

BEGAN, SETTLED, FAILED = "began", "settled", "failed"
_USAGE_FIELDS = frozenset(f.name for f in dataclasses.fields(Usage))


def _usage_json(usage: Usage) -> dict[str, Any]:
    return dataclasses.asdict(usage)


def _usage(row: Any, number: int) -> Usage:
    """The ledger's view of one journaled attempt: its settled usage, or an in-doubt row at the estimate."""
    if row.state == SETTLED and row.usage:
        values = {k: v for k, v in row.usage.items() if k in _USAGE_FIELDS}
        return dataclasses.replace(Usage(**values), attempt_id=row.attempt_id)
    if row.state == FAILED:
        return Usage(
            model=row.model,
            input_tokens=0,
            output_tokens=0,
            cost_usd=0.0,
            attempt=number,
            request_id=row.request_id,
            stop_reason=f"error:{row.status or 0}",
            purpose=row.purpose,
            attempt_id=row.attempt_id,
        )
    return Usage(
        model=row.model,
        input_tokens=0,
        output_tokens=0,
        cost_usd=row.estimate_usd,
        attempt=number,
        stop_reason="in_doubt",
        purpose=row.purpose,
        attempt_id=row.attempt_id,
        in_doubt=True,
    )


def unledgered(
    conn: sa.Connection, ticket_id: TicketId, known: Iterable[str], *, ledgered_too: bool = False
) -> tuple[Usage, ...]:
    """The ticket's journaled attempts not yet ledgered and not among ``known`` attempt ids, oldest first.

    ``attempt`` counts the ticket's journaled attempts from 1, in the order they began."""
    c = attempts.c
    rows = conn.execute(
        sa.select(attempts).where(c.ticket_id == ticket_id).order_by(c.began_at, c.attempt_id)
    ).all()
    skip = set(known)
    return tuple(
        _usage(row, number)
        for number, row in enumerate(rows, start=1)
        if (ledgered_too or row.ledgered_at is None) and row.attempt_id not in skip
    )


def mark_ledgered(conn: sa.Connection, ticket_id: TicketId, at: datetime) -> None:
    """Every journaled attempt of the ticket is in the ledger now (same transaction as its rows)."""
    c = attempts.c
    conn.execute(
        attempts.update().where(c.ticket_id == ticket_id, c.ledgered_at.is_(None)).values(ledgered_at=at)
    )


def in_flight_usd(since: datetime) -> sa.ScalarSelect[Any]:
    """Dollars of attempts journaled since ``since`` and not yet ledgered: settled at their cost, failed at
    0, unsettled at their estimate (a subquery, so the ledger's total reads both in one statement)."""
    c = attempts.c
    return (
        sa.select(sa.func.coalesce(sa.func.sum(sa.func.coalesce(c.cost_usd, c.estimate_usd)), 0.0))
        .where(c.began_at >= since, c.ledgered_at.is_(None))
        .scalar_subquery()
    )


class SqlAttempts:
    """Implements ``AttemptLog``."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def began(self, ticket_id: TicketId, attempt_id: str, model: str, purpose: str, estimate: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                attempts.insert().values(
                    attempt_id=attempt_id,
                    ticket_id=ticket_id,
                    model=model,
                    purpose=purpose,
                    estimate_usd=estimate,
                    state=BEGAN,
                    began_at=utcnow(),
                )
            )

    def settled(self, attempt_id: str, usage: Usage) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                attempts.update()
                .where(attempts.c.attempt_id == attempt_id)
                .values(
                    state=SETTLED,
                    cost_usd=usage.cost_usd,
                    usage=_usage_json(usage),
                    request_id=usage.request_id,
                    settled_at=utcnow(),
                )
            )

    def failed(self, attempt_id: str, status: int | None, request_id: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                attempts.update()
                .where(attempts.c.attempt_id == attempt_id)
                .values(state=FAILED, cost_usd=0.0, status=status, request_id=request_id, settled_at=utcnow())
            )

    def unledgered(
        self, ticket_id: TicketId, known: Iterable[str], *, ledgered_too: bool = False
    ) -> tuple[Usage, ...]:
        with self.engine.connect() as conn:
            return unledgered(conn, ticket_id, known, ledgered_too=ledgered_too)
