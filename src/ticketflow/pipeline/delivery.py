"""Delivery: send a reply that passed, or hand the ticket to a human with a full package. Never both."""

from __future__ import annotations

from ticketflow.domain.checks import CheckResult, failures
from ticketflow.domain.context import ContextPack
from ticketflow.domain.decision import Decision, Route
from ticketflow.domain.draft import Draft
from ticketflow.domain.message import Ticket
from ticketflow.domain.outcome import Delivery, Handoff, Outcome
from ticketflow.ports.store import DeliveryTarget


def _summary(ticket: Ticket, decision: Decision) -> str:
    first_line = ticket.text.strip().splitlines()[0] if ticket.text.strip() else ""
    intent = decision.intent or "unknown intent"
    return f"{intent} ({decision.confidence:.2f}) via {ticket.message.channel}: {first_line[:160]}"


class Deliverer:
    """The delivery stage: the reply to the outbox or the handoff package to the review queue, once each."""

    def __init__(self, outbox: DeliveryTarget | None = None) -> None:
        self._outbox = outbox

    def run(
        self,
        ticket: Ticket,
        decision: Decision,
        context: ContextPack | None,
        draft: Draft | None,
        checks: tuple[CheckResult, ...],
    ) -> Delivery:
        if decision.route is Route.RULE and decision.canned_answer:
            return self._canned(ticket, decision, decision.canned_answer, checks)
        if decision.route is Route.DECLINE and decision.canned_answer:
            return self._send(ticket, decision.canned_answer, decision.rule_id, Outcome.DECLINED)
        if decision.route is Route.ESCALATE or draft is None:
            reason = decision.primary_reason or "unrouted"
            tried = tuple(f"{t.id}: {t.evidence}" for t in decision.triggers)
            return self._handoff(ticket, decision, Outcome.ESCALATED, reason, tried, context, None)
        if draft.action == "escalate":
            reason = draft.escalation_reason or "model_escalated"
            tried = ("routing: auto", f"generation: the model escalated ({reason})")
            return self._handoff(ticket, decision, Outcome.ESCALATED, reason, tried, context, None)
        failed = failures(checks)
        if failed:
            reason = "validation:" + ",".join(r.name for r in failed)
            tried = (
                "routing: auto",
                f"generation: {draft.attempt} attempt(s)",
                *(f"{r.name} failed: {'; '.join(r.evidence)}" for r in failed),
            )
            return self._handoff(ticket, decision, Outcome.REVIEW, reason, tried, context, draft.reply)
        return self._send(ticket, draft.reply, reason=None)

    def _canned(
        self, ticket: Ticket, decision: Decision, answer: str, checks: tuple[CheckResult, ...]
    ) -> Delivery:
        """The approved answer, unless a check on it failed (``pipeline.canned``): then a person decides,
        with it as the suggested reply, since the routing that chose it misread the message or the
        message asks more than it answers (a draft from the same reading would retrieve the same topic)."""
        failed = failures(checks)
        if not failed:
            return self._send(ticket, answer, reason=decision.rule_id)
        reason = "validation:" + ",".join(r.name for r in failed)
        tried = (
            f"routing: rule ({decision.rule_id})",
            *(f"{r.name} failed on the canned answer: {'; '.join(r.evidence)}" for r in failed),
        )
        return self._handoff(ticket, decision, Outcome.REVIEW, reason, tried, None, answer)

    def _send(
        self, ticket: Ticket, body: str, reason: str | None, outcome: Outcome = Outcome.SENT
    ) -> Delivery:
        if self._outbox is not None:
            self._outbox.send(ticket.id, ticket.conversation_id, ticket.message.channel, body)
        return Delivery(outcome, reason=reason, body=body)

    def _handoff(
        self,
        ticket: Ticket,
        decision: Decision,
        outcome: Outcome,
        reason: str,
        tried: tuple[str, ...],
        context: ContextPack | None,
        suggested: str | None,
    ) -> Delivery:
        handoff = Handoff(
            summary=_summary(ticket, decision),
            reason=reason,
            tried=tried,
            context_excerpt=context.rendered[:2000] if context else ticket.text[:2000],
            suggested_reply=suggested,
        )
        if self._outbox is not None:
            self._outbox.queue_review(ticket.id, reason, handoff)
        return Delivery(outcome, reason=reason, handoff=handoff, body=suggested)
