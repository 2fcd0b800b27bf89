"""A fake ``JudgeModel``: the model judge's verdict fixed by the test."""

from __future__ import annotations

from dataclasses import dataclass, field

from ticketflow.domain.ids import TicketId
from ticketflow.ports.judge import Judgement


@dataclass
class FixedJudge:
    """A ``JudgeModel`` that gives every reply the judgement ``answer``; it records each question, reply
    and facts it was asked about, so a test can see whether (and with what) the judge was consulted."""

    answer: Judgement
    asked: list[tuple[str, str, str]] = field(default_factory=list)

    def judge(self, question: str, reply: str, facts: str, *, ticket_id: TicketId | None = None) -> Judgement:
        self.asked.append((question, reply, facts))
        return self.answer
