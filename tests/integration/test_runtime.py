"""The durable runtime on DBOS: dedupe by message id, ordered conversations, recovery of accepted work."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from dbos import DBOS

from ticketflow.domain.draft import Draft
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.domain.outcome import Outcome
from ticketflow.domain.result import TicketResult
from ticketflow.domain.views import TicketStatus
from ticketflow.ports.provider import GenerationRequest, Provider
from ticketflow.runtime.service import Runtime
from ticketflow.runtime.workflows import TicketWorkflows
from ticketflow.settings import Settings
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels


@pytest.fixture
def runtime(engine: Engine) -> Iterator[Runtime]:
    with Runtime(engine) as started:
        yield started


def _message(external_id: str, text: str, conversation: str | None = None) -> InboundMessage:
    return InboundMessage(
        "chat", external_id, CustomerRef(email="lena@example.com"), text, conversation_ref=conversation
    )


def test_a_duplicate_message_starts_no_second_workflow(runtime: Runtime) -> None:
    first_id, created = runtime.submit(_message("dup-1", "How long does standard delivery take?"))
    again_id, created_again = runtime.submit(_message("dup-1", "How long does standard delivery take?"))
    assert created and not created_again and first_id == again_id
    runtime.result(first_id)
    workflows = DBOS.list_workflows(workflow_ids=["msg:chat:dup-1"])
    assert len(workflows) == 1
    assert runtime.store.counts()["tickets"] == 1


def test_a_drafted_ticket_is_four_checkpointed_steps_with_each_stage_timed(runtime: Runtime) -> None:
    ticket_id, _ = runtime.submit(
        _message("steps-1", "Can I change the address on an order that has not shipped?")
    )
    result = runtime.result(ticket_id)
    steps = [s["function_name"] for s in DBOS.list_workflow_steps("msg:chat:steps-1")]
    assert result.draft is not None, "the sample question is drafted by the model"
    # then the durable sender's child workflow
    assert steps == ["triage", "generation", "validation", "delivery", "ticketflow.deliver"]
    assert [name for name, _ in result.timings_ms] == [
        "intake",
        "routing",
        "context",
        "generation",
        "validation",
        "delivery",
    ]
    view = runtime.tickets.view(ticket_id)
    assert view is not None and view.status is TicketStatus.DONE, "the delivery step records the result"


def test_a_canned_answer_is_two_steps(runtime: Runtime) -> None:
    ticket_id, _ = runtime.submit(_message("steps-2", "What payment methods do you take?"))
    result = runtime.result(ticket_id)
    steps = [s["function_name"] for s in DBOS.list_workflow_steps("msg:chat:steps-2")]
    assert result.draft is None and steps == ["triage", "delivery", "ticketflow.deliver"]


class _CountingProvider:
    def __init__(self, inner: Provider) -> None:
        self.name, self._inner, self.calls = inner.name, inner, 0

    def generate(self, request: GenerationRequest) -> Draft:
        self.calls += 1
        return self._inner.generate(request)


def test_a_run_resumed_before_delivery_pays_for_no_second_draft_and_sends_once(
    settings: Settings, store_models: TrainedModels
) -> None:
    base = Engine.from_workspace(settings=settings, models=store_models)
    counting = _CountingProvider(base.provider)
    engine = Engine(settings, base.workspace, store_models, base.store, provider=counting)
    try:
        with Runtime(engine) as runtime:
            question = "Can I change the address on an order that has not shipped?"
            ticket_id, _ = runtime.submit(_message("resume-1", question))
            first = runtime.result(ticket_id)
            assert first.draft is not None and counting.calls == 1
            delivery = next(
                s for s in DBOS.list_workflow_steps("msg:chat:resume-1") if s["function_name"] == "delivery"
            )
            # the workflow again from its delivery step: as after a crash once validation was checkpointed
            again = DBOS.fork_workflow("msg:chat:resume-1", delivery["function_id"]).get_result()
            assert counting.calls == 1, "the checkpointed generation step is replayed, not paid again"
            assert again.draft == first.draft and again.timings_ms[:-1] == first.timings_ms[:-1]
            assert runtime.store.counts()["outbox"] == 1, "the delivery is keyed by the ticket"
            assert len(runtime.store.ledger_for(ticket_id)) == 1, "the result is recorded once"
    finally:
        base.close()


def test_a_conversation_is_answered_in_order_with_its_history(runtime: Runtime) -> None:
    first_id, _ = runtime.submit(
        _message("c-1", "Where do I find the tracking link for my order?", "thread-1")
    )
    second_id, _ = runtime.submit(
        _message("c-2", "Got it. And can I change my delivery address?", "thread-1")
    )
    first = runtime.result(first_id)
    second = runtime.result(second_id)
    assert second.ticket.history[0].text == "Where do I find the tracking link for my order?"
    if first.delivery.outcome is Outcome.SENT:
        assert second.ticket.history[1].role == "agent"


def test_accepted_tickets_left_unqueued_are_resumed_at_start(engine: Engine) -> None:
    assert engine.store is not None
    accepted = engine.store.accept(_message("orphan-1", "What payment methods do you take?"))
    with Runtime(engine) as runtime:
        result = runtime.result(accepted.ticket_id)
    assert result.delivery.outcome is Outcome.SENT
    view = engine.store.tickets.view(accepted.ticket_id)
    assert view is not None and view.status is TicketStatus.DONE


def test_ticket_workflows_are_recorded_under_the_instance_every_worker_registers(runtime: Runtime) -> None:
    """A restarted or another worker finds a ticket's workflow by these names: they must never drift."""
    ticket_id, _ = runtime.submit(_message("named-1", "What payment methods do you take?"))
    runtime.result(ticket_id)
    [status] = DBOS.list_workflows(workflow_ids=["msg:chat:named-1"])
    assert (status.name, status.class_name, status.config_name) == (
        "ticketflow.process_ticket",
        "ticketflow.TicketWorkflows",
        "ticketflow",
    )


