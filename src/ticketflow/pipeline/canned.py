"""Validating a canned answer: the checks that make sense for a fixed, approved text, with no model call.

A canned answer (route ``rule``) is approved text, so grounding, promises, length, PII and injection echo
have nothing to find in it; what can still go wrong is that it is sent to the wrong message. These run:

- ``relevance``, judged on the customer's own words: the routed intent is withheld, because it *is* the
  canned answer's topic, and counting it as what was asked would pass every canned answer. A message that
  asks nothing (no question, no request) and is not neutral (praise, thanks, a complaint) also fails it:
  an answer to a frequently asked question answers nothing there. A neutral statement passes ("cancellation
  fee info" is how many people ask).
- ``tone``: an upset customer gets an acknowledgement, which an FAQ answer does not hold, and the voice's
  banned phrases hold for approved text too.
- ``escalation``: an approved text must not hand off in prose ("a colleague will pick this up").

The model judge never runs here (it would add a model call to every canned answer). Each result is
settled by ``[validation] policy`` like a draft's (a ``warn`` check only warns). A failure sends nothing:
delivery hands the ticket to a person with the canned answer as the suggested reply (``Deliverer``).
"""

from __future__ import annotations

import dataclasses

from ticketflow.domain.asking import asks_anything
from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.domain.context import ContextPack
from ticketflow.domain.decision import Decision
from ticketflow.domain.draft import Draft
from ticketflow.domain.message import Ticket
from ticketflow.pipeline.validation import Validator
from ticketflow.ports.check import CheckInput

CANNED_CHECKS = ("relevance", "tone", "escalation")
RELEVANCE = "relevance"
NEUTRAL = "neutral"
_NO_CONTEXT = ContextPack(customer=None, policies=(), passages=(), history=(), rendered="", tokens=0)


def statement_finding(ticket: Ticket, decision: Decision) -> str | None:
    """Why the message is no question a canned answer can answer, or None: it asks nothing and its
    sentiment is not neutral."""
    if decision.sentiment in (None, NEUTRAL) or asks_anything(ticket.text):
        return None
    return (
        f"the message asks nothing ({decision.sentiment} sentiment, no question or request); "
        f"the canned answer {decision.rule_id} answers a question"
    )


class CannedValidation:
    """Runs :data:`CANNED_CHECKS` of ``validator`` (those it has, under its policy) on a canned answer."""

    def __init__(self, validator: Validator) -> None:
        self._relevance = validator.only((RELEVANCE,))
        self._others = validator.only(tuple(n for n in CANNED_CHECKS if n != RELEVANCE))

    @property
    def names(self) -> tuple[str, ...]:
        return (*self._relevance.names, *self._others.names)

    def run(self, ticket: Ticket, decision: Decision) -> tuple[CheckResult, ...]:
        """The canned answer's check results; () when the decision carries none."""
        if not decision.canned_answer:
            return ()
        draft = Draft(reply=decision.canned_answer, cited_sources=(str(decision.rule_id),), confidence=1.0)
        results = self._others.run_on(CheckInput(ticket, decision, _NO_CONTEXT, draft))
        if not self._relevance.names:
            return results
        finding = statement_finding(ticket, decision)
        if finding is not None:
            relevant = self._relevance.settle(CheckResult(RELEVANCE, Verdict.FAIL, (finding,)))
        else:  # the question read on its own words, not by the intent the answer was chosen for
            unrouted = dataclasses.replace(decision, intent=None)
            (relevant,) = self._relevance.run_on(CheckInput(ticket, unrouted, _NO_CONTEXT, draft))
        return (relevant, *results)
