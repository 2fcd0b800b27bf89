"""Escalation consistency: the draft's action must agree with routing's decision, and both sides are shown.

- Routing said a human must act (a refund, a legal threat, an explicit request) but the draft replies: fail
  (only a warning when routing was merely unsure of the intent).
- The draft says it hands off in prose ("I'm transferring you") while its action is ``reply``: fail, since
  a handoff is an action, never a sentence.
- The model escalated though routing found no reason: warn (safe, but worth a look when tuning).
"""

from __future__ import annotations

import re

from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.domain.decision import Route
from ticketflow.ports.check import CheckInput

UNSURE = "unsure"

_PROSE_HANDOFF = re.compile(
    r"\b(i('m| am)|we('re| are)) (now )?(transferring|connecting|handing|passing|escalating) (you|this|"
    r"your (case|ticket|request))"
    r"|\b(a|one of our) (human |real )?(human|person|colleague|agent|specialist) will "
    r"(take over|pick (this|it) up|be with you|join)|\bi('ll| will) (transfer|connect|hand) you\b",
    re.IGNORECASE,
)


def _routing_side(subject: CheckInput) -> str:
    d = subject.decision
    why = "; ".join(f"{t.reason}: {t.evidence}" for t in d.triggers if t.reason != "injection")
    return f"routing: {d.route.value}" + (f" ({why})" if why else "")


class EscalationConsistency:
    """The ``escalation`` check: the draft's action must agree with routing's, and a handoff is an action.

    A failure or a warning shows both sides (routing's route and triggers, the draft's action and reason), so
    a reviewer sees at once which of the two to trust.
    """

    name = "escalation"

    def run(self, subject: CheckInput) -> CheckResult:
        draft, decision = subject.draft, subject.decision
        model_side = f"draft: {draft.action}" + (
            f" ({draft.escalation_reason})" if draft.escalation_reason else ""
        )
        if draft.action == "reply":
            prose = _PROSE_HANDOFF.search(draft.reply)
            if prose:
                return CheckResult(
                    self.name,
                    Verdict.FAIL,
                    (
                        f"hands off in prose, not by action: {prose.group(0)!r}",
                        _routing_side(subject),
                        model_side,
                    ),
                )
        if decision.route is Route.ESCALATE and draft.action == "reply":
            # "unsure" is low classifier confidence, not a rule that demands a person: worth a look only.
            hard = any(r != UNSURE for r in decision.reasons)
            verdict = Verdict.FAIL if hard else Verdict.WARN
            return CheckResult(self.name, verdict, (_routing_side(subject), model_side))
        if draft.action == "escalate" and decision.route is not Route.ESCALATE:
            return CheckResult(self.name, Verdict.WARN, (_routing_side(subject), model_side))
        return CheckResult(self.name, Verdict.PASS, ())
