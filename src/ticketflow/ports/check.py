"""A validation check: one concern, one verdict with evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ticketflow.domain.checks import CheckResult
from ticketflow.domain.context import ContextPack
from ticketflow.domain.decision import Decision
from ticketflow.domain.draft import Draft
from ticketflow.domain.message import Ticket


@dataclass(frozen=True, slots=True)
class CheckInput:
    """What a check reads: the ticket, routing's decision, the context the drafter was given, the draft."""

    ticket: Ticket
    decision: Decision
    context: ContextPack
    draft: Draft


class Check(Protocol):
    """A validation check: one concern, named by ``name`` (its key in ``[validation] policy``)."""

    name: str

    def run(self, subject: CheckInput) -> CheckResult:
        """The verdict on ``subject.draft``, with evidence; raising counts as a failure, not a crash."""
        ...
