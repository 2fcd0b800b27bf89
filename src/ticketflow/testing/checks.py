"""A fake validation ``Check``: one verdict whatever the draft."""

from __future__ import annotations

from dataclasses import dataclass, field

from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.ports.check import CheckInput


@dataclass
class FixedCheck:
    """A ``Check`` named ``name`` that returns ``verdict`` with ``evidence`` for every draft, so a test of
    the validation policy or the model judge can set what the deterministic checks concluded."""

    name: str
    verdict: Verdict
    evidence: tuple[str, ...] = field(default=())

    def run(self, subject: CheckInput) -> CheckResult:
        return CheckResult(self.name, self.verdict, self.evidence)
