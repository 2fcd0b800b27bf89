"""A daily spend budget in front of any provider: once today's spend reaches it, no more model calls.

The spend comes from a function (wiring passes the ledger's total for today, plus the attempts journaled
and not yet ledgered: calls in flight in any process, or lost with a killed one, at their estimate until
they settle), so the guard needs no storage of its own and sees spend that no ticket has recorded yet.
A ticket refused for budget gets an escalated draft with reason ``budget`` and no usage.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ticketflow.domain.draft import Draft
from ticketflow.ports.provider import GenerationRequest, Provider

log = logging.getLogger("ticketflow.providers.budget")


class DailyBudget:
    """``Provider`` that forwards to ``inner`` while ``spent_today() < limit_usd``."""

    def __init__(self, inner: Provider, limit_usd: float, spent_today: Callable[[], float]) -> None:
        self.inner = inner
        self.name = inner.name
        self._limit = limit_usd
        self._spent_today = spent_today

    def generate(self, request: GenerationRequest) -> Draft:
        spent = self._spent_today()
        if spent >= self._limit:
            log.error(
                "ALERT daily budget used up (%.6f of %.2f USD): ticket %s goes to a human",
                spent,
                self._limit,
                request.ticket.id,
            )
            return Draft.handoff("budget", attempt=request.attempt)
        return self.inner.generate(request)
