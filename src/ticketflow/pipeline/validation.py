"""Validation: run every check on a draft; a failure blocks sending."""

from __future__ import annotations

from collections.abc import Sequence

from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.domain.context import ContextPack
from ticketflow.domain.decision import Decision
from ticketflow.domain.draft import Draft
from ticketflow.domain.message import Ticket
from ticketflow.ports.check import Check, CheckInput


class Validator:
    def __init__(self, checks: Sequence[Check]) -> None:
        self._checks = tuple(checks)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self._checks)

    def run(
        self, ticket: Ticket, decision: Decision, context: ContextPack, draft: Draft
    ) -> tuple[CheckResult, ...]:
        subject = CheckInput(ticket, decision, context, draft)
        results = []
        for check in self._checks:
            try:
                results.append(check.run(subject))
            except Exception as exc:  # a broken check must block, not crash the ticket
                results.append(CheckResult(check.name, Verdict.FAIL, (f"check crashed: {exc!r}",)))
        return tuple(results)


def feedback_from(results: tuple[CheckResult, ...]) -> tuple[str, ...]:
    """Failures as ``check: evidence`` lines, given to the provider for its one regeneration."""
    return tuple(f"{r.name}: {e}" for r in results if r.failed for e in (r.evidence or ("failed",)))
