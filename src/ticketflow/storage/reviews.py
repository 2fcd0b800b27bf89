"""``SqlReviewQueue``: the ``ReviewQueue`` port on the ``reviews`` table, one handoff per ticket."""

from __future__ import annotations

import sqlalchemy as sa

from ticketflow.domain.ids import TicketId
from ticketflow.domain.outcome import Handoff
from ticketflow.domain.serialize import jsonable
from ticketflow.domain.views import handoff_from_json
from ticketflow.storage import audit
from ticketflow.storage.tables import reviews
from ticketflow.storage.times import utcnow


class SqlReviewQueue:
    """Implements ``ReviewQueue``."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

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
                    created_at=utcnow(),
                )
            )
            audit.append(conn, ticket_id, "handed_off", {"reason": reason})
        return True

    def handoff(self, ticket_id: TicketId) -> Handoff | None:
        """The package queued for the ticket, if it was handed off."""
        with self.engine.connect() as conn:
            recorded = conn.execute(
                sa.select(reviews.c.handoff).where(reviews.c.ticket_id == ticket_id)
            ).scalar()
        return handoff_from_json(recorded) if recorded is not None else None
