"""Off-peak batching end to end: the DBOS runtime, the real SDK and the fake server's Message Batches."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from dbos import DBOS

from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.domain.outcome import Outcome
from ticketflow.runtime import batching
from ticketflow.runtime.service import Runtime
from ticketflow.settings import Settings
from ticketflow.testing.fake_anthropic import FakeAnthropic, Reply, support_responder
from ticketflow.testing.server import LoopbackServer, serve
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels

QUESTION = "How can I change the delivery address for an order I placed?"
SONNET_5_5 = (2.00, 10.00, 2.50, 0.20)  # input, output, 5-minute cache write, cache read: USD per million


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
    """The batch discount applies to input and output (FACTS.md); cache writes and reads keep their price."""
    uncached = (row["input_tokens"] * SONNET_5_5[0] + row["output_tokens"] * SONNET_5_5[1]) * discount
    written, read = row["cache_creation_input_tokens"], row["cache_read_input_tokens"]
    cached = written * SONNET_5_5[2] + read * SONNET_5_5[3]
    return (uncached + cached) / 1e6


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
    assert steps[-2:] == ["delivery", "ticketflow.deliver"]  # then the durable sender's child workflow


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


@pytest.fixture
def manual_runtime(
    claude_env: LoopbackServer, settings: Settings, store_models: TrainedModels
) -> Iterator[Runtime]:
    """Batching on, with collector runs started by the test only (the schedule fires on 1 January)."""
    batch = settings.anthropic.batch.model_copy(
        update={"enabled": True, "business_days": [], "schedule": "0 0 0 1 1 *", "poll_interval_s": 0.2}
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


def _eventually(predicate: Callable[[], object], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _collect() -> None:
    """One collector run, as the schedule would start it, to its end."""
    DBOS.start_workflow(batching.collect_batch, datetime.now(UTC), None).get_result()


def _batched_custom_ids(fake: FakeAnthropic) -> list[str]:
    """Every request submitted in any batch, as the fake API received them."""
    creates = [r for r in fake.requests if r.path == "/v1/messages/batches" and "requests" in r.body]
    return [entry["custom_id"] for r in creates for entry in r.body["requests"]]


def test_a_ticket_that_stops_after_its_claim_is_not_put_in_a_second_batch(
    manual_runtime: Runtime, fake: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window the claims close: a ticket workflow is in a batch but stops (its process dies, or it
    stalls) before withdrawing its published request, and another collector run comes by meanwhile."""
    stopped, resume = threading.Event(), threading.Event()

    class StopsAfterItsClaim:
        """``DBOS`` as ``runtime.batching`` sees it, except that the ticket workflow halts right after it
        received its claim, before it withdraws its request (until the test lets it go on)."""

        def __getattr__(self, name: str) -> Any:
            return getattr(DBOS, name)

        @staticmethod
        def set_event(key: str, value: Any) -> None:
            if key == batching.REQUEST_EVENT and value is None:
                stopped.set()
                assert resume.wait(timeout=60)
            DBOS.set_event(key, value)

    monkeypatch.setattr(batching, "DBOS", StopsAfterItsClaim())
    ticket_id, _ = manual_runtime.submit(_message("email", "e-stall"))
    workflow_id = "msg:email:e-stall"
    _eventually(
        lambda: DBOS.get_event(workflow_id, batching.REQUEST_EVENT, timeout_seconds=0) is not None,
        "the ticket to publish its batch request",
    )

    _collect()
    assert stopped.wait(timeout=60), "the ticket never received its claim"
    still = DBOS.get_event(workflow_id, batching.REQUEST_EVENT, timeout_seconds=0)
    assert isinstance(still, batching.Pending), "the request is still published: the window is open"
    _collect()  # the next run finds the published request, and its claim
    _collect()
    resume.set()
    result = manual_runtime.result(ticket_id, timeout=60)

    assert _batched_custom_ids(fake) == [f"{ticket_id}-1"], "submitted (and paid) exactly once"
    assert result.delivery.outcome is Outcome.SENT
    assert manual_runtime.store.counts()["outbox"] == 1
    claim = manual_runtime.store.batch_claims.find(ticket_id, 1)
    assert claim is not None and claim.state == "submitted" and claim.batch_id is not None
    [row] = manual_runtime.store.ledger_for(ticket_id)
    assert row["request_id"] == claim.batch_id


def test_a_rerun_of_a_batched_ticket_reads_its_batch_instead_of_batching_again(
    manual_runtime: Runtime, fake: FakeAnthropic
) -> None:
    ticket_id, _ = manual_runtime.submit(_message("email", "e-rerun"))
    workflow_id = "msg:email:e-rerun"
    _eventually(
        lambda: DBOS.get_event(workflow_id, batching.REQUEST_EVENT, timeout_seconds=0) is not None,
        "the ticket to publish its batch request",
    )
    _collect()
    first = manual_runtime.result(ticket_id, timeout=60)
    lookup = next(s for s in DBOS.list_workflow_steps(workflow_id) if s["function_name"] == "batch.claimed?")

    # the same ticket run again from just before its batch (a fork: a new workflow, no messages of its own)
    rerun = DBOS.fork_workflow(workflow_id, lookup["function_id"]).get_result()
    _collect()  # nothing is waiting to be batched

    assert _batched_custom_ids(fake) == [f"{ticket_id}-1"]
    assert rerun.delivery.outcome is Outcome.SENT and rerun.draft is not None and first.draft is not None
    assert rerun.draft.reply == first.draft.reply, "the draft read back from the batch by custom id"
    assert manual_runtime.store.counts()["outbox"] == 1, "the reply is not sent twice"
