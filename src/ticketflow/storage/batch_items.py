"""``SqlBatchClaims``: the ``batch_items`` table, which keeps a request out of a second Message Batch.

A row is written (unique per ticket and attempt) before its request is submitted, and is never deleted, so
however a collector run or a ticket workflow dies, a later run finds the row and leaves the request alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ticketflow.ports.batch import BatchClaim, Claimed, ClaimState
from ticketflow.storage.tables import batch_items


def custom_id_for(ticket_id: str, attempt: int) -> str:
    """The request's id inside its batch (``^[a-zA-Z0-9_-]{1,64}$``): one per ticket and attempt."""
    return f"{ticket_id}-{attempt}"


def _claim(row: Any) -> BatchClaim:
    return BatchClaim(
        ticket_id=row.ticket_id,
        attempt=row.attempt,
        workflow_id=row.workflow_id,
        custom_id=row.custom_id,
        claimed_by=row.claimed_by,
        state=row.state,
        batch_id=row.batch_id,
    )


class SqlBatchClaims:
    """Implements the ``BatchClaims`` port on SQLite and PostgreSQL."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def _insert(self) -> Any:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(batch_items).on_conflict_do_nothing()

    def _of(self, conn: sa.Connection, claimant: str) -> tuple[BatchClaim, ...]:
        rows = conn.execute(
            sa.select(batch_items).where(batch_items.c.claimed_by == claimant).order_by(batch_items.c.id)
        ).all()
        return tuple(_claim(r) for r in rows)

    def claim(self, claimant: str, requests: Sequence[tuple[str, int, str]]) -> Claimed:
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            earlier = self._of(conn, claimant)
            if earlier:  # this claimant's earlier run got this far and died: claim nothing more
                return Claimed(earlier, resumed=True)
            for ticket_id, attempt, workflow_id in requests:
                conn.execute(  # a request claimed by anyone already is skipped, not failed
                    self._insert().values(
                        ticket_id=ticket_id,
                        attempt=attempt,
                        workflow_id=workflow_id,
                        custom_id=custom_id_for(ticket_id, attempt),
                        claimed_by=claimant,
                        state="claimed",
                        claimed_at=now,
                        updated_at=now,
                    )
                )
            return Claimed(self._of(conn, claimant))

    def submitted(self, claimant: str, batch_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                batch_items.update()
                .where(batch_items.c.claimed_by == claimant, batch_items.c.state == "claimed")
                .values(state="submitted", batch_id=batch_id, updated_at=datetime.now(UTC))
            )

    def settle(self, claimant: str, state: ClaimState, error: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                batch_items.update()
                .where(batch_items.c.claimed_by == claimant, batch_items.c.state == "claimed")
                .values(state=state, error=error[:2000], updated_at=datetime.now(UTC))
            )

    def find(self, ticket_id: str, attempt: int) -> BatchClaim | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(batch_items).where(
                    batch_items.c.ticket_id == ticket_id, batch_items.c.attempt == attempt
                )
            ).first()
        return _claim(row) if row is not None else None
