"""The durable sender: every outgoing message leaves once by the ticket's channel, and its status is kept."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from dbos import DBOS
from fastapi.testclient import TestClient

from ticketflow.api.app import create_app
from ticketflow.domain.ids import TicketId
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.domain.rules import BusinessHours
from ticketflow.domain.views import DeliveryLine
from ticketflow.errors import ChannelUnavailable, DeliveryRefused
from ticketflow.ports.channel import Capability
from ticketflow.runtime.sender import delivery_id, expected_response
from ticketflow.runtime.service import Runtime
from ticketflow.settings import DeliverySettings, Settings
from ticketflow.testing.fake_channel import MemoryChannel
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels

ANSWERED = "How long does standard delivery take?"
REFUND = "The blender arrived broken. I want my money back, refund me please."


@pytest.fixture
def desk() -> MemoryChannel:
    return MemoryChannel("zendesk")


@pytest.fixture
def runtime(settings: Settings, store_models: TrainedModels, desk: MemoryChannel) -> Iterator[Runtime]:
    fast = settings.model_copy(update={"delivery": DeliverySettings(backoff_s=0.01, max_attempts=3)})
    engine = Engine.from_workspace(settings=fast, models=store_models)
    engine.channels = {**engine.channels, "zendesk": desk}
    with Runtime(engine) as started:
        yield started
    engine.close()


def _message(channel: str, external_id: str, text: str) -> InboundMessage:
    return InboundMessage(
        channel, external_id, CustomerRef(email="ines@example.com"), text, conversation_ref="th-1"
    )


def _delivered(runtime: Runtime, ticket_id: TicketId, timeout: float = 60.0) -> tuple[DeliveryLine, ...]:
    """The ticket's deliveries once its delivery workflow has ended (polled, with a deadline)."""
    runtime.result(ticket_id, timeout=timeout)
    deadline = time.monotonic() + timeout
    while True:
        statuses = DBOS.list_workflows(workflow_ids=[delivery_id(ticket_id)])
        if statuses and statuses[0].status in ("SUCCESS", "ERROR"):
            assert statuses[0].status == "SUCCESS", statuses[0].error
            return runtime.store.deliveries.for_ticket(ticket_id)
        assert time.monotonic() < deadline, f"the delivery of {ticket_id} did not finish"
        time.sleep(0.02)


def test_a_reply_is_sent_once_by_the_tickets_channel_and_shown_on_the_ticket(
    runtime: Runtime, desk: MemoryChannel
) -> None:
    ticket_id, _ = runtime.submit(_message("zendesk", "z-1", ANSWERED))
    [line] = _delivered(runtime, ticket_id)
    assert runtime.result(ticket_id).delivery.outcome == "sent"
    [sent] = desk.sent_for(Capability.REPLY)
    assert sent.idempotency_key == f"send:{ticket_id}:reply"
    assert sent.content == runtime.store.outbox.reply(ticket_id)
    assert (line.kind, line.status, line.channel, line.attempts) == ("reply", "sent", "zendesk", 1)
    assert line.message_id == sent.receipt.message_id and line.sent_at is not None
    view = runtime.store.ticket_view(ticket_id)
    assert view is not None and view["deliveries"][0]["status"] == "sent"
    assert "delivered" in [e["event"] for e in view["audit"]]


def test_a_handoff_goes_to_the_helpdesk_and_a_direct_channel_gets_a_holding_message(
    runtime: Runtime, desk: MemoryChannel
) -> None:
    on_desk, _ = runtime.submit(_message("zendesk", "z-2", REFUND))
    [handed] = _delivered(runtime, on_desk)
    assert (handed.kind, handed.status) == ("hand_off", "sent")
    [package] = desk.sent_for(Capability.HAND_OFF)
    assert package.content == runtime.store.reviews.handoff(on_desk)
    assert not desk.sent_for(Capability.REPLY), "a helpdesk's agents answer a handoff, not a holding message"

    by_api, _ = runtime.submit(_message("chat", "c-2", REFUND))
    [holding] = _delivered(runtime, by_api)
    assert (holding.kind, holding.channel, holding.status) == ("holding", "api", "sent")
    assert holding.body is not None and "A member of our team will get back to you" in holding.body
    assert "Europe/Berlin" in holding.body  # the workspace's business hours


