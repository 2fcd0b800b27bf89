"""The engine on Claude: chosen by the environment, ledgered to the cent, stopped by its daily budget."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.domain.outcome import Outcome
from ticketflow.settings import Settings
from ticketflow.testing.fake_anthropic import FakeAnthropic, ScriptedError, support_responder
from ticketflow.testing.server import LoopbackServer, serve
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels

SONNET_5_5 = {"input": 2.00, "output": 10.00, "write": 2.50, "read": 0.20}
QUESTIONS = [
    "How can I change the delivery address for an order I placed?",
    "Which payment methods do you accept?",
    "invoice shows my old address, can that be corrected?",
    "How do I track my parcel?",
]


@pytest.fixture
def fake() -> FakeAnthropic:
    return FakeAnthropic(responder=support_responder)


@pytest.fixture
def claude_env(fake: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServer]:
    with serve(fake.app) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        yield server


def _message(external_id: str, text: str) -> InboundMessage:
    return InboundMessage("chat", external_id, CustomerRef(email="x@example.com"), text)


def test_an_api_key_in_the_environment_selects_claude(claude_env: LoopbackServer, settings: Settings) -> None:
    assert settings.resolved_provider == "anthropic"
    explicit = settings.model_copy(update={"provider": "offline"})
    explicit.model_fields_set.add("provider")
    assert explicit.resolved_provider == "offline"


def test_a_scripted_run_ledgers_exactly_the_cost_of_the_returned_usage(
    claude_env: LoopbackServer, fake: FakeAnthropic, settings: Settings, store_models: TrainedModels
) -> None:
    fake.fail(ScriptedError.rate_limited(retry_after=0.01))
    engine = Engine.from_workspace(settings=settings, models=store_models)
    try:
        results = [engine.handle(_message(f"q-{i}", q)) for i, q in enumerate(QUESTIONS)]
        assert engine.store is not None
        ledger = [row for r in results for row in engine.store.ledger_for(r.ticket.id)]
    finally:
        engine.close()
    assert any(r.delivery.outcome is Outcome.SENT for r in results)
    assert len(ledger) == len(fake.message_requests) >= 2
    assert ledger[0]["stop_reason"] == "error:429:rate_limit_error" and ledger[0]["cost_usd"] == 0
    assert [row["request_id"] for row in ledger] == [r.request_id for r in fake.message_requests]
    by_hand = sum(
        (
            row["input_tokens"] * SONNET_5_5["input"]
            + row["output_tokens"] * SONNET_5_5["output"]
            + row["cache_creation_input_tokens"] * SONNET_5_5["write"]
            + row["cache_read_input_tokens"] * SONNET_5_5["read"]
        )
        / 1_000_000
        for row in ledger
    )
    assert by_hand > 0
    assert abs(sum(row["cost_usd"] for row in ledger) - by_hand) < 0.000001
    assert all(not row["projected"] and row["model"] == "claude-sonnet-5-5" for row in ledger)


def test_a_used_up_daily_budget_sends_tickets_to_humans_without_a_model_call(
    claude_env: LoopbackServer, fake: FakeAnthropic, settings: Settings, store_models: TrainedModels
) -> None:
    capped = settings.model_copy(
        update={"anthropic": settings.anthropic.model_copy(update={"daily_budget_usd": 0.0})}
    )
    engine = Engine.from_workspace(settings=capped, models=store_models)
    try:
        result = engine.handle(_message("b-1", QUESTIONS[0]))
    finally:
        engine.close()
    assert result.delivery.outcome is Outcome.ESCALATED and result.delivery.reason == "budget"
    assert fake.message_requests == []


def test_the_pipeline_runs_through_the_sdk_and_caches_the_prefix(
    claude_env: LoopbackServer, settings: Settings, store_models: TrainedModels
) -> None:
    engine = Engine.from_workspace(settings=settings, models=store_models)
    try:
        result = engine.handle(_message("f-1", QUESTIONS[0]))
        second = engine.handle(_message("f-2", QUESTIONS[0]))
        note = engine.cache_note()
    finally:
        engine.close()
    assert result.delivery.outcome is Outcome.SENT
    [call] = result.model_calls
    assert call.request_id is not None and call.request_id.startswith("req_fake") and call.cost_usd > 0
    # the sample store's prefix (rules, voice and the whole policy set) is long enough to be cached:
    # the first call writes it, the next one reads it
    assert note is not None and note.endswith(": cached")
    assert call.cache_creation_input_tokens > 1024
    [again] = second.model_calls
    assert again.cache_read_input_tokens == call.cache_creation_input_tokens
