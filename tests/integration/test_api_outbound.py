"""The API channel reaches its caller: a signed webhook per API key, and an event stream per conversation."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from dbos import DBOS
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient

from ticketflow.api.app import create_app
from ticketflow.channels.api import verify_webhook
from ticketflow.domain.access import Scope
from ticketflow.domain.ids import TicketId
from ticketflow.domain.views import DeliveryLine
from ticketflow.runtime.sender import delivery_id
from ticketflow.runtime.service import Runtime
from ticketflow.settings import DeliverySettings, Settings
from ticketflow.testing.server import serve
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels

ANSWERED = "How long does standard delivery take?"


@dataclass
class Receiver:
    """A loopback webhook receiver: answers each POST with the next scripted status, records the 2xx ones."""

    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    calls: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            self.calls += 1
            status = self.statuses.pop(0) if self.statuses else 200
            if status < 300:
                self.received.append((dict(request.headers), await request.body()))
            return Response("ok", status_code=status)

        return app


@pytest.fixture
def runtime(settings: Settings, store_models: TrainedModels) -> Iterator[Runtime]:
    fast = settings.model_copy(update={"delivery": DeliverySettings(backoff_s=0.01, max_attempts=3)})
    engine = Engine.from_workspace(settings=fast, models=store_models)
    with Runtime(engine) as started:
        yield started
    engine.close()


def _key(runtime: Runtime, webhook: str | None) -> tuple[dict[str, str], str | None]:
    assert runtime.store is not None
    key, token = runtime.store.keys.create("widget", frozenset({Scope.INGEST, Scope.READ}))
    secret = runtime.store.keys.set_webhook(key.id, webhook) if webhook else None
    return {"Authorization": f"Bearer {token}"}, secret


def _post(client: TestClient, headers: dict[str, str], external_id: str) -> TicketId:
    body = {
        "channel": "chat",
        "external_id": external_id,
        "conversation_id": f"session-{external_id}",
        "customer": {"email": "ana@example.com"},
        "text": ANSWERED,
    }
    answer = client.post("/v1/messages", json=body, headers=headers)
    assert answer.status_code == 202, answer.text
    return TicketId(answer.json()["ticket_id"])


def _delivered(runtime: Runtime, ticket_id: TicketId, timeout: float = 60.0) -> tuple[DeliveryLine, ...]:
    runtime.result(ticket_id, timeout=timeout)
    deadline = time.monotonic() + timeout
    while True:
        statuses = DBOS.list_workflows(workflow_ids=[delivery_id(ticket_id)])
        if statuses and statuses[0].status in ("SUCCESS", "ERROR"):
            return runtime.store.deliveries.for_ticket(ticket_id)
        assert time.monotonic() < deadline, f"the delivery of {ticket_id} did not finish"
        time.sleep(0.02)


def test_a_reply_reaches_the_keys_webhook_signed(runtime: Runtime) -> None:
    receiver = Receiver()
    with serve(receiver.app()) as server, TestClient(create_app(runtime, manage_runtime=False)) as client:
        headers, secret = _key(runtime, f"{server.url}/hook")
        ticket_id = _post(client, headers, "w-1")
        [line] = _delivered(runtime, ticket_id)
    assert secret is not None and (line.kind, line.status) == ("reply", "sent")
    [(sent, body)] = receiver.received
    assert verify_webhook(secret, sent["x-ticketflow-timestamp"], body, sent["x-ticketflow-signature"])
    assert not verify_webhook(
        "another secret", sent["x-ticketflow-timestamp"], body, sent["x-ticketflow-signature"]
    )
    payload = json.loads(body)
    assert payload["type"] == "reply" and payload["ticket_id"] == ticket_id
    assert payload["text"] == line.body and payload["external_id"] == "w-1"
    assert payload["conversation_id"] == "session-w-1"
    assert sent["x-ticketflow-idempotency-key"] == payload["idempotency_key"] == f"send:{ticket_id}:reply"


def test_a_receiver_answering_503_then_200_gets_one_delivery(runtime: Runtime) -> None:
    receiver = Receiver(statuses=[503, 200])
    with serve(receiver.app()) as server, TestClient(create_app(runtime, manage_runtime=False)) as client:
        headers, _ = _key(runtime, f"{server.url}/hook")
        [line] = _delivered(runtime, _post(client, headers, "w-2"))
    assert line.status == "sent"
    assert receiver.calls == 2 and len(receiver.received) == 1


def test_without_a_webhook_nothing_is_posted(runtime: Runtime) -> None:
    receiver = Receiver()
    with serve(receiver.app()), TestClient(create_app(runtime, manage_runtime=False)) as client:
        headers, _ = _key(runtime, None)
        [line] = _delivered(runtime, _post(client, headers, "w-3"))
    assert line.status == "sent" and receiver.calls == 0


def _events(text: str) -> list[tuple[str, str]]:
    found = []
    for block in text.strip().split("\n\n"):
        fields = dict(row.split(": ", 1) for row in block.splitlines())
        found.append((fields["id"], fields["event"]))
    return found


def test_the_event_stream_yields_message_and_outcome_and_resumes(runtime: Runtime) -> None:
    with TestClient(create_app(runtime, manage_runtime=False)) as client:
        headers, _ = _key(runtime, None)
        ticket_id = _post(client, headers, "w-4")
        _delivered(runtime, ticket_id)
        conversation = runtime.tickets.load_ticket(ticket_id).conversation_id
        url = f"/v1/conversations/{conversation}/events?idle=0.6"
        first = client.get(url, headers=headers)
        assert first.headers["content-type"].startswith("text/event-stream")
        events = _events(first.text)
        kinds = [kind for _, kind in events]
        assert kinds[:2] == ["message", "outcome"] and "delivery" in kinds
        resumed = client.get(url, headers={**headers, "Last-Event-ID": events[0][0]})
        assert _events(resumed.text) == events[1:]
        assert client.get("/v1/conversations/nope/events", headers=headers).status_code == 404
