"""Tests for ticketflow.pipeline.delivery.Deliverer: send what passed, hand off the rest, never both."""

from __future__ import annotations

from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.domain.context import ContextPack
from ticketflow.domain.decision import Decision, Route, Trigger
from ticketflow.domain.draft import Draft
from ticketflow.domain.ids import conversation_id_for, ticket_id_for
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket
from ticketflow.domain.outcome import Outcome
from ticketflow.pipeline.delivery import Deliverer
from ticketflow.testing.store import MemoryStore, QueuedReview, SentReply

TICKET = Ticket(
    ticket_id_for("email", "m-1"),
    conversation_id_for("email", "thread-1"),
    InboundMessage(
        "email", "m-1", CustomerRef(email="ada@example.com"), "I want a refund for my lamp\nThanks"
    ),
)
CONTEXT = ContextPack(None, (), (), (), rendered="KNOWLEDGE:\nRefunds take 5 days.", tokens=9)
AUTO = Decision(Route.AUTO, intent="delivery_options", confidence=0.81)
PASS = CheckResult("length", Verdict.PASS)


def test_canned_rule_is_sent_without_review() -> None:
    store = MemoryStore()
    decision = Decision(
        Route.RULE,
        intent="track_order",
        confidence=0.9,
        rule_id="canned:track_order",
        canned_answer="See Orders.",
    )

    delivery = Deliverer(store).run(TICKET, decision, None, None, ())

    assert delivery.outcome is Outcome.SENT
    assert delivery.body == "See Orders."
    assert delivery.reason == "canned:track_order"
    assert list(store.outbox.sent.values()) == [
        SentReply(TICKET.id, TICKET.conversation_id, "email", "See Orders.")
    ]
    assert store.reviews.queued == {}


def test_routing_escalation_is_handed_off_with_reason_triggers_and_summary() -> None:
    store = MemoryStore()
    decision = Decision(
        Route.ESCALATE,
        intent="get_refund",
        confidence=0.93,
        reasons=("refund",),
        triggers=(Trigger("intent:get_refund", "refund", "get_refund (0.93)"),),
    )

    delivery = Deliverer(store).run(TICKET, decision, None, None, ())

    assert delivery.outcome is Outcome.ESCALATED
    assert delivery.reason == "refund"
    assert delivery.body is None
    handoff = delivery.handoff
    assert handoff is not None
    assert handoff.summary == "get_refund (0.93) via email: I want a refund for my lamp"
    assert handoff.tried == ("intent:get_refund: get_refund (0.93)",)
    assert handoff.context_excerpt == TICKET.text
    assert handoff.suggested_reply is None
    assert store.outbox.sent == {}
    assert list(store.reviews.queued.values()) == [QueuedReview(TICKET.id, "refund", handoff)]


def test_draft_that_failed_checks_goes_to_review_with_the_suggested_reply() -> None:
    store = MemoryStore()
    draft = Draft("Refunds take 37 days.", attempt=2)
    checks = (
        PASS,
        CheckResult("grounding", Verdict.FAIL, ("37",)),
        CheckResult("pii", Verdict.FAIL, ("EMAIL: x",)),
    )

    delivery = Deliverer(store).run(TICKET, AUTO, CONTEXT, draft, checks)

    assert delivery.outcome is Outcome.REVIEW
    assert delivery.reason == "validation:grounding,pii"
    assert delivery.handoff is not None
    assert delivery.handoff.suggested_reply == "Refunds take 37 days."
    assert delivery.handoff.tried == (
        "routing: auto",
        "generation: 2 attempt(s)",
        "grounding failed: 37",
        "pii failed: EMAIL: x",
    )
    assert delivery.handoff.context_excerpt == CONTEXT.rendered
    assert store.outbox.sent == {}
    assert [(q.ticket_id, q.reason) for q in store.reviews.queued.values()] == [
        (TICKET.id, "validation:grounding,pii")
    ]


def test_draft_that_passed_is_sent() -> None:
    store = MemoryStore()
    checks = (PASS, CheckResult("tone", Verdict.WARN, ("a bit stiff",)))

    delivery = Deliverer(store).run(TICKET, AUTO, CONTEXT, Draft("Refunds take 5 days."), checks)

    assert delivery.outcome is Outcome.SENT
    assert delivery.body == "Refunds take 5 days."
    assert delivery.handoff is None
    assert list(store.outbox.sent.values()) == [
        SentReply(TICKET.id, TICKET.conversation_id, "email", "Refunds take 5 days.")
    ]
    assert store.reviews.queued == {}


def test_model_escalation_is_handed_off_even_if_checks_passed() -> None:
    store = MemoryStore()
    draft = Draft("", action="escalate", escalation_reason="no_answer")

    delivery = Deliverer(store).run(TICKET, AUTO, CONTEXT, draft, (PASS,))

    assert delivery.outcome is Outcome.ESCALATED
    assert delivery.reason == "no_answer"
    assert delivery.handoff is not None
    assert delivery.handoff.tried == ("routing: auto", "generation: the model escalated (no_answer)")
    assert store.outbox.sent == {}
    assert [q.reason for q in store.reviews.queued.values()] == ["no_answer"]


def test_model_escalation_without_reason_is_labelled() -> None:
    delivery = Deliverer().run(TICKET, AUTO, CONTEXT, Draft("", action="escalate"), ())

    assert delivery.outcome is Outcome.ESCALATED
    assert delivery.reason == "model_escalated"


def test_auto_route_without_a_draft_is_never_sent() -> None:
    store = MemoryStore()

    delivery = Deliverer(store).run(TICKET, AUTO, CONTEXT, None, ())

    assert delivery.outcome is Outcome.ESCALATED
    assert delivery.reason == "unrouted"
    assert store.outbox.sent == {}


def test_a_decline_sends_its_configured_reply_as_declined() -> None:
    decision = Decision(
        Route.DECLINE, "out_of_scope", 0.9, rule_id="decline:out_of_scope", canned_answer="We can't help."
    )
    message = InboundMessage("api", "m-9", CustomerRef(email="ada@example.com"), "weather?")
    ticket = Ticket(ticket_id_for("api", "m-9"), conversation_id_for("api", "m-9"), message)
    delivered = Deliverer().run(ticket, decision, None, None, ())
    assert delivered.outcome is Outcome.DECLINED and delivered.body == "We can't help."
    assert delivered.reason == "decline:out_of_scope"
