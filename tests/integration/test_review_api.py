"""``/v1/reviews`` over HTTP: scopes, the lease's 409, validated filters and bodies, the blocked reply's 422.

The runtime is not started here (no DBOS): its review desk hands replies to a recording outbox instead of
the durable sender, which ``tests/e2e/test_reviews_e2e.py`` covers end to end.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from test_review_desk import CARD, DRAFT, Outbox, _desk, _held

from ticketflow.api.app import create_app
from ticketflow.domain.access import Scope
from ticketflow.runtime.service import Runtime
from ticketflow.wiring.engine import Engine


def _key(engine: Engine, name: str, *scopes: Scope) -> dict[str, str]:
    _, token = engine.api_keys.create(name, frozenset(scopes))
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def client(engine: Engine, outbox: Outbox) -> Iterator[TestClient]:
    runtime = Runtime(engine)
    runtime.reviews = _desk(engine, outbox, targets={"refund": "4h"})
    with TestClient(create_app(runtime, manage_runtime=False)) as test_client:
        yield test_client


def test_an_agent_works_a_review_and_a_second_agent_gets_409(
    engine: Engine, client: TestClient, outbox: Outbox
) -> None:
    alice = _key(engine, "alice", Scope.AGENT, Scope.READ)
    bob = _key(engine, "bob", Scope.AGENT, Scope.READ)
    ticket_id = _held(engine, "api-1")
    listed = client.get("/v1/reviews", headers=alice)
    assert listed.status_code == 200
    [item] = listed.json()["reviews"]
    assert (item["ticket_id"], item["status"], item["draft"], item["channel"]) == (
        ticket_id,
        "open",
        DRAFT,
        "zendesk",
    )
    assert item["due_at"] > item["created_at"] and item["overdue"] is False

    claimed = client.post(f"/v1/reviews/{ticket_id}/claim", headers=alice, json={"lease_s": 300})
    assert claimed.status_code == 200 and claimed.json()["status"] == "claimed"
    second = client.post(f"/v1/reviews/{ticket_id}/claim", headers=bob, json={})
    assert second.status_code == 409 and "holds the review" in second.json()["error"]
    assert client.post(f"/v1/reviews/{ticket_id}/approve", headers=bob, json={}).status_code == 409

    blocked = client.post(f"/v1/reviews/{ticket_id}/send", headers=alice, json={"body": CARD})
    assert blocked.status_code == 422
    problem = blocked.json()
    assert problem["blocked"] is True and problem["failures"] == ["pii"]
    assert problem["errors"][0]["where"] == "body.body" and problem["errors"][0]["problem"].startswith("pii:")
    assert {c["name"] for c in problem["checks"]} >= {"pii", "grounding", "length"}

    checked = client.post(f"/v1/reviews/{ticket_id}/check", headers=alice, json={"body": DRAFT})
    assert checked.status_code == 200 and checked.json()["blocked"] is False
    approved = client.post(f"/v1/reviews/{ticket_id}/approve", headers=alice, json={})
    assert approved.status_code == 202 and approved.json()["status"] == "sent"
    again = client.post(f"/v1/reviews/{ticket_id}/approve", headers=alice, json={})
    assert again.status_code == 409 and "already sent" in again.json()["error"]
    assert [body for _, _, body in outbox.sent] == [DRAFT]

    read = client.get(f"/v1/reviews/{ticket_id}", headers=alice).json()
    assert read["status"] == "sent"
    assert [h["action"] for h in read["history"]] == ["claim", "approve"]
    assert read["history"][1]["actor"].startswith("key:")


def test_scopes_are_enforced_and_unknown_tickets_are_404(engine: Engine, client: TestClient) -> None:
    reader = _key(engine, "viewer", Scope.READ)
    ticket_id = _held(engine, "api-2")
    assert client.get("/v1/reviews").status_code == 401
    assert client.get("/v1/reviews", headers=reader).status_code == 200
    refused = client.post(f"/v1/reviews/{ticket_id}/claim", headers=reader, json={})
    assert refused.status_code == 403
    agent = _key(engine, "agent-only", Scope.AGENT)
    assert client.get("/v1/reviews", headers=agent).status_code == 403
    missing = client.post("/v1/reviews/t_nothing/claim", headers=agent, json={})
    assert missing.status_code == 404 and "t_nothing" in missing.json()["error"]
    assert client.get("/v1/reviews/t_nothing", headers=reader).status_code == 404


@pytest.mark.parametrize(
    ("query", "where"),
    [
        ("min_age=four+hours", "query.min_age"),
        ("max_age=99999999999999", "query.max_age"),
        ("due_before=tomorrow", "query.due_before"),
        ("status=pending", "query.status"),
        ("limit=0", "query.limit"),
    ],
)
def test_a_malformed_filter_is_a_422_naming_it(
    engine: Engine, client: TestClient, query: str, where: str
) -> None:
    reader = _key(engine, "viewer", Scope.READ)
    response = client.get(f"/v1/reviews?{query}", headers=reader)
    assert response.status_code == 422
    assert response.json()["errors"][0]["where"] == where


def test_filters_narrow_the_queue(engine: Engine, client: TestClient) -> None:
    reader = _key(engine, "viewer", Scope.READ)
    refund = _held(engine, "api-f1", reason="refund")
    _held(engine, "api-f2", reason="legal")

    def listed(query: str) -> list[str]:
        response = client.get(f"/v1/reviews?{query}", headers=reader)
        assert response.status_code == 200, response.json()
        return [i["ticket_id"] for i in response.json()["reviews"]]

    assert listed("reason=refund") == [refund]
    assert listed("channel=email") == []
    assert listed("min_age=1h") == [] and len(listed("max_age=3600")) == 2
    assert listed("status=sent,rejected") == []
    assert listed("due_before=2000-01-01T00:00:00Z") == []


def test_bodies_are_validated(engine: Engine, client: TestClient) -> None:
    alice = _key(engine, "alice", Scope.AGENT)
    ticket_id = _held(engine, "api-3")
    assert (
        client.post(f"/v1/reviews/{ticket_id}/claim", headers=alice, json={"lease_s": 1}).status_code == 422
    )
    assert client.post(f"/v1/reviews/{ticket_id}/claim", headers=alice, json={"lease": 60}).status_code == 422
    assert client.post(f"/v1/reviews/{ticket_id}/claim", headers=alice, json={}).status_code == 200
    for action, body in (("send", {"body": ""}), ("reject", {}), ("reassign", {"to": ""}), ("send", {})):
        response = client.post(f"/v1/reviews/{ticket_id}/{action}", headers=alice, json=body)
        assert response.status_code == 422, (action, body, response.json())
        assert response.json()["errors"]
    blank = client.post(f"/v1/reviews/{ticket_id}/send", headers=alice, json={"body": "   "})
    assert blank.status_code == 422 and blank.json()["errors"][0]["where"] == "body.body"
    moved = client.post(f"/v1/reviews/{ticket_id}/reassign", headers=alice, json={"to": "user:bob"})
    assert moved.status_code == 200 and moved.json()["assignee"] == "user:bob"
    assert client.post(f"/v1/reviews/{ticket_id}/release", headers=alice, json={}).status_code == 409
