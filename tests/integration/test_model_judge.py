"""The model judge on Claude through the real SDK and the fake server: off by default, asked when a
deterministic check warns, every call ledgered with purpose ``judge`` at the validation model's price."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.domain.outcome import Outcome
from ticketflow.settings import Settings
from ticketflow.testing.fake_anthropic import FakeAnthropic, Reply
from ticketflow.testing.server import LoopbackServer, serve
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels

QUESTION = "How can I change the delivery address for an order I placed?"
VAGUE = {  # polite, but shares no content word with the question: the length check can only warn
    "reply": "Hello! Thanks so much for reaching out to us. We are glad to help you with this.",
    "action": "reply",
    "escalation_reason": None,
    "cited_sources": [],
    "confidence": 0.7,
}
HAIKU_5_5 = (0.10, 0.50)


def responder(verdict: dict[str, Any]) -> Any:
    def answer(body: dict[str, Any]) -> Reply | dict[str, Any]:
        schema = body["output_config"]["format"]["schema"]
        return dict(verdict) if "tone_ok" in schema["properties"] else dict(VAGUE)

    return answer


@pytest.fixture
def fake() -> FakeAnthropic:
    return FakeAnthropic(responder=responder({"tone_ok": True, "coherent": False, "problems": ["off topic"]}))


@pytest.fixture
def claude_env(fake: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServer]:
    with serve(fake.app) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        yield server


def _handle(settings: Settings, models: TrainedModels, judge: bool) -> tuple[Any, list[dict[str, Any]]]:
    configured = settings.model_copy(update={"judge": settings.judge.model_copy(update={"enabled": judge})})
    engine = Engine.from_workspace(settings=configured, models=models)
    try:
        result = engine.handle(InboundMessage("chat", "j-1", CustomerRef(email="x@example.com"), QUESTION))
        assert engine.store is not None
        return result, engine.store.ledger_for(result.ticket.id)
    finally:
        engine.close()


def test_the_judge_is_off_by_default(
    claude_env: LoopbackServer, fake: FakeAnthropic, settings: Settings, store_models: TrainedModels
) -> None:
    assert settings.judge.enabled is False
    result, ledger = _handle(settings, store_models, judge=False)
    assert {row["purpose"] for row in ledger} == {"generation"}
    assert "judge" not in {c.name for c in result.checks}


def test_an_inconclusive_draft_is_judged_and_every_judge_call_is_ledgered(
    claude_env: LoopbackServer, fake: FakeAnthropic, settings: Settings, store_models: TrainedModels
) -> None:
    result, ledger = _handle(settings, store_models, judge=True)

    judged = [row for row in ledger if row["purpose"] == "judge"]
    assert judged, "the judge was not asked about a draft the length check only warned about"
    assert len(ledger) == len(fake.message_requests)
    assert {row["model"] for row in judged} == {"claude-haiku-5-5"}
    for row in judged:
        by_hand = (row["input_tokens"] * HAIKU_5_5[0] + row["output_tokens"] * HAIKU_5_5[1]) / 1e6
        assert row["cost_usd"] > 0 and abs(row["cost_usd"] - by_hand) < 0.000001
    [judge] = [c for c in result.checks if c.name == "judge"]
    assert judge.failed and "off topic" in judge.evidence
    assert result.delivery.outcome is not Outcome.SENT, "a draft the judge failed was sent"


def test_a_draft_the_judge_passes_is_sent(
    claude_env: LoopbackServer, fake: FakeAnthropic, settings: Settings, store_models: TrainedModels
) -> None:
    fake.responder = responder({"tone_ok": True, "coherent": True, "problems": []})
    result, ledger = _handle(settings, store_models, judge=True)
    assert [row["purpose"] for row in ledger] == ["generation", "judge"]
    assert result.delivery.outcome is Outcome.SENT
