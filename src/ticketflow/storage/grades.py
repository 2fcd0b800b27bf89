"""``SqlGrades``: the ``ReviewGrades`` port on the ``grades`` table, one grade per ticket (its primary key).

Grading a ticket again replaces its grade: a grading file stored twice counts once.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ticketflow.domain.ids import TicketId
from ticketflow.domain.reports import Grade, GradeKind, StoredGrade
from ticketflow.storage.tables import grades, tickets
from ticketflow.storage.times import aware
from ticketflow.storage.upsert import insert_or_ignore


class SqlGrades:
    """Implements ``ReviewGrades``."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def record_grades(self, graded: list[Grade], *, at: datetime) -> int:
        ids = [g.ticket_id for g in graded]
        with self.engine.begin() as conn:
            known = set(conn.execute(sa.select(tickets.c.id).where(tickets.c.id.in_(ids))).scalars())
            missing = [i for i in ids if i not in known]
            if missing:
                raise KeyError(missing[0])
            for grade in graded:
                values = {
                    "kind": grade.kind.value,
                    "should_escalate": grade.should_escalate,
                    "answer_right": grade.answer_right,
                    "grader": grade.grader,
                    "note": grade.note,
                    "graded_at": at,
                }
                # insert-or-ignore then update: a concurrent grader of the same ticket waits, never fails
                conn.execute(
                    insert_or_ignore(conn, grades, ("ticket_id",)).values(ticket_id=grade.ticket_id, **values)
                )
                conn.execute(grades.update().where(grades.c.ticket_id == grade.ticket_id).values(**values))
        return len(graded)

    def grades(self, since: datetime, until: datetime) -> list[StoredGrade]:
        g, t = grades.c, tickets.c
        query = (
            sa.select(grades, t.received_at)
            .select_from(grades.join(tickets, t.id == g.ticket_id))
            .where(t.received_at >= since, t.received_at < until)
            .order_by(t.received_at, g.ticket_id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            StoredGrade(
                Grade(
                    ticket_id=TicketId(r.ticket_id),
                    kind=GradeKind(r.kind),
                    should_escalate=r.should_escalate,
                    answer_right=r.answer_right,
                    grader=r.grader,
                    note=r.note,
                ),
                graded_at=aware(r.graded_at),
                received_at=aware(r.received_at),
            )
            for r in rows
        ]
