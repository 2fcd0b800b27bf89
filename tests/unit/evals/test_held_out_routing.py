"""The demo's held-out routing figures, paired with the examples' labels by external id."""

from __future__ import annotations

from ticketflow.domain.decision import Decision, Route
from ticketflow.domain.ids import conversation_id_for, ticket_id_for
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket, Turn
from ticketflow.domain.outcome import Delivery, Outcome
from ticketflow.domain.records import EvalRecord
from ticketflow.domain.result import TicketResult
from ticketflow.evals.summary import held_out_routing


def _record(rid: str, intent: str, route: str) -> EvalRecord:
    return EvalRecord(rid, "chat", (Turn("customer", "text"),), {"intent": intent, "route": route})


def _result(rid: str, intent: str, route: Route, outcome: Outcome) -> TicketResult:
    message = InboundMessage("chat", rid, CustomerRef(email="a@example.com"), "text")
    ticket = Ticket(ticket_id_for("chat", rid), conversation_id_for("chat", rid), message)
    return TicketResult(ticket, Decision(route, intent, 0.9), Delivery(outcome))


def test_escalations_missed_and_intents_are_counted_against_the_labels() -> None:
    records = [
        _record("a", "refund", "escalate"),
        _record("b", "refund", "escalate"),
        _record("c", "track", "auto"),
        _record("d", "track", "auto"),
    ]
    results = [
        _result("a", "refund", Route.ESCALATE, Outcome.ESCALATED),
        _result("b", "track", Route.AUTO, Outcome.SENT),  # should have gone to a person
        _result("c", "track", Route.AUTO, Outcome.SENT),
        _result("d", "refund", Route.ESCALATE, Outcome.ESCALATED),  # a person got a ticket it need not have
    ]
    routed = held_out_routing(records, results)
    assert routed is not None
    assert routed["intent_accuracy"] == 0.5 and routed["labelled_intents"] == 4
    assert (routed["should_escalate"], routed["should_escalate_but_sent"]) == (2, 1)
    assert routed["escalation_recall"] == 0.5 and routed["escalation_precision"] == 0.5


def test_nothing_to_score_without_labels() -> None:
    records = [EvalRecord("a", "chat", (Turn("customer", "text"),))]
    assert held_out_routing(records, [_result("a", "x", Route.AUTO, Outcome.SENT)]) is None
