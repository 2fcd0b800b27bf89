"""What reports and the monthly review read and write: finished tickets' facts by period, and grades.

A port of its own (beside ``ports.store``): the report builder and the console's grading page take these
roles, and ``wiring.reports`` opens them on the workspace's database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ticketflow.domain.ids import TicketId
from ticketflow.domain.reports import Grade, ReviewItem, StoredGrade, TicketFacts


class ReportSource(Protocol):
    """The read model reports are built from: finished tickets by when they arrived (``[since, until)``)."""

    def ticket_facts(self, since: datetime, until: datetime) -> list[TicketFacts]:
        """One row per finished ticket received in ``[since, until)``, oldest first."""
        ...

    def review_candidates(self, since: datetime, until: datetime) -> dict[str, list[TicketId]]:
        """The ids of the finished tickets received in ``[since, until)`` by outcome (``sent``, ``review``,
        ``escalated``), oldest first: what the monthly review samples from."""
        ...

    def review_items(self, sampled: dict[TicketId, str]) -> list[ReviewItem]:
        """The sampled tickets (id to ``answered``/``escalated``) as a grader sees them, in that order."""
        ...


class ReviewGrades(Protocol):
    """The monthly review's grades, one per ticket (a ticket graded again keeps the latest grade)."""

    def record_grades(self, grades: list[Grade], *, at: datetime) -> int:
        """Store ``grades`` in one transaction, replacing earlier grades of the same tickets; how many.
        ``KeyError`` names the first ticket that does not exist (nothing is stored then)."""
        ...

    def grades(self, since: datetime, until: datetime) -> list[StoredGrade]:
        """The grades of the tickets received in ``[since, until)``."""
        ...
