"""A reviewed reply end to end: a refund request is handed off, an agent claims it over HTTP, a second agent
is refused, a reply that leaks a card number is blocked, the edited reply goes out through the ticket's own
channel by the durable sender exactly once, and approving again is refused."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from dbos import DBOS
from fastapi.testclient import TestClient

from ticketflow.api.app import create_app
from ticketflow.domain.access import Scope
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.ports.channel import Capability
from ticketflow.runtime.sender import reviewed_delivery_id
from ticketflow.runtime.service import Runtime
from ticketflow.settings import Settings
from ticketflow.testing.fake_channel import MemoryChannel
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels

REFUND = "The blender arrived broken. I want my money back, refund me please."
REPLY = "Hello Ines, we are sorry about the blender. A refund is on its way; you will see it in 5 days."


@pytest.fixture
def desk() -> MemoryChannel:
    return MemoryChannel("zendesk")


@pytest.fixture
def runtime(settings: Settings, store_models: TrainedModels, desk: MemoryChannel) -> Iterator[Runtime]:
    engine = Engine.from_workspace(settings=settings, models=store_models)
    engine.channels = {**engine.channels, "zendesk": desk}
    yield Runtime(engine)
    engine.close()


def _finished(workflow_id: str, timeout: float = 60.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        [status] = DBOS.list_workflows(workflow_ids=[workflow_id]) or [None]
        if status is not None and status.status in ("SUCCESS", "ERROR"):
            assert status.status == "SUCCESS", status.error
            result: list[str] = DBOS.retrieve_workflow(workflow_id).get_result()
            return result
        assert time.monotonic() < deadline, f"{workflow_id} did not finish"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_reviewed_reply_lands_exactly_once_in_the_tickets_channel(
    runtime: Runtime, desk: MemoryChannel
) -> None:
    engine = runtime.engine
    _, alice_token = engine.api_keys.create("alice", frozenset({Scope.AGENT, Scope.READ}))
    _, bob_token = engine.api_keys.create("bob", frozenset({Scope.AGENT, Scope.READ}))
    alice = {"Authorization": f"Bearer {alice_token}"}
    bob = {"Authorization": f"Bearer {bob_token}"}
    with TestClient(create_app(runtime)) as client:
        message = InboundMessage(
            "zendesk", "z-rev-1", CustomerRef(email="ines@example.com"), REFUND, conversation_ref="th-rev"
        )
        ticket_id, _ = runtime.submit(message)
        assert runtime.result(ticket_id).delivery.outcome in ("escalated", "review")
        [listed] = client.get("/v1/reviews", headers=alice).json()["reviews"]
        assert listed["ticket_id"] == ticket_id and listed["channel"] == "zendesk"

        assert client.post(f"/v1/reviews/{ticket_id}/claim", headers=alice, json={}).status_code == 200
        assert client.post(f"/v1/reviews/{ticket_id}/claim", headers=bob, json={}).status_code == 409
        leak = {"body": "Refunded to card 4111 1111 1111 1111."}
        assert client.post(f"/v1/reviews/{ticket_id}/send", headers=alice, json=leak).status_code == 422
        sent = client.post(f"/v1/reviews/{ticket_id}/send", headers=alice, json={"body": REPLY})
        assert sent.status_code == 202, sent.json()
        assert client.post(f"/v1/reviews/{ticket_id}/approve", headers=alice, json={}).status_code == 409

        assert _finished(reviewed_delivery_id(ticket_id)) == ["reviewed:sent"]
        runtime.reviews.resume()  # a restart hands it to the sender again: the same workflow, nothing new
        assert _finished(reviewed_delivery_id(ticket_id)) == ["reviewed:sent"]
        replies = [s for s in desk.sent_for(Capability.REPLY) if s.content == REPLY]
        assert len(replies) == 1 and replies[0].idempotency_key == f"send:{ticket_id}:reviewed"
        view = client.get(f"/v1/tickets/{ticket_id}", headers=alice).json()
        reviewed = [d for d in view["deliveries"] if d["kind"] == "reviewed"]
        assert [(d["status"], d["channel"], d["body"]) for d in reviewed] == [("sent", "zendesk", REPLY)]
        events = [e["event"] for e in view["audit"]]
        assert {"review_claim", "review_send", "delivered"} <= set(events)
