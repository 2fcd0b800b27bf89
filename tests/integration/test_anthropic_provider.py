"""The Claude provider through the real ``anthropic`` SDK against the fake server on loopback."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from provider_contract import ProviderContract, scripted_answer
from ticketflow.domain.context import ContextPack
from ticketflow.domain.decision import Decision, Route
from ticketflow.domain.ids import ConversationId, TicketId
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket
from ticketflow.errors import ConfigError
from ticketflow.pipeline.generation.prompt import REPLY_SCHEMA
from ticketflow.ports.provider import GenerationRequest
from ticketflow.providers.anthropic import AnthropicProvider
from ticketflow.providers.budget import DailyBudget
from ticketflow.testing.fake_anthropic import FakeAnthropic, Reply, ScriptedError
from ticketflow.testing.server import LoopbackServer, serve

MODEL = "claude-sonnet-5-5"
LONG_SYSTEM = "You are the support assistant. " * 200  # 6,200 characters: about 1,550 tokens
GOOD = {
    "reply": "Hi Ana, your order NW-1 ships tomorrow.",
    "action": "reply",
    "escalation_reason": None,
    "cited_sources": ["shipping"],
    "confidence": 0.9,
}


@pytest.fixture
def fake() -> FakeAnthropic:
    return FakeAnthropic(responder=lambda body: dict(GOOD))


@pytest.fixture
def server(fake: FakeAnthropic) -> Iterator[LoopbackServer]:
    with serve(fake.app) as running:
        yield running


@pytest.fixture
def provider_for(server: LoopbackServer) -> Iterator[Callable[..., AnthropicProvider]]:
    """Builds providers against the fake and closes their connection pools afterwards."""
    built: list[AnthropicProvider] = []

    def build(**options: Any) -> AnthropicProvider:
        options.setdefault("model", MODEL)
        options.setdefault("api_key", "sk-test")
        options.setdefault("base_url", server.url)
        built.append(AnthropicProvider(schema=REPLY_SCHEMA, **options))
        return built[-1]

    yield build
    for provider in built:
        provider.close()


def request(system: str = "You are the support assistant.", attempt: int = 1) -> GenerationRequest:
    message = InboundMessage("chat", "m-1", CustomerRef(email="ana@example.com"), "Where is NW-1?")
    ticket = Ticket(TicketId("t_1"), ConversationId("c_1"), message)
    context = ContextPack(None, (), (), (), "CUSTOMER MESSAGE:\nWhere is NW-1?", 10)
    return GenerationRequest(
        system=system,
        prompt=context.rendered,
        ticket=ticket,
        decision=Decision(Route.AUTO, "track_order", 0.9),
        context=context,
        attempt=attempt,
    )


def test_a_structured_reply_becomes_a_draft_with_its_usage_and_exact_cost(
    provider_for: Callable[..., AnthropicProvider], server: LoopbackServer, fake: FakeAnthropic
) -> None:
    draft = provider_for().generate(request())
    assert (draft.reply, draft.action, draft.cited_sources, draft.confidence) == (
        GOOD["reply"],
        "reply",
        ("shipping",),
        0.9,
    )
    [usage] = draft.usage
    sent = fake.message_requests[0]
    assert usage.request_id == sent.request_id
    assert usage.model == MODEL and usage.stop_reason == "end_turn" and usage.attempt == 1
    assert not usage.projected
    by_hand = (usage.input_tokens * 2.00 + usage.output_tokens * 10.00) / 1e6
    assert usage.cost_usd == pytest.approx(by_hand, abs=1e-9)


def test_the_request_uses_structured_outputs_a_cached_system_block_and_no_sampling(
    provider_for: Callable[..., AnthropicProvider], server: LoopbackServer, fake: FakeAnthropic
) -> None:
    provider_for().generate(request())
    body = fake.message_requests[0].body
    assert body["output_config"] == {"format": {"type": "json_schema", "schema": REPLY_SCHEMA}}
    assert body["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "5m"}
    assert not {"temperature", "top_p", "top_k", "tools", "tool_choice"} & set(body)


def test_a_long_enough_prefix_is_cached_and_read_on_the_next_ticket(
    provider_for: Callable[..., AnthropicProvider], server: LoopbackServer
) -> None:
    provider = provider_for()
    assert provider.cache_status(LONG_SYSTEM).cacheable
    first = provider.generate(request(LONG_SYSTEM)).usage[0]
    second = provider.generate(request(LONG_SYSTEM)).usage[0]
    assert first.cache_creation_input_tokens > 1024 and first.cache_read_input_tokens == 0
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens
    assert second.cost_usd < first.cost_usd
    by_hand = (
        second.input_tokens * 2.00 + second.cache_read_input_tokens * 0.20 + second.output_tokens * 10.00
    ) / 1e6
    assert second.cost_usd == pytest.approx(by_hand, abs=1e-9)


def test_a_short_prefix_is_reported_as_not_cacheable(
    provider_for: Callable[..., AnthropicProvider], server: LoopbackServer
) -> None:
    provider = provider_for()
    status = provider.cache_status("Be nice.")
    assert not status.cacheable
    assert "too short to be cached" in status.describe(MODEL)
    assert provider.generate(request("Be nice.")).usage[0].cache_read_input_tokens == 0


def test_invalid_output_is_retried_once_then_accepted(
    provider_for: Callable[..., AnthropicProvider], server: LoopbackServer, fake: FakeAnthropic
) -> None:
    replies = iter([Reply(text="{not json"), Reply(value=GOOD)])
    fake.responder = lambda body: next(replies)
    draft = provider_for().generate(request())
    assert draft.action == "reply" and draft.reply == GOOD["reply"]
    assert [u.attempt for u in draft.usage] == [1, 2]
    assert len(fake.message_requests) == 2


def test_output_breaking_the_schema_twice_is_handed_off_never_sent(
    provider_for: Callable[..., AnthropicProvider], server: LoopbackServer, fake: FakeAnthropic
) -> None:
    fake.responder = lambda body: {**GOOD, "action": "send_anyway"}
    draft = provider_for().generate(request())
    assert draft.action == "escalate" and draft.escalation_reason == "invalid_output"
    assert draft.reply == ""
    assert len(draft.usage) == 2 and all(u.cost_usd > 0 for u in draft.usage)


def test_a_429_is_retried_by_the_sdk_and_both_attempts_are_ledgered(
    provider_for: Callable[..., AnthropicProvider], server: LoopbackServer, fake: FakeAnthropic
) -> None:
    fake.fail(ScriptedError.rate_limited(retry_after=0.01), ScriptedError.overloaded())
    draft = provider_for(max_retries=2).generate(request())
    assert draft.action == "reply"
    assert [r.status for r in fake.message_requests] == [429, 529, 200]
    assert [u.stop_reason for u in draft.usage] == [
        "error:429:rate_limit_error",
        "error:529:overloaded_error",
        "end_turn",
    ]
    assert [u.request_id for u in draft.usage] == [r.request_id for r in fake.message_requests]
    assert [u.cost_usd for u in draft.usage][:2] == [0.0, 0.0]


def test_a_spend_limit_is_not_retried_alerts_and_hands_off(
    provider_for: Callable[..., AnthropicProvider],
    server: LoopbackServer,
    fake: FakeAnthropic,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.fail(ScriptedError.spend_limit())
    with caplog.at_level(logging.ERROR, logger="ticketflow"):
        draft = provider_for(max_retries=2).generate(request())
    assert len(fake.message_requests) == 1
    assert draft.action == "escalate" and draft.escalation_reason == "spend_limit"
    assert draft.usage[0].stop_reason == "error:429:rate_limit_error"
    assert any("spend limit" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)


def test_a_provider_outage_hands_the_ticket_off_with_every_attempt_ledgered(
    provider_for: Callable[..., AnthropicProvider], server: LoopbackServer, fake: FakeAnthropic
) -> None:
    fake.fail(*[ScriptedError.server_error()] * 2)
    draft = provider_for(max_retries=1).generate(request())
    assert draft.action == "escalate" and draft.escalation_reason == "provider_unavailable"
    assert len(draft.usage) == 2 == len(fake.message_requests)


def test_an_unknown_model_names_the_setting_to_change(
    provider_for: Callable[..., AnthropicProvider], server: LoopbackServer
) -> None:
    with pytest.raises(ConfigError, match=r"models\.generation"):
        provider_for(model="claude-3-opus-20240229").generate(request())


def test_the_key_and_base_url_come_from_the_sdk_environment_variables(
    provider_for: Callable[..., AnthropicProvider],
    server: LoopbackServer,
    fake: FakeAnthropic,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-from-env")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    provider_for(api_key=None, base_url=None).generate(request())
    assert fake.message_requests[0].headers["authorization"] == "Bearer sk-from-env"


def test_a_used_up_daily_budget_hands_off_without_a_model_call(
    provider_for: Callable[..., AnthropicProvider], server: LoopbackServer, fake: FakeAnthropic
) -> None:
    guarded = DailyBudget(provider_for(), 1.00, spent_today=lambda: 1.00)
    draft = guarded.generate(request())
    assert draft.action == "escalate" and draft.escalation_reason == "budget"
    assert fake.message_requests == []
    open_budget = DailyBudget(provider_for(), 1.00, spent_today=lambda: 0.99)
    assert open_budget.generate(request()).action == "reply"


def test_a_deprecated_model_still_works_with_its_own_price(
    provider_for: Callable[..., AnthropicProvider], server: LoopbackServer
) -> None:
    usage = provider_for(model="claude-sonnet-4-5").generate(request()).usage[0]
    assert usage.model == "claude-sonnet-4-5"
    by_hand = (usage.input_tokens * 3.00 + usage.output_tokens * 15.00) / 1e6
    assert usage.cost_usd == pytest.approx(by_hand, abs=1e-9)


class TestAnthropicProviderContract(ProviderContract):
    @pytest.fixture
    def provider(
        self, provider_for: Callable[..., AnthropicProvider], fake: FakeAnthropic
    ) -> AnthropicProvider:
        fake.responder = scripted_answer
        return provider_for()
