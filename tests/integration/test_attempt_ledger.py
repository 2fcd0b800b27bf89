"""Every paid model attempt reaches the ledger, the one a killed process never recorded included.

A process SIGKILLed while a model call is in flight (or after it returned, before the stage's checkpoint)
loses the call's usage, and the recovered stage calls the model again. Here the kill is simulated by a
journal write that raises :class:`Killed` (a ``BaseException``, as nothing in the process survives it), and
the recovery by handling the same message again, as the durable runtime re-runs the stage.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from provider_contract import contract_request, scripted_answer
from ticketflow.domain.draft import Usage
from ticketflow.domain.ids import TicketId
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.domain.outcome import Outcome
from ticketflow.domain.tokens import estimate_tokens
from ticketflow.pipeline.generation.prompt import REPLY_SCHEMA
from ticketflow.providers.anthropic import ATTEMPT_HEADER, AnthropicProvider
from ticketflow.providers.openai_compatible import OpenAICompatibleProvider
from ticketflow.runtime.metrics import TicketMetrics
from ticketflow.settings import Settings
from ticketflow.storage.repository import SqlStore
from ticketflow.testing.attempts import MemoryAttempts
from ticketflow.testing.fake_anthropic import FakeAnthropic, ScriptedError, support_responder
from ticketflow.testing.fake_openai import FakeOpenAI
from ticketflow.testing.server import LoopbackServer, serve
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels

QUESTION = "How can I change the delivery address for an order I placed?"
SONNET_5_5 = {"input": 2.00, "output": 10.00, "write_5m": 2.50}


class Killed(BaseException):
    """The process died here: nothing after this point ran."""


@pytest.fixture
def fake() -> FakeAnthropic:
    return FakeAnthropic(responder=support_responder)


@pytest.fixture
def claude_env(fake: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServer]:
    with serve(fake.app) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        yield server


@pytest.fixture
def engine(claude_env: LoopbackServer, settings: Settings, store_models: TrainedModels) -> Iterator[Engine]:
    built = Engine.from_workspace(settings=settings, models=store_models)
    yield built
    built.close()


def _message(external_id: str = "k-1") -> InboundMessage:
    return InboundMessage("chat", external_id, CustomerRef(email="x@example.com"), QUESTION)


def _store(engine: Engine) -> SqlStore:
    assert engine.store is not None
    return engine.store


def _die_once(monkeypatch: pytest.MonkeyPatch, store: SqlStore, *, after_settling: bool) -> None:
    """The next ``settled`` kills the process: before the journal write, or right after it."""
    real = store.attempts.settled
    calls = []

    def settled(attempt_id: str, usage: Usage) -> None:
        calls.append(attempt_id)
        if len(calls) == 1 and not after_settling:
            raise Killed
        real(attempt_id, usage)
        if len(calls) == 1:
            raise Killed

    monkeypatch.setattr(store.attempts, "settled", settled)


def _estimate_by_hand(body: dict[str, Any]) -> float:
    """The request's upper bound: the cached system prefix at the 5-minute cache-write price, the prompt at
    the input price (tokens as ticketflow estimates them), ``max_tokens`` at the output price."""
    system = estimate_tokens(body["system"][0]["text"])
    prompt = estimate_tokens(body["messages"][0]["content"])
    dollars = (
        system * SONNET_5_5["write_5m"]
        + prompt * SONNET_5_5["input"]
        + body["max_tokens"] * SONNET_5_5["output"]
    )
    return dollars / 1_000_000


def test_an_attempt_killed_before_its_answer_was_read_is_ledgered_in_doubt_at_its_estimate(
    engine: Engine, fake: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(engine)
    _die_once(monkeypatch, store, after_settling=False)
    with pytest.raises(Killed):
        engine.handle(_message())
    result = engine.handle(_message())  # the recovered stage calls the model again

    assert result.delivery.outcome is Outcome.SENT
    first, second = fake.message_requests
    lines = store.ledger.lines(result.ticket.id)
    assert len(lines) == 2, "the killed, paid call is missing from the ledger"
    rerun, lost = lines
    assert (rerun.request_id, rerun.in_doubt) == (second.request_id, False)
    assert lost.in_doubt and lost.request_id is None and lost.stop_reason == "in_doubt"
    assert lost.attempt_id == first.headers[ATTEMPT_HEADER]
    assert lost.cost_usd == pytest.approx(_estimate_by_hand(first.body), abs=1e-9)
    assert lost.cost_usd >= rerun.cost_usd > 0, "the estimate is not an upper bound of the same call"
    assert store.spent_today() == pytest.approx(rerun.cost_usd + lost.cost_usd)


def test_an_attempt_settled_but_never_recorded_is_ledgered_with_its_exact_usage(
    engine: Engine, fake: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(engine)
    _die_once(monkeypatch, store, after_settling=True)
    with pytest.raises(Killed):
        engine.handle(_message())
    result = engine.handle(_message())

    first, second = fake.message_requests
    rerun, lost = store.ledger.lines(result.ticket.id)
    assert rerun.request_id == second.request_id
    assert not lost.in_doubt and lost.request_id == first.request_id
    assert lost.attempt_id == first.headers[ATTEMPT_HEADER]
    [made] = result.model_calls
    # the same prompt again: the lost call wrote the cache that the re-run read
    assert lost.input_tokens == made.input_tokens and lost.output_tokens == made.output_tokens
    assert lost.cache_creation_input_tokens == made.cache_read_input_tokens > 0
    by_hand = (
        lost.input_tokens * SONNET_5_5["input"]
        + lost.output_tokens * SONNET_5_5["output"]
        + lost.cache_creation_input_tokens * SONNET_5_5["write_5m"]
    ) / 1_000_000
    assert lost.cost_usd == pytest.approx(by_hand, abs=1e-9)


def test_metrics_count_the_attempts_the_result_lost(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store(engine)
    metrics = TicketMetrics(unledgered=store.attempts.unledgered)
    engine.pipeline.hooks.on_delivered.append(metrics.observe)
    _die_once(monkeypatch, store, after_settling=False)
    ticket = store.load_ticket(store.accept(_message()).ticket_id)
    with pytest.raises(Killed):
        engine.pipeline.process(ticket)
    result = engine.pipeline.process(ticket)  # ``on_delivered`` runs here, before the result is recorded
    store.finish(result)

    lines = store.ledger.lines(ticket.id)
    calls = metrics.registry.get_sample_value("ticketflow_model_calls_total", {"model": "claude-sonnet-5-5"})
    in_doubt = metrics.registry.get_sample_value(
        "ticketflow_model_calls_in_doubt_total", {"model": "claude-sonnet-5-5"}
    )
    cost = metrics.registry.get_sample_value(
        "ticketflow_model_cost_usd_total", {"model": "claude-sonnet-5-5"}
    )
    assert (calls, in_doubt) == (len(lines), 1) == (2, 1)
    assert cost == pytest.approx(sum(line.cost_usd for line in lines))


def test_spent_today_counts_an_attempt_in_flight_once(engine: Engine, fake: FakeAnthropic) -> None:
    store = _store(engine)
    ticket_id = store.accept(_message()).ticket_id
    assert store.spent_today() == 0.0
    store.attempts.began(ticket_id, "in-flight-1", "claude-sonnet-5-5", "generation", 0.5)
    assert store.spent_today() == pytest.approx(0.5)
    usage = Usage("claude-sonnet-5-5", 100, 10, 0.01, request_id="req_x", attempt_id="in-flight-1")
    store.attempts.settled("in-flight-1", usage)
    assert store.spent_today() == pytest.approx(0.01)
    result = engine.handle(_message())  # its own call, then the journaled one, ledgered
    lines = store.ledger.lines(result.ticket.id)
    assert [line.attempt_id for line in lines][1:] == ["in-flight-1"] and len(fake.message_requests) == 1
    assert store.spent_today() == pytest.approx(sum(line.cost_usd for line in lines))


def test_the_budget_hands_off_when_calls_in_flight_elsewhere_use_it_up(
    claude_env: LoopbackServer, fake: FakeAnthropic, settings: Settings, store_models: TrainedModels
) -> None:
    capped = settings.model_copy(
        update={"anthropic": settings.anthropic.model_copy(update={"daily_budget_usd": 0.05})}
    )
    engine = Engine.from_workspace(settings=capped, models=store_models)
    try:
        store = _store(engine)
        # another process's call, journaled and not answered yet; the ledger itself is empty
        store.attempts.began(TicketId("t_elsewhere"), "other-1", "claude-sonnet-5-5", "generation", 0.06)
        result = engine.handle(_message("b-1"))
    finally:
        engine.close()
    assert result.delivery.outcome is Outcome.ESCALATED and result.delivery.reason == "budget"
    assert fake.message_requests == []


def test_each_http_attempt_is_journaled_before_it_is_sent_and_settled_after(
    claude_env: LoopbackServer, fake: FakeAnthropic
) -> None:
    fake.fail(ScriptedError.rate_limited(retry_after=0.01))
    journal = MemoryAttempts()
    provider = AnthropicProvider(model="claude-sonnet-5-5", schema=REPLY_SCHEMA, journal=journal)
    try:
        draft = provider.generate(contract_request())
    finally:
        provider.close()
    refused, answered = fake.message_requests
    assert list(journal.entries) == [refused.headers[ATTEMPT_HEADER], answered.headers[ATTEMPT_HEADER]]
    assert [u.attempt_id for u in draft.usage] == list(journal.entries)
    failed, settled = journal.entries.values()
    assert (failed.state, failed.status, failed.request_id) == ("failed", 429, refused.request_id)
    assert settled.state == "settled" and settled.usage == draft.usage[1]
    assert failed.estimate == settled.estimate > draft.usage[1].cost_usd


def test_the_local_provider_journals_its_attempts(fake_openai_url: str) -> None:
    journal = MemoryAttempts()
    provider = OpenAICompatibleProvider(
        base_url=fake_openai_url,
        model="llama3.1:8b",
        schema=REPLY_SCHEMA,
        input_usd_per_million=1.0,
        output_usd_per_million=2.0,
        journal=journal,
    )
    try:
        request = contract_request()
        draft = provider.generate(request)
    finally:
        provider.close()
    [(attempt_id, entry)] = journal.entries.items()
    assert entry.ticket_id == request.ticket.id and entry.state == "settled"
    assert draft.usage[0].attempt_id == attempt_id and entry.usage == draft.usage[0]
    tokens = estimate_tokens(request.system) + estimate_tokens(request.prompt)
    assert entry.estimate == pytest.approx((tokens * 1.0 + request.max_output_tokens * 2.0) / 1_000_000)


@pytest.fixture
def fake_openai_url() -> Iterator[str]:
    fake = FakeOpenAI(responder=scripted_answer, models=frozenset({"llama3.1:8b"}))
    with serve(fake.app) as running:
        yield f"{running.url}/v1"


# polite, but shares no content word with the question: the length check only warns, so the judge is asked
VAGUE = {
    "reply": "Hello! Thanks so much for reaching out to us. We are glad to help you with this.",
    "action": "reply",
    "escalation_reason": None,
    "cited_sources": [],
    "confidence": 0.7,
}


def _vague_then_judged(body: dict[str, Any]) -> dict[str, Any]:
    schema = body["output_config"]["format"]["schema"]
    return {"tone_ok": True, "coherent": True, "problems": []} if "tone_ok" in schema["properties"] else VAGUE


def test_a_judge_call_lost_with_its_process_is_ledgered_too(
    settings: Settings, store_models: TrainedModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeAnthropic(responder=_vague_then_judged)
    configured = settings.model_copy(update={"judge": settings.judge.model_copy(update={"enabled": True})})
    with serve(fake.app) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        engine = Engine.from_workspace(settings=configured, models=store_models)
        try:
            store = _store(engine)
            real = store.attempts.settled
            killed: list[str] = []

            def settled(attempt_id: str, usage: Usage) -> None:
                if usage.purpose == "judge" and not killed:
                    killed.append(attempt_id)
                    raise Killed
                real(attempt_id, usage)

            monkeypatch.setattr(store.attempts, "settled", settled)
            with pytest.raises(Killed):
                engine.handle(_message("j-1"))
            result = engine.handle(_message("j-1"))
            lines = store.ledger.lines(result.ticket.id)
        finally:
            engine.close()
    assert killed, "the judge was not asked"
    assert len(lines) == len(fake.message_requests) == 4  # generation and judge, twice
    lost = [(line.purpose, line.in_doubt, line.model) for line in lines if line.attempt_id in killed]
    assert lost == [("judge", True, "claude-haiku-5-5")]
