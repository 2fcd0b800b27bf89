"""Off-peak batching end to end: the DBOS runtime, the real SDK and the fake server's Message Batches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dbos import DBOS

from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.domain.outcome import Outcome
from ticketflow.runtime.service import Runtime
from ticketflow.settings import Settings
from ticketflow.testing.fake_anthropic import FakeAnthropic, Reply, support_responder
from ticketflow.testing.server import LoopbackServer, serve
from ticketflow.wiring import Engine, TrainedModels

QUESTION = "How can I change the delivery address for an order I placed?"
SONNET_5_5 = (2.00, 10.00)  # input, output USD per million


@pytest.fixture
def fake() -> FakeAnthropic:
    return FakeAnthropic(responder=support_responder, batch_polls=1)


@pytest.fixture
def claude_env(fake: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServer]:
    with serve(fake.app) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        yield server


@pytest.fixture
def runtime(claude_env: LoopbackServer, settings: Settings, store_models: TrainedModels) -> Iterator[Runtime]:
    batch = settings.anthropic.batch.model_copy(
        update={
            "enabled": True,
            "channels": ["email"],
            "business_days": [],  # never open: email always waits
            "schedule": "* * * * * *",
            "poll_interval_s": 0.2,
        }
    )
    anthropic = settings.anthropic.model_copy(update={"batch": batch})
    engine = Engine.from_workspace(
        settings=settings.model_copy(update={"anthropic": anthropic}), models=store_models
    )
    try:
        with Runtime(engine) as started:
            yield started
    finally:
        engine.close()


def _message(channel: str, external_id: str) -> InboundMessage:
    return InboundMessage(channel, external_id, CustomerRef(email="ana@example.com"), QUESTION)


def _by_hand(row: dict[str, Any], discount: float) -> float:
    return (row["input_tokens"] * SONNET_5_5[0] + row["output_tokens"] * SONNET_5_5[1]) * discount / 1e6


def test_email_off_peak_goes_through_a_batch_at_half_price_and_is_delivered(
    runtime: Runtime, fake: FakeAnthropic
) -> None:
    email_id, _ = runtime.submit(_message("email", "e-1"))
    chat_id, _ = runtime.submit(_message("chat", "c-1"))
    email, chat = runtime.result(email_id, timeout=60), runtime.result(chat_id, timeout=60)

    assert email.delivery.outcome is Outcome.SENT and chat.delivery.outcome is Outcome.SENT
    batches = [r for r in fake.requests if r.path == "/v1/messages/batches"]
    assert len(batches) == 1 and len(batches[0].body["requests"]) == 1
    assert len(fake.message_requests) == 1, "only the chat ticket is drafted inline"

    [batched] = runtime.store.ledger_for(email_id)
    [inline] = runtime.store.ledger_for(chat_id)
    assert batched["request_id"].startswith("msgbatch_") and inline["request_id"].startswith("req_fake")
    assert batched["cost_usd"] > 0
    assert abs(batched["cost_usd"] - _by_hand(batched, 0.5)) < 0.000001  # the 50% batch discount
    assert abs(inline["cost_usd"] - _by_hand(inline, 1.0)) < 0.000001
    steps = [s["function_name"] for s in DBOS.list_workflow_steps("msg:email:e-1")]
    assert "batch?" in steps and "DBOS.recv" in steps
    assert steps[-2:] == ["delivery", "record"]


def test_a_batched_reply_that_breaks_the_schema_is_retried_once_inline(
    runtime: Runtime, fake: FakeAnthropic
) -> None:
    calls: list[int] = []

    def broken_first(body: dict[str, Any]) -> Reply | str | dict[str, Any]:
        calls.append(1)
        return Reply(text="{not json") if len(calls) == 1 else support_responder(body)

    fake.responder = broken_first
    ticket_id, _ = runtime.submit(_message("email", "e-2"))
    result = runtime.result(ticket_id, timeout=60)

    assert result.delivery.outcome is Outcome.SENT
    ledger = runtime.store.ledger_for(ticket_id)
    assert [row["attempt"] for row in ledger] == [1, 2]
    assert ledger[0]["request_id"].startswith("msgbatch_") and ledger[1]["request_id"].startswith("req_fake")
    assert len(fake.message_requests) == 1
