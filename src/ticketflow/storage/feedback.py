"""``SqlFeedback``: the ``FeedbackStore`` port: ratings in ``feedback``, the rest read from what intake and
delivery already record.

An automated answer is a ticket whose outcome is ``sent``, with its reply in the outbox; it was answered
when the channel's receipt says (``deliveries.sent_at`` of its ``reply``), or, without a sender (the
in-process engine), when the reply was recorded. The customer's next message is the first ticket accepted
on the same conversation after that time. Nothing about a follow-up is written separately: intake records
every customer message already, so a message that arrives reopens an answer the moment it is stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa

from ticketflow.domain.feedback import Feedback, Rating
from ticketflow.domain.ids import TicketId, could_be_id
from ticketflow.domain.outcome import Outcome
from ticketflow.domain.resolution import DEFAULT_WINDOW, Answer, FollowUp, ResolutionSummary, summarise
from ticketflow.storage import audit
from ticketflow.storage.tables import deliveries, feedback, outbox, tickets
from ticketflow.storage.times import aware
from ticketflow.storage.upsert import insert_or_ignore

CHUNK = 500
"""Ids per ``IN (...)`` list: well under every driver's limit on bound parameters."""


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class SqlFeedback:
    """Implements ``FeedbackStore``."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

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
        if not could_be_id(ticket_id):
            raise KeyError(ticket_id)
        values = {"rating": rating.value, "score": score, "comment": comment, "source": source, "at": at}
        with self.engine.begin() as conn:
            if conn.execute(sa.select(tickets.c.id).where(tickets.c.id == ticket_id)).first() is None:
                raise KeyError(ticket_id)
            inserted = conn.execute(
                insert_or_ignore(conn, feedback, ("ticket_id",))
                .values(ticket_id=ticket_id, **values)
                .returning(feedback.c.ticket_id)
            ).first()
            if inserted is None:  # rated before (or by a concurrent request): the latest rating wins
                conn.execute(feedback.update().where(feedback.c.ticket_id == ticket_id).values(**values))
            detail = {"rating": rating.value, "score": score, "source": source, "replaced": inserted is None}
            audit.append(conn, ticket_id, "rated", detail | {"comment_chars": len(comment or "")})
        return inserted is None

    def feedback(self, ticket_id: TicketId) -> Feedback | None:
        if not could_be_id(ticket_id):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(feedback).where(feedback.c.ticket_id == ticket_id)).first()
        if row is None:
            return None
        return Feedback(
            TicketId(row.ticket_id), Rating(row.rating), row.score, row.comment, row.source, aware(row.at)
        )

    def answer(self, ticket_id: TicketId) -> Answer | None:
        if not could_be_id(ticket_id):
            return None
        found = self._answers(tickets.c.id == ticket_id)
        return found[0] if found else None

    def answers(self, since: datetime, until: datetime) -> list[Answer]:
        """The automated answers whose reply was recorded in ``[since, until)``, oldest first."""
        return self._answers(outbox.c.created_at >= since, outbox.c.created_at < until)

    def resolution_summary(
        self, since: datetime, until: datetime, now: datetime, *, window: timedelta = DEFAULT_WINDOW
    ) -> ResolutionSummary:
        return summarise(self.answers(since, until), now, window)

    def _answers(self, *where: sa.ColumnElement[bool]) -> list[Answer]:
        reply = deliveries.c.ticket_id == outbox.c.ticket_id, deliveries.c.kind == "reply"
        query = (
            sa.select(
                tickets.c.id,
                tickets.c.conversation_id,
                outbox.c.created_at,
                deliveries.c.sent_at,
                feedback.c.rating,
                feedback.c.at,
            )
            .select_from(tickets)
            .join(outbox, outbox.c.ticket_id == tickets.c.id)
            .outerjoin(deliveries, sa.and_(*reply))
            .outerjoin(feedback, feedback.c.ticket_id == tickets.c.id)
            .where(tickets.c.outcome == Outcome.SENT.value, *where)
            .order_by(outbox.c.created_at, tickets.c.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
            conversations = sorted({r.conversation_id for r in rows})
            later: dict[str, list[FollowUp]] = defaultdict(list)
            for ids in _chunks(conversations):
                for m in conn.execute(
                    sa.select(tickets.c.id, tickets.c.conversation_id, tickets.c.received_at, tickets.c.text)
                    .where(tickets.c.conversation_id.in_(ids))
                    .order_by(tickets.c.received_at, tickets.c.id)
                ):
                    later[m.conversation_id].append(FollowUp(aware(m.received_at), m.text, TicketId(m.id)))
        answers = []
        for r in rows:
            answered = aware(r.sent_at if r.sent_at is not None else r.created_at)
            follow = next(
                (f for f in later[r.conversation_id] if f.at > answered and f.ticket_id != r.id), None
            )
            answers.append(
                Answer(
                    TicketId(r.id),
                    answered,
                    follow,
                    Rating(r.rating) if r.rating is not None else None,
                    aware(r.at) if r.at is not None else None,
                )
            )
        return answers
