"""One ticket's trip through the pipeline, as reports and the ledger see it."""

from __future__ import annotations

from dataclasses import dataclass, field

from ticketflow.domain.checks import CheckResult
from ticketflow.domain.context import ContextPack
from ticketflow.domain.decision import Decision
from ticketflow.domain.draft import Draft, Usage
from ticketflow.domain.message import Ticket
from ticketflow.domain.outcome import Delivery


@dataclass(frozen=True, slots=True)
class TicketResult:
    """Everything that happened to one ticket: routing's decision, the delivery, and what came between.

    ``context``, ``draft`` and ``checks`` are empty when the ticket never got that far (a rule answered it, or
    routing escalated); ``timings_ms`` holds each stage's time in milliseconds.
    """

    ticket: Ticket
    decision: Decision
    delivery: Delivery
    context: ContextPack | None = None
    draft: Draft | None = None
    checks: tuple[CheckResult, ...] = field(default=())
    timings_ms: tuple[tuple[str, float], ...] = field(default=())
    validation_calls: tuple[Usage, ...] = field(default=())
    """Model calls made while validating (the model judge), every validation round included."""

    @property
    def model_calls(self) -> tuple[Usage, ...]:
        """Calls that reached a model (projected ones included, they stand in for real calls)."""
        if self.draft is None:
            return self.validation_calls
        return self.draft.usage + self.validation_calls

    @property
    def input_tokens(self) -> int:
        """Uncached input tokens, as the Messages API counts ``input_tokens`` (cache reads/writes apart)."""
        return sum(u.input_tokens for u in self.model_calls)

    @property
    def prompt_tokens(self) -> int:
        """Every prompt token, cached or not."""
        return sum(
            u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens
            for u in self.model_calls
        )
