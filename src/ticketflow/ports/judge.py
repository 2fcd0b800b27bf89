"""A model that judges a draft reply's tone and coherence (the optional model judge of validation)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from ticketflow.domain.draft import Usage
from ticketflow.domain.ids import TicketId


@dataclass(frozen=True, slots=True)
class Judgement:
    """The judge's verdict (None when it gave no usable answer), its reasons, and the calls it cost."""

    verdict: Literal["pass", "fail"] | None
    problems: tuple[str, ...] = field(default=())
    usage: tuple[Usage, ...] = field(default=())


class JudgeModel(Protocol):
    """A model that says whether a draft reply's tone and coherence hold; it is given masked text only."""

    def judge(self, question: str, reply: str, facts: str, *, ticket_id: TicketId | None = None) -> Judgement:
        """Judge ``reply`` to ``question`` given the ``facts`` it may use (all already masked); ``ticket_id``
        names the ticket the call is paid for (the attempt journal's)."""
        ...