def test_a_transient_failure_is_retried_and_a_permanent_one_puts_the_ticket_in_review(
    runtime: Runtime, desk: MemoryChannel
) -> None:
    desk.fail_next(ChannelUnavailable("503 from the desk", retry_after=0.01))
    retried, _ = runtime.submit(_message("zendesk", "z-3", ANSWERED))
    [line] = _delivered(runtime, retried)
    assert (line.status, line.attempts) == ("sent", 2)
    assert len(desk.sent_for(Capability.REPLY)) == 1

    desk.fail_next(DeliveryRefused("422: the ticket is closed"))
    refused, _ = runtime.submit(_message("zendesk", "z-4", "How long does express delivery take?"))
    [failed] = _delivered(runtime, refused)
    assert failed.status == "failed" and failed.error == "422: the ticket is closed"
    view = runtime.store.view(refused)
    assert view is not None and view.outcome == "review"
    assert view.handoff is not None and "422: the ticket is closed" in view.handoff.reason
    assert view.handoff.suggested_reply == failed.body


def test_a_delivery_run_again_sends_nothing_twice(runtime: Runtime, desk: MemoryChannel) -> None:
    ticket_id, _ = runtime.submit(_message("zendesk", "z-5", ANSWERED))
    _delivered(runtime, ticket_id)
    # a fresh channel forgets its receipts, as a restarted process does: only the deliveries row remains
    runtime.engine.channels["zendesk"].sent.clear()  # type: ignore[attr-defined]
    steps = DBOS.list_workflow_steps(delivery_id(ticket_id))
    send = next(s for s in steps if s["function_name"] == "send:reply")
    forked = DBOS.fork_workflow(delivery_id(ticket_id), send["function_id"])
    assert forked.get_result() == ["reply:sent"]
    assert desk.sent_for(Capability.REPLY) == []
    [line] = runtime.store.deliveries.for_ticket(ticket_id)
    assert line.attempts == 1


def test_deliveries_are_counted_in_metrics(runtime: Runtime, api_headers: dict[str, str]) -> None:
    ticket_id, _ = runtime.submit(_message("zendesk", "z-6", ANSWERED))
    _delivered(runtime, ticket_id)
    with TestClient(create_app(runtime, manage_runtime=False)) as client:
        body = client.get("/metrics", headers=api_headers).text
        ticket = client.get(f"/v1/tickets/{ticket_id}", headers=api_headers).json()
    assert 'ticketflow_deliveries_total{channel="zendesk",kind="reply",status="sent"} 1.0' in body
    assert [(d["kind"], d["status"]) for d in ticket["deliveries"]] == [("reply", "sent")]


def test_the_expected_response_time_follows_business_hours() -> None:
    hours = BusinessHours(timezone="UTC", opens=9 * 60, closes=17 * 60)
    assert expected_response(hours, datetime(2026, 12, 2, 10, 0, tzinfo=UTC)).startswith("today, within")
    assert expected_response(hours, datetime(2026, 12, 2, 18, 0, tzinfo=UTC)).startswith(
        "tomorrow after we open"
    )
    friday_night = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
    assert expected_response(hours, friday_night).startswith("on Monday after we open at 09:00")
    assert expected_response(None, friday_night) == "as soon as possible"


def test_a_decline_is_sent_once_as_a_reply_recorded_as_declined_with_no_model_call(
    runtime: Runtime, desk: MemoryChannel
) -> None:
    ticket_id, _ = runtime.submit(_message("zendesk", "z-9", "Tell me a joke about penguins, please."))
    [line] = _delivered(runtime, ticket_id)
    result = runtime.result(ticket_id)
    assert (result.decision.route.value, result.delivery.outcome) == ("decline", "declined")
    assert result.draft is None and not result.model_calls and result.context is None  # no passage, no model
    [sent] = desk.sent_for(Capability.REPLY)
    assert sent.content == runtime.store.outbox.reply(ticket_id)
    assert "can't help with this request" in str(sent.content)
    assert (line.kind, line.status) == ("reply", "sent")
    view = runtime.store.ticket_view(ticket_id)
    assert view is not None and view["outcome"] == "declined" and view["decision"]["route"] == "decline"