def test_a_runtime_started_after_another_in_the_same_process_uses_its_own_engine(
    engine: Engine, settings: Settings, store_models: TrainedModels, tmp_path: Path
) -> None:
    with Runtime(engine) as first:
        first.result(first.submit(_message("one-1", "What payment methods do you take?"))[0])
    other = Engine.from_workspace(
        settings=settings.model_copy(
            update={
                "database_url": f"sqlite:///{tmp_path / 'other.sqlite'}",
                "system_database_url": f"sqlite:///{tmp_path / 'other-dbos.sqlite'}",
            }
        ),
        models=store_models,
    )
    try:
        with Runtime(other) as second:
            ticket_id, _ = second.submit(_message("two-1", "What payment methods do you take?"))
            assert second.result(ticket_id).delivery.outcome is Outcome.SENT
        assert other.store is not None and other.store.counts()["done"] == 1
        assert engine.store is not None and engine.store.tickets.view(ticket_id) is None
    finally:
        other.close()


class _BrokenProvider:
    """A provider with a bug: every call raises (not a ProviderError, which providers turn into handoffs)."""

    name = "broken"

    def generate(self, request: GenerationRequest) -> Draft:
        raise RuntimeError("a bug with the customer's words in it: lena@example.com")


def test_a_transient_error_in_triage_is_retried_and_the_ticket_answered(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    router = runtime.engine.pipeline.router
    real, faults = router.run, []

    def locked_once(ticket: object) -> object:
        if not faults:
            faults.append(1)
            raise sa.exc.OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
        return real(ticket)  # type: ignore[arg-type]

    monkeypatch.setattr(router, "run", locked_once)
    ticket_id, _ = runtime.submit(_message("locked-1", "What payment methods do you take?"))
    result = runtime.result(ticket_id)
    assert faults == [1] and result.delivery.outcome is Outcome.SENT
    [status] = DBOS.list_workflows(workflow_ids=["msg:chat:locked-1"])
    assert status.status == "SUCCESS"


def test_a_stage_failing_for_good_hands_the_ticket_to_a_person_not_left_processing(
    settings: Settings, store_models: TrainedModels
) -> None:
    base = Engine.from_workspace(settings=settings, models=store_models)
    engine = Engine(settings, base.workspace, store_models, base.store, provider=_BrokenProvider())
    try:
        with Runtime(engine) as runtime:
            question = "Can I change the address on an order that has not shipped?"
            ticket_id, _ = runtime.submit(_message("broken-1", question))
            result = runtime.result(ticket_id)
            [status] = DBOS.list_workflows(workflow_ids=["msg:chat:broken-1"])
            view = runtime.tickets.view(ticket_id)
        assert status.status == "SUCCESS", "the workflow ends with the handoff, not in ERROR"
        assert result.delivery.outcome is Outcome.ESCALATED and result.delivery.reason == "error"
        assert view is not None and view.status is TicketStatus.DONE and view.reply is None
        assert view.handoff is not None and view.handoff.reason == "error"
        assert view.handoff.tried == ("error: processing failed (RuntimeError); nothing was sent",)
        assert "lena@" not in " ".join(view.handoff.tried), "no error message reaches the package"
    finally:
        base.close()


def test_a_failure_after_the_reply_was_queued_never_also_hands_it_off(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unrecorded(result: object) -> bool:
        raise sa.exc.OperationalError("UPDATE tickets", {}, Exception("disk I/O error"))

    monkeypatch.setattr(runtime.tickets, "finish", unrecorded)
    ticket_id, _ = runtime.submit(_message("late-1", "What payment methods do you take?"))
    with pytest.raises(Exception, match="delivery has exceeded"):
        runtime.result(ticket_id)
    view = runtime.tickets.view(ticket_id)
    assert view is not None and view.reply is not None, "the reply was queued before the record failed"
    assert view.handoff is None, "a queued reply is never also handed off"


def test_a_hook_that_raises_is_skipped(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    called = []

    def broken(result: object) -> None:
        called.append(result)
        raise RuntimeError("a metrics bug")

    monkeypatch.setattr(runtime.engine.pipeline.hooks, "on_delivered", [broken])
    ticket_id, _ = runtime.submit(_message("hook-1", "What payment methods do you take?"))
    assert runtime.result(ticket_id).delivery.outcome is Outcome.SENT
    assert len(called) == 1, "the hook ran, raised, and the ticket went on"


def test_a_handoff_whose_record_failed_once_is_recorded_on_its_retry(
    settings: Settings, store_models: TrainedModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = Engine.from_workspace(settings=settings, models=store_models)
    engine = Engine(settings, base.workspace, store_models, base.store, provider=_BrokenProvider())
    try:
        with Runtime(engine) as runtime:
            real, faults = runtime.tickets.finish, []

            def fails_once(result: TicketResult) -> bool:
                if not faults:
                    faults.append(1)
                    raise sa.exc.OperationalError("UPDATE tickets", {}, Exception("database is locked"))
                return real(result)

            monkeypatch.setattr(runtime.tickets, "finish", fails_once)
            ticket_id, _ = runtime.submit(_message("half-1", "Can I change the address on my order?"))
            result = runtime.result(ticket_id)
            view = runtime.tickets.view(ticket_id)
        assert faults == [1], "the review entry was written, then the record failed"
        assert result.delivery.reason == "error"
        assert view is not None and view.status is TicketStatus.DONE and view.handoff is not None
    finally:
        base.close()


def test_a_ticket_whose_workflow_failed_is_handed_off_at_the_next_start(
    settings: Settings, store_models: TrainedModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = Engine.from_workspace(settings=settings, models=store_models)
    engine = Engine(settings, base.workspace, store_models, base.store, provider=_BrokenProvider())

    def unrecorded(self: TicketWorkflows, ticket_id: str, error: str) -> None:
        raise sa.exc.OperationalError("UPDATE tickets", {}, Exception("disk I/O error"))

    try:
        with Runtime(engine) as runtime:
            monkeypatch.setattr(TicketWorkflows, "_hand_off", unrecorded)
            ticket_id, _ = runtime.submit(_message("failed-1", "Can I change the address on my order?"))
            with pytest.raises(Exception, match="failed has exceeded"):
                runtime.result(ticket_id)
            [status] = DBOS.list_workflows(workflow_ids=["msg:chat:failed-1"])
            assert status.status == "ERROR", "the handoff failed too, as an earlier version's runs did"
        monkeypatch.undo()
        with Runtime(engine) as runtime:
            view = runtime.tickets.view(ticket_id)
        assert view is not None and view.status is TicketStatus.DONE and view.reply is None
        assert view.handoff is not None and view.handoff.reason == "error"
    finally:
        base.close()
