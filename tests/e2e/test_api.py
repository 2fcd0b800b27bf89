"""The HTTP API end to end: intake, status, health, docs, and every kind of bad input."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from support import wait_until
from ticketflow.api.app import MAX_BODY_BYTES, create_app
from ticketflow.runtime.service import Runtime
from ticketflow.wiring.engine import Engine


@pytest.fixture
def client(engine: Engine, api_headers: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(Runtime(engine)), headers=api_headers) as test_client:
        yield test_client


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "chat",
        "external_id": "api-1",
        "conversation_id": "session-1",
        "customer": {"email": "ana@example.com"},
        "subject": "Delivery",
        "text": "How long does standard delivery take to Germany?",
    }
    body.update(overrides)
    return body


def _wait_done(client: TestClient, ticket_id: str) -> dict[str, Any]:
    view: dict[str, Any] = {}

    def done() -> bool:
        view.clear()
        view.update(client.get(f"/v1/tickets/{ticket_id}").json())
        return bool(view["status"] == "done")

    try:
        wait_until(done, f"ticket {ticket_id} to finish")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last seen: {view}") from None
    return view


def test_a_message_is_accepted_then_processed(client: TestClient) -> None:
    response = client.post("/v1/messages", json=_body())
    assert response.status_code == 202
    accepted = response.json()
    assert accepted["ticket_id"].startswith("t_") and accepted["duplicate"] is False
    view = _wait_done(client, accepted["ticket_id"])
    assert view["outcome"] in {"sent", "review", "escalated"}
    assert view["decision"]["route"] in {"rule", "auto", "escalate"}
    assert isinstance(view["checks"], list)
    assert set(view["stage_latency_ms"]) >= {"intake", "routing", "delivery"}


def test_a_resent_message_is_reported_as_a_duplicate(client: TestClient) -> None:
    first = client.post("/v1/messages", json=_body(external_id="api-dup")).json()
    again = client.post("/v1/messages", json=_body(external_id="api-dup"))
    assert again.status_code == 202
    assert again.json()["ticket_id"] == first["ticket_id"] and again.json()["duplicate"] is True


def test_a_drafted_reply_shows_its_checks_and_ledger(client: TestClient) -> None:
    body = _body(
        external_id="api-auto", text="How do I change the shipping address on an order I just placed?"
    )
    view = _wait_done(client, client.post("/v1/messages", json=body).json()["ticket_id"])
    if view["decision"]["route"] == "auto":
        assert {c["name"] for c in view["checks"]} >= {"length", "grounding", "pii"}
        assert view["ledger"] and view["ledger"][0]["model"] == "claude-sonnet-5-5"


def test_malformed_json_is_a_400_that_says_so(client: TestClient) -> None:
    response = client.post(
        "/v1/messages", content=b'{"channel": "chat",', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]


def test_a_missing_field_is_named(client: TestClient) -> None:
    body = _body()
    del body["text"]
    response = client.post("/v1/messages", json=body)
    assert response.status_code == 422
    assert any(e["where"] == "body.text" for e in response.json()["errors"])


def test_an_unknown_channel_is_rejected_with_the_allowed_ones(client: TestClient) -> None:
    response = client.post("/v1/messages", json=_body(channel="pigeon"))
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["where"] == "body.channel" and "chat" in error["problem"]


def test_a_customer_without_email_or_id_is_rejected(client: TestClient) -> None:
    response = client.post("/v1/messages", json=_body(customer={}))
    assert response.status_code == 422
    assert "email" in str(response.json()["errors"])


def test_a_body_over_256_kb_is_rejected_and_nothing_is_stored(client: TestClient, engine: Engine) -> None:
    response = client.post("/v1/messages", json=_body(text="x" * (MAX_BODY_BYTES + 10)))
    assert response.status_code == 413
    assert "exceeds" in response.json()["error"]
    assert engine.store is not None and engine.store.counts()["tickets"] == 0


def test_unknown_ticket_is_a_404(client: TestClient) -> None:
    assert client.get("/v1/tickets/t_nope").status_code == 404


def test_health_and_the_openapi_document(client: TestClient) -> None:
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert client.get("/docs").status_code == 404  # no interactive docs: they load scripts from a CDN
    assert "/v1/messages" in client.get("/openapi.json").json()["paths"]


def test_metrics_count_finished_tickets_by_outcome(client: TestClient) -> None:
    ticket_id = client.post("/v1/messages", json=_body(external_id="api-metrics")).json()["ticket_id"]
    view = _wait_done(client, ticket_id)
    labels = f'outcome="{view["outcome"]}",route="{view["decision"]["route"]}"'
    counted = f"ticketflow_tickets_total{{{labels}}} 1.0"
    # the metrics hook runs after the result is recorded, so "done" can be read a moment before it counts
    wait_until(lambda: counted in client.get("/metrics").text, f"/metrics to show {counted}")
    assert "ticketflow_stage_seconds_bucket" in client.get("/metrics").text


def test_a_drafted_ticket_shows_its_customer_lookup_timed_and_counted(client: TestClient) -> None:
    body = _body(external_id="api-fetch", text="Where is my order NW-100234? It has not arrived yet.")
    ticket_id = client.post("/v1/messages", json=body).json()["ticket_id"]
    view = _wait_done(client, ticket_id)
    assert view["decision"]["route"] == "auto", "an order question is drafted: its customer is looked up"
    [fetch] = view["fetches"]
    assert fetch["latency_ms"] >= 0 and fetch["seq"] == 1
    labels = f'result="{"found" if fetch["found"] else "unknown"}",source="{fetch["source"]}"'
    counted = f"ticketflow_customer_fetch_seconds_count{{{labels}}} 1.0"
    # the metrics hook runs after the result is recorded, so "done" can be read a moment before it counts
    wait_until(lambda: counted in client.get("/metrics").text, f"/metrics to show {counted}")
