"""Feedback over HTTP: the link in a delivered reply rates it; bad tokens and bad input get a clear 4xx; a
customer's next message within the window reopens the answer, through the real intake path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from support import STORE, wait_until
from ticketflow.api.app import create_app
from ticketflow.domain.access import Scope
from ticketflow.domain.feedback import sign_token
from ticketflow.domain.ids import TicketId
from ticketflow.runtime.service import Runtime
from ticketflow.settings import Settings
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels

SECRET = "feedback-secret-for-the-tests-only"
RULE_ANSWERED = "What payment methods do you accept?"
"""A question the sample store answers with a canned reply: sent at once, with no model call."""


def _engine(
    tmp_path: Path, database_url: str, system_url: str, models: TrainedModels, **feedback: Any
) -> Engine:
    settings = Settings.load(
        STORE,
        data_dir=tmp_path / "var",
        database_url=database_url,
        system_database_url=system_url,
        feedback={"link_base_url": "http://testserver", **feedback},
    )
    return Engine.from_workspace(settings=settings, models=models)


@pytest.fixture
def client(
    tmp_path: Path,
    database_url: str,
    system_database_url: str,
    store_models: TrainedModels,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[TestClient]:
    monkeypatch.setenv("TICKETFLOW_FEEDBACK_SECRET", SECRET)
    engine = _engine(tmp_path, database_url, system_database_url, store_models, rate_limit_per_minute=600)
    _, key = engine.api_keys.create("tests", frozenset({Scope.INGEST, Scope.READ, Scope.METRICS}))
    with TestClient(create_app(Runtime(engine)), headers={"Authorization": f"Bearer {key}"}) as test_client:
        yield test_client
    engine.close()


def _submit(client: TestClient, external_id: str, text: str, conversation: str) -> str:
    body = {
        "channel": "chat",
        "external_id": external_id,
        "conversation_id": conversation,
        "customer": {"email": "ana@example.com"},
        "text": text,
    }
    response = client.post("/v1/messages", json=body)
    assert response.status_code == 202, response.text
    ticket_id: str = response.json()["ticket_id"]
    return ticket_id


def _delivered(client: TestClient, ticket_id: str) -> dict[str, Any]:
    """The ticket once its reply is sent (or once it is done without one)."""
    view: dict[str, Any] = {}

    def settled() -> bool:
        view.clear()
        view.update(client.get(f"/v1/tickets/{ticket_id}").json())
        if view["status"] != "done":
            return False
        return view["outcome"] != "sent" or any(d["status"] == "sent" for d in view["deliveries"])

    wait_until(settled, f"ticket {ticket_id} to be delivered")
    return view


def _token_in(view: dict[str, Any]) -> str:
    (reply,) = [d for d in view["deliveries"] if d["kind"] == "reply"]
    link = next(word for word in reply["body"].split() if word.startswith("http://testserver/feedback?"))
    token: str = parse_qs(urlsplit(link).query)["t"][0]
    return token


def test_the_link_in_a_delivered_reply_rates_it_and_a_second_rating_replaces_the_first(
    client: TestClient,
) -> None:
    ticket_id = _submit(client, "fb-1", RULE_ANSWERED, "fb-session-1")
    view = _delivered(client, ticket_id)
    assert view["outcome"] == "sent"
    assert view["feedback"] is None and view["resolution"]["state"] == "pending"
    token = _token_in(view)
    assert view["reply"] in next(d["body"] for d in view["deliveries"] if d["kind"] == "reply")

    page = client.get("/feedback", params={"t": token, "rating": "good"}, headers={"Authorization": ""})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'name="t"' in page.text and 'value="good" required checked' in page.text
    assert page.headers["referrer-policy"] == "no-referrer" and "<script" not in page.text
    assert (
        client.get(f"/v1/tickets/{ticket_id}").json()["feedback"] is None
    )  # opening the link records nothing

    first = client.post("/v1/feedback", json={"token": token, "rating": "good", "comment": "quick, thanks"})
    assert first.status_code == 200, first.text
    assert first.json() == {"ticket_id": ticket_id, "rating": "good", "score": None, "replaced": False}
    rated = client.get(f"/v1/tickets/{ticket_id}").json()
    assert rated["feedback"]["rating"] == "good" and rated["feedback"]["comment"] == "quick, thanks"
    assert (rated["resolution"]["state"], rated["resolution"]["why"]) == ("resolved", "rated_good")

    form = client.post(
        "/feedback", data={"t": token, "rating": "2", "comment": ""}, headers={"Authorization": ""}
    )
    assert form.status_code == 200 and "Your rating was recorded" in form.text
    again = client.get(f"/v1/tickets/{ticket_id}").json()
    assert (again["feedback"]["rating"], again["feedback"]["score"]) == ("bad", 2)
    assert again["resolution"]["state"] == "reopened"
    rated_events = [e for e in again["audit"] if e["event"] == "rated"]
    assert [e["detail"]["replaced"] for e in rated_events] == [False, True]


def _rate(client: TestClient, **body: Any) -> tuple[int, str]:
    response = client.post("/v1/feedback", json=body, headers={"Authorization": ""})
    return response.status_code, response.json()["error"] if response.status_code != 200 else ""


def test_unusable_tokens_and_bad_ratings_get_a_clear_4xx(client: TestClient) -> None:
    ticket_id = _submit(client, "fb-2", RULE_ANSWERED, "fb-session-2")
    token = _token_in(_delivered(client, ticket_id))
    ticket, expires, mac = token.split(".")
    now = datetime.now(UTC)
    expired = sign_token(TicketId(ticket_id), now - timedelta(seconds=1), SECRET.encode())
    nobody = sign_token(TicketId("t_no-such-ticket"), now + timedelta(days=1), SECRET.encode())
    other_secret = sign_token(TicketId(ticket_id), now + timedelta(days=1), b"not-the-servers-secret")

    assert _rate(client, token="garbage", rating="good") == (
        400,
        "the feedback token is malformed (copy the whole link from the email)",
    )
    assert _rate(client, token=f"{ticket}.{int(expires) + 1}.{mac}", rating="good")[0] == 401
    assert _rate(client, token=other_secret, rating="good") == (
        401,
        "the feedback token is not valid (its signature does not match)",
    )
    assert _rate(client, token=expired, rating="good") == (410, "the feedback link has expired")
    assert _rate(client, token=nobody, rating="good") == (404, "this ticket no longer exists")
    assert _rate(client, token=token, rating="great")[0] == 422
    assert _rate(client, token=token, rating=7)[0] == 422
    assert _rate(client, token=token, rating=True)[0] == 422
    assert _rate(client, token=token, rating="good", comment="nul \x00 here")[0] == 422
    assert _rate(client, token=token, rating="good", comment="x" * 2001)[0] == 422
    assert _rate(client, token=token, rating="good", extra=1)[0] == 422
    assert _rate(client, token="t" * 5000, rating="good")[0] == 422
    as_form = client.post("/v1/feedback", data={"token": token, "rating": "good"})
    assert as_form.status_code == 415
    landing = client.get("/feedback", params={"t": other_secret})
    assert landing.status_code == 401 and "<form" not in landing.text
    assert client.get("/feedback", params={"t": expired}).status_code == 410
    assert client.get(f"/v1/tickets/{ticket_id}").json()["feedback"] is None  # none of it was recorded


def test_the_customers_next_message_within_the_window_reopens_the_answer_and_thanks_confirms_it(
    client: TestClient,
) -> None:
    asked = _submit(client, "fb-3a", RULE_ANSWERED, "fb-session-3")
    _delivered(client, asked)
    again = _submit(
        client, "fb-3b", "That does not say whether you take cards from abroad, do you?", "fb-session-3"
    )
    _delivered(client, again)
    thanked = _submit(client, "fb-4a", RULE_ANSWERED, "fb-session-4")
    _delivered(client, thanked)
    thanks = _submit(client, "fb-4b", "Perfect, thank you!", "fb-session-4")
    _delivered(client, thanks)

    reopened = client.get(f"/v1/tickets/{asked}").json()["resolution"]
    assert (reopened["state"], reopened["why"]) == ("reopened", "follow_up")
    assert reopened["follow_up"]["ticket_id"] == again
    confirmed = client.get(f"/v1/tickets/{thanked}").json()["resolution"]
    assert (confirmed["state"], confirmed["why"]) == ("resolved", "confirmed")
    assert confirmed["follow_up"]["ticket_id"] == thanks

    metrics = client.get("/metrics").text
    assert 'ticketflow_automated_answers{state="reopened"} 1.0' in metrics
    assert 'ticketflow_automated_answers{state="resolved"} 1.0' in metrics
    assert "ticketflow_verified_resolution_rate 0.5" in metrics


def test_without_a_base_url_and_secret_the_feedback_routes_are_off(engine: Engine) -> None:
    with TestClient(create_app(Runtime(engine))) as plain:
        assert plain.post("/v1/feedback", json={"token": "x.1.y", "rating": "good"}).status_code == 404
        assert plain.get("/feedback", params={"t": "x.1.y"}).status_code == 404


def test_an_address_over_the_rate_limit_gets_429(
    tmp_path: Path,
    database_url: str,
    system_database_url: str,
    store_models: TrainedModels,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TICKETFLOW_FEEDBACK_SECRET", SECRET)
    engine = _engine(tmp_path, database_url, system_database_url, store_models, rate_limit_per_minute=1)
    try:
        with TestClient(create_app(Runtime(engine))) as limited:
            assert limited.post("/v1/feedback", json={"token": "x.1.y", "rating": "good"}).status_code == 401
            refused = limited.post("/v1/feedback", json={"token": "x.1.y", "rating": "good"})
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    finally:
        engine.close()
