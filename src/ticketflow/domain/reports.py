"""What reports read from the store: one row of facts per finished ticket, and the monthly review's grades."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from ticketflow.domain.ids import TicketId


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """A finished ticket as reports count it: how it ended, what it cost, how long each stage took."""

    ticket_id: TicketId
    channel: str
    received_at: datetime
    outcome: str
    """``sent``, ``review`` or ``escalated`` (``domain.outcome.Outcome``)."""
    reason: str | None
    """Why it was handed off (``refund``, ``validation:grounding``) or which canned answer it got."""
    route: str | None
    failed_checks: tuple[str, ...] = field(default=())
    """The validation checks whose verdict was ``fail``."""
    stage_ms: tuple[tuple[str, float], ...] = field(default=())
    """Milliseconds per stage the ticket went through, in pipeline order."""
    cost_usd: float = 0.0
    projected_usd: float = 0.0
    """The part of ``cost_usd`` that is a projection (the offline drafter's would-be Claude price)."""
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    """Cache writes and reads together."""
    model_calls: int = 0
    drafted: bool = False
    """Whether a model drafted a reply (a generation call is in the ledger)."""


class GradeKind(StrEnum):
    """Which half of the monthly review's sample a ticket was drawn into."""

    ANSWERED = "answered"
    ESCALATED = "escalated"


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A ticket as a grader sees it: what the customer wrote and what ticketflow did."""

    ticket_id: TicketId
    kind: GradeKind
    channel: str
    received_at: datetime
    intent: str | None
    customer_text: str
    reply: str | None
    """The reply sent (answered), or the draft a human was handed (review), if any."""
    reason: str | None


@dataclass(frozen=True, slots=True)
class Grade:
    """One person's verdict on one sampled ticket.

    ``should_escalate``: should it have been handed to a human? (for either kind). ``answer_right``: was the
    reply right? (answered tickets only; None for escalated ones or when the grader left it blank).
    """

    ticket_id: TicketId
    kind: GradeKind
    should_escalate: bool | None
    answer_right: bool | None
    grader: str | None = None
    note: str | None = None

    @property
    def escalation_correct(self) -> bool | None:
        """Whether ticketflow's choice (answer or hand off) was the one the grader says it should be."""
        if self.should_escalate is None:
            return None
        return self.should_escalate is (self.kind is GradeKind.ESCALATED)


@dataclass(frozen=True, slots=True)
class StoredGrade:
    """A grade as stored, with when it was given and when its ticket arrived (reports count by the latter)."""

    grade: Grade
    graded_at: datetime
    received_at: datetime


@dataclass(frozen=True, slots=True)
class ResolutionFigures:
    """Verified resolution over a period: answered tickets whose customer did not come back unresolved."""

    verified: int
    eligible: int
    """Answered tickets whose outcome is decided (the denominator; those still in their window are not)."""
