"""The HTTP API against hostile but well-formed input: the same 4xx on SQLite and PostgreSQL, never a 5xx.

NUL and lone surrogates are refused in every field with a 422 naming it; control characters are refused in
ids and dropped from free text; every length limit of the payload is the database column's; a ticket id
that cannot exist is a 404; ticket ids say nothing about the message they came from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ticketflow.api.app import create_app
from ticketflow.channels.api import MessageIn
from ticketflow.domain.ids import ticket_id_for
from ticketflow.runtime.service import Runtime
from ticketflow.storage.tables import conversations, tickets
from ticketflow.wiring.engine import Engine

FIELDS = ["external_id", "conversation_id", "customer.email", "customer.id", "subject", "text"]


@pytest.fixture
def client(engine: Engine, api_headers: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(Runtime(engine)), headers=api_headers) as test_client:
        yield test_client


def _body(n: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "chat",
        "external_id": f"hostile-{n}",
        "conversation_id": f"session-{n}",
        "customer": {"email": "ana@example.com", "id": "C1042"},
        "subject": "Delivery",
        "text": "How long does standard delivery take to Germany?",
    }
    body.update(overrides)
    return body


def _with(body: dict[str, Any], field: str, value: str) -> dict[str, Any]:
    if field == "customer.email":
        value = value.replace("@", "") + "@example.com"
    if field.startswith("customer."):
        body["customer"] = {**body["customer"], field.split(".")[1]: value}
    else:
        body[field] = value
    return body


def _post_raw(client: TestClient, body: dict[str, Any]) -> Any:
    """Sent as ASCII JSON: a lone surrogate travels as a ``\\udXXX`` escape, as careless clients send it."""
    content = json.dumps(body).encode()
    return client.post("/v1/messages", content=content, headers={"content-type": "application/json"})


def _tickets(engine: Engine) -> int:
    assert engine.store is not None
    return engine.store.counts()["tickets"]


def test_text_no_database_can_hold_is_a_422_naming_the_field(client: TestClient, engine: Engine) -> None:
    # one server for every case: starting one per case costs seconds each
    answers = {}
    for field in FIELDS:
        for kind, bad in (("NUL", "ok\x00"), ("lone surrogate", "ok\ud83dx")):
            response = _post_raw(client, _with(_body(field), field, bad))
            errors = response.json().get("errors") or [{}]
            answers[(field, kind)] = (response.status_code, errors[0].get("where"), errors[0].get("problem"))

    for (field, kind), (status, where, problem) in answers.items():
        assert (status, where) == (422, f"body.{field}"), (field, kind)
        assert kind in problem and "cannot be stored" in problem
    assert _tickets(engine) == 0


def test_an_id_holding_a_control_character_is_refused(client: TestClient) -> None:
    answers = {}
    for field in ("external_id", "conversation_id", "customer.id"):
        for control in ("\x01", "\x1b", "\t", "\n", "\x7f", "\x85"):
            response = client.post("/v1/messages", json=_with(_body(field), field, f"id{control}1"))
            [error] = response.json()["errors"]
            answers[(field, control)] = (
                response.status_code,
                error["where"],
                "control character" in error["problem"],
            )

    assert all(answer == (422, f"body.{f}", True) for (f, _), answer in answers.items()), answers


def test_free_text_loses_control_characters_but_keeps_tabs_and_newlines(
    client: TestClient, engine: Engine
) -> None:
    body = _body("controls", subject="Deli\x07very", text="Line one\x1b[31m\tred\r\nLine\x0c two\x7f")

    response = client.post("/v1/messages", json=body)

    assert response.status_code == 202
    assert engine.store is not None
    ticket = engine.store.load_ticket(response.json()["ticket_id"])
    assert ticket.message.subject == "Delivery"
    assert ticket.message.text == "Line one[31m\tred\r\nLine two"


def test_text_made_only_of_control_characters_is_blank(client: TestClient) -> None:
    response = client.post("/v1/messages", json=_body("blank", text="\x01\x02\x03"))

    assert response.status_code == 422
    assert [e["where"] for e in response.json()["errors"]] == ["body.text"]


def test_a_ticket_id_that_cannot_exist_is_a_404(client: TestClient) -> None:
    paths = ["ok%00", "t_ok%00", "t_%ED%A0%80", "t_%F0%9F", "t_" + "0" * 63, "t_" + "0" * 2046]

    assert {path: client.get(f"/v1/tickets/{path}").status_code for path in paths} == dict.fromkeys(
        paths, 404
    )


def test_every_length_limit_of_the_payload_is_the_columns() -> None:
    schema = MessageIn.model_json_schema()
    props = schema["properties"]
    customer = schema["$defs"]["CustomerIn"]["properties"]

    def limit(prop: dict[str, Any]) -> int:
        return int(next(o for o in prop.get("anyOf", [prop]) if o.get("type") == "string")["maxLength"])

    assert limit(props["external_id"]) == tickets.c.external_id.type.length
    assert limit(props["conversation_id"]) == conversations.c.external_ref.type.length
    assert limit(customer["email"]) == tickets.c.customer_email.type.length
    assert limit(customer["id"]) == tickets.c.customer_id.type.length
    longest = f"msg:{'x' * tickets.c.channel.type.length}:{'x' * limit(props['external_id'])}"
    assert len(longest) <= tickets.c.workflow_id.type.length
    assert len(f"ticket:{'x' * limit(props['external_id'])}") <= conversations.c.external_ref.type.length


def test_ids_at_their_limit_are_accepted_and_one_past_it_refused(client: TestClient, engine: Engine) -> None:
    longest_id = _body("limit", external_id="a" * 255)
    del longest_id["conversation_id"]  # its conversation is then named ticket:{external_id}
    longest_thread = _body("limit-2", conversation_id="c" * 512)

    for field, at_limit in (("external_id", longest_id), ("conversation_id", longest_thread)):
        accepted = client.post("/v1/messages", json=at_limit)
        refused = client.post("/v1/messages", json={**at_limit, field: "b" * (len(at_limit[field]) + 1)})
        again = client.post("/v1/messages", json=at_limit)

        assert accepted.status_code == 202, accepted.text
        assert refused.status_code == 422 and refused.json()["errors"][0]["where"] == f"body.{field}"
        assert again.json()["ticket_id"] == accepted.json()["ticket_id"] and again.json()["duplicate"]
    assert _tickets(engine) == 2


def test_a_ticket_id_cannot_be_computed_from_the_message_id(client: TestClient) -> None:
    first = client.post("/v1/messages", json=_body("guess")).json()["ticket_id"]

    assert re.fullmatch(r"t_[A-Za-z0-9_-]{22}", first)
    assert first != ticket_id_for("chat", "hostile-guess")
    assert client.get(f"/v1/tickets/{ticket_id_for('chat', 'hostile-guess')}").status_code == 404
    assert client.get(f"/v1/tickets/{first}").json()["external_id"] == "hostile-guess"
