"""Validation: run every check on a draft, then apply the verdict policy; a blocking failure stops sending.

The policy (``[validation] policy`` in settings) says, per check, what its failure does:

- ``block``: the draft is regenerated once with the failures as feedback, then handed off if it fails again;
- ``review``: handed to a person straight away (regenerating would not help: an injection, a routing clash);
- ``warn``: sent, with the failure kept as a warning in the ledger.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.domain.context import ContextPack
from ticketflow.domain.decision import Decision
from ticketflow.domain.draft import Draft
from ticketflow.domain.message import Ticket
from ticketflow.ports.check import Check, CheckInput

BLOCK, WARN, REVIEW = "block", "warn", "review"


class Validator:
    """The validation stage: every check on the draft, then ``policy`` (check name to ``block``, ``review`` or
    ``warn``; ``block`` for a check it does not name).

    A check that raises fails with the exception as its evidence, so a broken check blocks instead of crashing
    the ticket; a failure under ``warn`` is turned into a warning here.
    """

    def __init__(self, checks: Sequence[Check], policy: Mapping[str, str] | None = None) -> None:
        self._checks = tuple(checks)
        self._policy = dict(policy or {})

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self._checks)

    def policy_for(self, name: str) -> str:
        return self._policy.get(name, BLOCK)

    def only(self, names: Sequence[str]) -> Validator:
        """The same policy over just the checks called ``names`` (those it has), in its own order."""
        return Validator([c for c in self._checks if c.name in names], self._policy)

    def settle(self, result: CheckResult) -> CheckResult:
        """``result`` under the policy: a failure of a ``warn`` check becomes a warning."""
        if result.failed and self.policy_for(result.name) == WARN:
            return dataclasses.replace(
                result, verdict=Verdict.WARN, evidence=(*result.evidence, "policy: warn")
            )
        return result

    def run(
        self, ticket: Ticket, decision: Decision, context: ContextPack, draft: Draft
    ) -> tuple[CheckResult, ...]:
        return self.run_on(CheckInput(ticket, decision, context, draft))

    def run_on(self, subject: CheckInput) -> tuple[CheckResult, ...]:
        """Every check on ``subject``, each settled by the policy."""
        results = []
        for check in self._checks:
            try:
                result = check.run(subject)
            except Exception as exc:  # a broken check must block, not crash the ticket
                result = CheckResult(check.name, Verdict.FAIL, (f"check crashed: {exc!r}",))
            results.append(self.settle(result))
        return tuple(results)

    def feedback(self, results: tuple[CheckResult, ...]) -> tuple[str, ...]:
        """Feedback for the one regeneration; empty when nothing failed or a failure goes to review."""
        if any(r.failed and self.policy_for(r.name) == REVIEW for r in results):
            return ()
        return feedback_from(results)


def feedback_from(results: tuple[CheckResult, ...]) -> tuple[str, ...]:
    """Failures as ``check: evidence`` lines, given to the provider for its one regeneration."""
    return tuple(f"{r.name}: {e}" for r in results if r.failed for e in (r.evidence or ("failed",)))
