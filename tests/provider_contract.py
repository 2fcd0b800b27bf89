"""``ProviderContract``: the behaviour every generation provider shares, inherited by each provider's tests.

A subclass supplies a ``provider`` fixture whose model answers a question it has knowledge for, and escalates
(``no_answer``) one it has none for. The contract then checks what the pipeline relies on, whatever the
provider: a structured draft, an escalation as an action with a reason and no text, and a ledger row for every
call (model, attempt, purpose, a cost that is never negative).
"""

from __future__ import annotations

import json
from typing import Any

from ticketflow.domain.context import ContextPack, Passage
from ticketflow.domain.customer import Customer
from ticketflow.domain.decision import Decision, Route
from ticketflow.domain.ids import conversation_id_for, ticket_id_for
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket
from ticketflow.ports.provider import GenerationRequest, Provider

SYSTEM = "You are the support assistant of Northwind Goods."
EXPRESS = "Express delivery arrives in 1-2 business days and costs 12.95 EUR."
SHIPPING = Passage("kb-ship", "Shipping", f"{EXPRESS}\nStandard delivery takes 3-5 business days.", 3.0)
KNOWN_ANSWER = {
    "reply": f"Hi Ada, {EXPRESS}",
    "action": "reply",
    "escalation_reason": None,
    "cited_sources": ["kb-ship"],
    "confidence": 0.9,
}
NO_ANSWER = {
    "reply": "",
    "action": "escalate",
    "escalation_reason": "no_answer",
    "cited_sources": [],
    "confidence": 0.2,
}


def scripted_answer(body: dict[str, Any]) -> dict[str, Any]:
    """For fake servers: answer when the prompt carries knowledge, escalate when it does not."""
    return dict(KNOWN_ANSWER) if "KNOWLEDGE:" in json.dumps(body) else dict(NO_ANSWER)


def contract_request(answerable: bool = True, attempt: int = 1) -> GenerationRequest:
    question = "How long does express delivery take?" if answerable else "Can you knit me a scarf?"
    ticket = Ticket(
        ticket_id_for("api", "contract-1"),
        conversation_id_for("api", "contract-1"),
        InboundMessage("api", "contract-1", CustomerRef(email="ada@example.com"), question),
    )
    passages = (SHIPPING,) if answerable else ()
    rendered = f"KNOWLEDGE:\n[kb-ship] {SHIPPING.text}\n\n" if answerable else ""
    context = ContextPack(
        Customer("C1", "Ada Quill", "ada@example.com"),
        (),
        passages,
        (),
        rendered=f"{rendered}CUSTOMER MESSAGE:\n{question}",
        tokens=40,
    )
    decision = Decision(Route.AUTO, intent="delivery_options", confidence=0.9)
    return GenerationRequest(SYSTEM, context.rendered, ticket, decision, context, attempt=attempt)


class ProviderContract:
    """Inherit and define a ``provider`` fixture (a ``Provider`` as described in the module docstring)."""

    def test_an_answerable_question_gets_a_structured_reply(self, provider: Provider) -> None:
        draft = provider.generate(contract_request())
        assert draft.action == "reply"
        assert "12.95 EUR" in draft.reply
        assert draft.escalation_reason is None
        assert draft.cited_sources == ("kb-ship",)
        assert 0.0 < draft.confidence <= 1.0

    def test_every_call_is_a_ledger_row_with_model_attempt_and_cost(self, provider: Provider) -> None:
        draft = provider.generate(contract_request())
        assert draft.usage, "a model call with no ledger row"
        assert [u.attempt for u in draft.usage] == list(range(1, len(draft.usage) + 1))
        for usage in draft.usage:
            assert usage.model and usage.purpose == "generation"
            assert usage.input_tokens > 0 and usage.output_tokens > 0
            assert usage.cost_usd >= 0.0

    def test_an_unanswerable_question_is_an_escalation_with_a_reason_and_no_text(
        self, provider: Provider
    ) -> None:
        draft = provider.generate(contract_request(answerable=False))
        assert draft.action == "escalate"
        assert draft.escalation_reason == "no_answer"
        assert draft.reply == ""
        assert draft.usage

    def test_the_draft_keeps_the_request_attempt(self, provider: Provider) -> None:
        assert provider.generate(contract_request(attempt=2)).attempt == 2
