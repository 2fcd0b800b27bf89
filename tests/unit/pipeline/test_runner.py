"""Tests for ticketflow.pipeline.runner.Pipeline.process: stages in order, one regeneration on failure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from support import message_ticket as _ticket
from ticketflow.checks.grounding import GroundedFigures
from ticketflow.domain.context import Passage
from ticketflow.domain.decision import Route
from ticketflow.domain.draft import Draft, Usage
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

FACT = "Refunds are paid within 14 days of the return reaching us."
REFUNDS = "How long do refunds take?"


def _provider(*replies: str) -> ScriptedProvider:
    """The model: call n gets the n-th reply, with one ledger row of n x 100 input tokens."""
    return ScriptedProvider(
        Draft(reply, usage=(Usage("claude-sonnet-5-5", 100 * n, 20, 0.001 * n, attempt=n),))
        for n, reply in enumerate(replies, 1)
    )


def _pipeline(
    provider: ScriptedProvider, rules: RuleBook | None = None, intent: str = "refund_timing"
) -> Pipeline:
    knowledge = StaticKnowledge([Passage("kb-refunds", "Refunds", FACT, 4.0)])
    return Pipeline(
        intake=Intake(),
        router=Router(rules or RuleBook(), FixedClassifier(intent, 0.9)),
        context=ContextBuilder(knowledge, StaticCustomers(), token_budget=500),
        generator=Generator(provider, "You are the assistant."),
        validator=Validator([GroundedFigures()]),
        delivery=Deliverer(),
    )


def _recording_step(names: list[str]) -> Callable[..., Any]:
    def step(name: str, fn: Callable[..., Any], *args: Any) -> Any:
        names.append(name)
        return fn(*args)

    return step


def test_ungrounded_first_draft_is_regenerated_once_and_the_clean_one_is_sent() -> None:
    provider = _provider("Refunds take 37 days.", "Refunds are paid within 14 days.")
    names: list[str] = []

    result = _pipeline(provider).process(_ticket(REFUNDS), _recording_step(names))

    assert names == [
        "intake",
        "routing",
        "context",
        "generation",
        "validation",
        "generation",
        "validation",
        "delivery",
    ]
    assert result.delivery.outcome is Outcome.SENT
    assert result.delivery.body == "Refunds are paid within 14 days."
    assert result.draft is not None
    assert result.draft.attempt == 2
    assert [u.attempt for u in result.draft.usage] == [1, 2]
    assert [u.input_tokens for u in result.model_calls] == [100, 200]
    assert all(not c.failed for c in result.checks)


def test_regeneration_is_told_what_failed() -> None:
    provider = _provider("Refunds take 37 days.", "Refunds are paid within 14 days.")

    _pipeline(provider).process(_ticket(REFUNDS))

    first, second = provider.requests
    assert (first.attempt, first.feedback) == (1, ())
    assert second.attempt == 2
    assert second.feedback == ("grounding: 37",)
    assert "YOUR PREVIOUS DRAFT FAILED THESE CHECKS" in second.prompt
    assert "- grounding: 37" in second.prompt


def test_second_failure_goes_to_review_without_a_third_attempt() -> None:
    provider = _provider("Refunds take 37 days.", "Refunds take 40 days.", "never used")
    names: list[str] = []

    result = _pipeline(provider).process(_ticket(REFUNDS), _recording_step(names))

    assert names.count("generation") == 2
    assert len(provider.requests) == 2
    assert result.delivery.outcome is Outcome.REVIEW
    assert result.delivery.handoff is not None
    assert result.delivery.handoff.suggested_reply == "Refunds take 40 days."
    assert result.delivery.reason == "validation:grounding"


def test_no_regeneration_when_it_is_switched_off() -> None:
    provider = _provider("Refunds take 37 days.", "never used")
    pipeline = _pipeline(provider)
    pipeline.regenerate = False

    result = pipeline.process(_ticket(REFUNDS))

    assert len(provider.requests) == 1
    assert result.delivery.outcome is Outcome.REVIEW


def test_canned_rule_skips_context_generation_and_validation() -> None:
    provider = _provider()
    rules = RuleBook(canned={"refund_timing": CannedAnswer("refund_timing", "Within 14 days.")})
    names: list[str] = []

    result = _pipeline(provider, rules).process(_ticket(REFUNDS), _recording_step(names))

    assert names == ["intake", "routing", "delivery"]
    assert result.decision.route is Route.RULE
    assert result.delivery.body == "Within 14 days."
    assert result.draft is None
    assert provider.requests == []


def test_hooks_see_the_decision_and_the_result() -> None:
    provider = _provider("Refunds are paid within 14 days.")
    pipeline = _pipeline(provider)
    routed: list[Route] = []
    delivered: list[Outcome] = []
    pipeline.hooks.on_routed.append(lambda ticket, decision: routed.append(decision.route))
    pipeline.hooks.on_delivered.append(lambda result: delivered.append(result.delivery.outcome))

    result = pipeline.process(_ticket(REFUNDS))

    assert routed == [Route.AUTO]
    assert delivered == [Outcome.SENT]
    assert [name for name, _ in result.timings_ms] == [
        "intake",
        "routing",
        "context",
        "generation",
        "validation",
        "delivery",
    ]


def test_a_stored_ticket_runs_in_steps_that_each_end_with_at_most_one_effect() -> None:
    provider = _provider("Refunds take 37 days.", "Refunds are paid within 14 days.")
    names: list[str] = []
    recorded: list[tuple[str, Outcome]] = []

    def step(name: str, fn: Callable[..., Any], *args: Any) -> Any:
        names.append(name)
        return fn(*args)

    def record(result: Any) -> None:
        recorded.append((names[-1], result.delivery.outcome))

    result = _pipeline(provider).process_stored(lambda: _ticket(REFUNDS), record, step)

    assert names == ["triage", "generation", "validation", "generation", "validation", "delivery"]
    assert recorded == [("delivery", Outcome.SENT)], "recorded once, inside the delivery step"
    assert [name for name, _ in result.timings_ms] == [
        "intake",
        "routing",
        "context",
        "generation",
        "validation",
        "delivery",
    ]
    alone = _pipeline(_provider("Refunds take 37 days.", "Refunds are paid within 14 days.")).process(
        _ticket(REFUNDS)
    )
    assert (result.decision, result.draft, result.checks, result.delivery) == (
        alone.decision,
        alone.draft,
        alone.checks,
        alone.delivery,
    ), "grouping the steps changes no result"
