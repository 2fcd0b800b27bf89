"""``SqlAuditLog``: the ``AuditLog`` port on the append-only ``audit_log`` table.

Other writers append inside their own transaction through :func:`append`, so an event is recorded
exactly when the change it describes is.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ticketflow.domain.ids import TicketId
from ticketflow.domain.views import AuditEntry
from ticketflow.storage import chain
from ticketflow.storage.tables import audit_log
from ticketflow.storage.times import aware, utcnow


def append(conn: sa.Connection, ticket_id: str | None, event: str, detail: dict[str, Any]) -> None:
    """Add an event to a ticket's trail inside the caller's transaction: it commits with what it records.

    The row is linked into the audit chain (``storage.chain``) over its detail's digest. ``detail`` names
    data by ids, kinds and hashes, never by its personal values."""
    values: dict[str, Any] = {
        "ticket_id": ticket_id,
        "event": event,
        "detail": detail,
        "at": utcnow(),
        "detail_sha256": chain.digest(detail),
    }
    values.update(chain.link(conn, chain.AUDIT, chain.audit_fields(values)))
    conn.execute(audit_log.insert().values(**values))


def recorded(conn: sa.Connection, ticket_id: str, event: str) -> bool:
    """Whether the ticket's trail holds ``event`` already."""
    found = audit_log.c.ticket_id == ticket_id, audit_log.c.event == event
    return conn.execute(sa.select(audit_log.c.id).where(*found).limit(1)).first() is not None


class SqlAuditLog:
    """Implements ``AuditLog``."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def append(self, ticket_id: TicketId, event: str, detail: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            append(conn, ticket_id, event, detail)

    def trail(self, ticket_id: TicketId) -> tuple[AuditEntry, ...]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(audit_log.c.event, audit_log.c.detail, audit_log.c.at)
                .where(audit_log.c.ticket_id == ticket_id)
                .order_by(audit_log.c.id)
            ).all()
        return tuple(AuditEntry(r[0], r[1], aware(r[2])) for r in rows)
