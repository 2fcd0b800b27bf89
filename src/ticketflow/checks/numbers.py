"""Grounding of figures: every number, price, order id and link in the reply must appear in the context.

"The context" is everything the drafter was given (account, policies, passages, history) plus the
customer's own message. Figures are compared after normalising separators (``4,95`` = ``4.95``).
"""

from __future__ import annotations

import re

from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.ports.check import CheckInput

_FIGURE = re.compile(
    r"https?://\S+|www\.\S+"  # links
    r"|\b[A-Z]{2,}-\d{3,}\b"  # ids such as NW-100234
    r"|\d+(?:[.,]\d+)*"  # numbers, prices, dates' parts
)
_TRAILING = ".,;:!?)]'\""


_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def _norm(figure: str) -> str:
    """``1,000`` → ``1000`` (thousands), ``4,95`` → ``4.95`` (decimal comma); links and ids lower-cased."""
    figure = figure.rstrip(_TRAILING)
    if _THOUSANDS.fullmatch(figure):
        return figure.replace(",", "")
    return figure.replace(",", ".").lower()


def figures(text: str) -> set[str]:
    return {_norm(m.group(0)) for m in _FIGURE.finditer(text) if _norm(m.group(0))}


class GroundedFigures:
    name = "grounding"

    def run(self, subject: CheckInput) -> CheckResult:
        if subject.draft.action == "escalate" or not subject.draft.reply:
            return CheckResult(self.name, Verdict.PASS, ())
        allowed = figures(subject.context.grounding_text()) | figures(subject.ticket.text)
        for turn in subject.ticket.history:
            allowed |= figures(turn.text)
        missing = sorted(f for f in figures(subject.draft.reply) if f not in allowed)
        if missing:
            return CheckResult(self.name, Verdict.FAIL, tuple(missing))
        return CheckResult(self.name, Verdict.PASS, ())
