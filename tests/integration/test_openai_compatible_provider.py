"""The local-server provider against a fake OpenAI-compatible server on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from provider_contract import KNOWN_ANSWER, ProviderContract, contract_request, scripted_answer
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.domain.outcome import Outcome
from ticketflow.pipeline.generation.prompt import REPLY_SCHEMA
from ticketflow.providers.openai_compatible import OpenAICompatibleProvider
from ticketflow.settings import Settings
from ticketflow.testing.fake_anthropic import support_responder
from ticketflow.testing.fake_openai import FakeOpenAI
from ticketflow.testing.server import LoopbackServer, serve
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels

MODEL = "llama3.1:8b"


@pytest.fixture
def fake() -> FakeOpenAI:
    return FakeOpenAI(responder=scripted_answer, models=frozenset({MODEL}))


@pytest.fixture
def server(fake: FakeOpenAI) -> Iterator[LoopbackServer]:
    with serve(fake.app) as running:
        yield running


@pytest.fixture
def provider_for(server: LoopbackServer) -> Iterator[Callable[..., OpenAICompatibleProvider]]:
    built: list[OpenAICompatibleProvider] = []

    def build(**options: Any) -> OpenAICompatibleProvider:
        options.setdefault("model", MODEL)
        options.setdefault("base_url", f"{server.url}/v1")
        built.append(OpenAICompatibleProvider(schema=REPLY_SCHEMA, **options))
        return built[-1]

    yield build
    for provider in built:
        provider.close()


class TestOpenAICompatibleContract(ProviderContract):
    @pytest.fixture
    def provider(self, provider_for: Callable[..., OpenAICompatibleProvider]) -> OpenAICompatibleProvider:
        return provider_for()


def test_the_request_asks_for_the_reply_schema_strictly(
    provider_for: Callable[..., OpenAICompatibleProvider], fake: FakeOpenAI
) -> None:
    provider_for(api_key="local-key").generate(contract_request())
    [body] = fake.requests
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "reply", "schema": REPLY_SCHEMA, "strict": True},
    }
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["model"] == MODEL and body["max_tokens"] == 400


def test_tokens_come_from_the_response_and_cost_nothing_unless_priced(
    provider_for: Callable[..., OpenAICompatibleProvider],
) -> None:
    free = provider_for().generate(contract_request()).usage[0]
    assert free.cost_usd == 0.0 and free.request_id is not None
    assert free.request_id.startswith("chatcmpl-")
    priced = provider_for(input_usd_per_million=0.5, output_usd_per_million=1.5).generate(contract_request())
    usage = priced.usage[0]
    by_hand = (usage.input_tokens * 0.5 + usage.output_tokens * 1.5) / 1e6
    assert usage.cost_usd == pytest.approx(by_hand, abs=1e-9) and usage.cost_usd > 0


def test_invalid_output_is_retried_once_then_accepted(
    provider_for: Callable[..., OpenAICompatibleProvider], fake: FakeOpenAI
) -> None:
    answers = iter(["{not json", dict(KNOWN_ANSWER)])
    fake.responder = lambda body: next(answers)
    draft = provider_for().generate(contract_request())
    assert draft.action == "reply" and len(fake.requests) == 2
    assert [u.attempt for u in draft.usage] == [1, 2]


def test_output_breaking_the_schema_twice_is_handed_off_never_sent(
    provider_for: Callable[..., OpenAICompatibleProvider], fake: FakeOpenAI
) -> None:
    fake.responder = lambda body: {**KNOWN_ANSWER, "action": "send_anyway"}
    draft = provider_for().generate(contract_request())
    assert (draft.action, draft.escalation_reason, draft.reply) == ("escalate", "invalid_output", "")
    assert len(draft.usage) == 2 == len(fake.requests)


def test_a_truncated_reply_is_invalid_output(
    provider_for: Callable[..., OpenAICompatibleProvider], fake: FakeOpenAI
) -> None:
    fake.responder = lambda body: {**KNOWN_ANSWER, "reply": "word " * 2000}
    draft = provider_for().generate(contract_request())
    assert draft.escalation_reason == "invalid_output"
    assert [u.stop_reason for u in draft.usage] == ["length", "length"]


def test_a_server_error_hands_off_with_the_attempt_ledgered(
    provider_for: Callable[..., OpenAICompatibleProvider], fake: FakeOpenAI
) -> None:
    fake.fail((500, "model runner crashed"))
    draft = provider_for().generate(contract_request())
    assert (draft.action, draft.escalation_reason) == ("escalate", "provider_unavailable")
    assert [u.stop_reason for u in draft.usage] == ["error:500"]


def test_an_unreachable_server_hands_off() -> None:
    provider = OpenAICompatibleProvider(
        base_url="http://127.0.0.1:9/v1", model=MODEL, schema=REPLY_SCHEMA, timeout_s=2.0
    )
    try:
        draft = provider.generate(contract_request())
    finally:
        provider.close()
    assert draft.escalation_reason == "provider_unavailable"
    assert draft.usage[0].stop_reason == "error:0:ConnectError"


def test_the_engine_drafts_through_a_local_server_chosen_in_settings(
    server: LoopbackServer, fake: FakeOpenAI, settings: Settings, store_models: TrainedModels
) -> None:
    local = settings.model_copy(
        update={
            "provider": "openai-compatible",
            "openai_compatible": settings.openai_compatible.model_copy(
                update={"base_url": f"{server.url}/v1", "model": MODEL}
            ),
        }
    )
    fake.responder = support_responder
    engine = Engine.from_workspace(settings=local, models=store_models)
    try:
        message = InboundMessage(
            "chat",
            "local-1",
            CustomerRef(email="x@example.com"),
            "How can I change the delivery address for an order I placed?",
        )
        result = engine.handle(message)
        assert engine.store is not None
        ledger = engine.store.ledger_for(result.ticket.id)
    finally:
        engine.close()
    assert fake.requests, "the engine did not call the local server"
    assert result.delivery.outcome is Outcome.SENT
    assert [row["model"] for row in ledger] == [MODEL] * len(fake.requests)
    assert all(row["cost_usd"] == 0 and not row["projected"] for row in ledger)
