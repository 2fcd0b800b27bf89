"""A canned answer is checked before it is sent (``pipeline.canned``): relevance on the customer's own
words, tone and escalation, with no model call; a failure hands the ticket to a person with the approved
text as the suggested reply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from support import message_ticket as _ticket
from ticketflow.checks.escalation import EscalationConsistency
from ticketflow.checks.relevance import Relevance
from ticketflow.checks.tone import ToneBrand
from ticketflow.domain.decision import Route
from ticketflow.domain.outcome import Outcome
from ticketflow.domain.rules import CannedAnswer, RuleBook
from ticketflow.pipeline.context import ContextBuilder
from ticketflow.pipeline.delivery import Deliverer
from ticketflow.pipeline.generation import Generator
from ticketflow.pipeline.intake import Intake
from ticketflow.pipeline.routing import Router
from ticketflow.pipeline.runner import Pipeline
from ticketflow.pipeline.validation import Validator
from ticketflow.testing import FixedClassifier, ScriptedProvider, StaticCustomers, StaticKnowledge

ANSWER = "Refunds reach your account within 14 days of the return arriving."


def _pipeline(provider: ScriptedProvider, policy: dict[str, str] | None = None) -> Pipeline:
    rules = RuleBook(canned={"refund_timing": CannedAnswer("refund_timing", ANSWER)})
    checks = [ToneBrand(), EscalationConsistency(), Relevance(None)]
    return Pipeline(
        intake=Intake(),
        router=Router(rules, FixedClassifier("refund_timing", 0.95)),
        context=ContextBuilder(StaticKnowledge([]), StaticCustomers(), token_budget=500),
        generator=Generator(provider, "You are the assistant."),
        validator=Validator(checks, policy or {}),
        delivery=Deliverer(),
    )


def _recording(names: list[str]) -> Callable[..., Any]:
    def step(name: str, fn: Callable[..., Any], *args: Any) -> Any:
        names.append(name)
        return fn(*args)

    return step


def test_a_canned_answer_to_a_plain_question_is_checked_and_sent_without_a_model_call() -> None:
    provider = ScriptedProvider([])
    names: list[str] = []

    result = _pipeline(provider).process(_ticket("How long do refunds take?"), _recording(names))

    assert result.decision.route is Route.RULE
    assert names == ["intake", "routing", "validation", "delivery"]
    assert result.delivery.outcome is Outcome.SENT and result.delivery.body == ANSWER
    assert {c.name for c in result.checks} == {"tone", "escalation", "relevance"}
    assert provider.requests == []


def test_an_upset_customer_does_not_get_a_bare_faq_answer() -> None:
    provider = ScriptedProvider([])
    text = "This is ridiculous, I've waited a month. How long do refunds take?"

    result = _pipeline(provider).process(_ticket(text))

    assert result.delivery.outcome is Outcome.REVIEW
    assert result.delivery.reason == "validation:tone"
    assert result.delivery.handoff is not None and result.delivery.handoff.suggested_reply == ANSWER
    assert any("tone failed on the canned answer" in t for t in result.delivery.handoff.tried)
    assert provider.requests == [], "a failed canned answer is not redrafted by the model"


def test_a_check_the_policy_only_warns_about_does_not_hold_the_answer() -> None:
    text = "This is ridiculous, I've waited a month. How long do refunds take?"

    result = _pipeline(ScriptedProvider([]), policy={"tone": "warn"}).process(_ticket(text))

    assert result.delivery.outcome is Outcome.SENT
    assert [c.verdict.value for c in result.checks if c.name == "tone"] == ["warn"]


def test_a_message_that_asks_nothing_fails_relevance() -> None:
    # thanks or praise routed to an FAQ intent: the FAQ answer answers nothing that was asked
    result = _pipeline(ScriptedProvider([])).process(_ticket("Great, the refund arrived. Lovely service!"))

    assert result.delivery.outcome is Outcome.REVIEW
    assert "relevance" in (result.delivery.reason or "")
