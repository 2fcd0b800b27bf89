"""How POST /v1/messages answers a channel's refusals: 401 for a bad signature, 422 naming each field.

The API channel never signs, so these tests give the engine a signing ``MemoryChannel`` in its place: the
route must verify before it parses, and turn the port's errors into HTTP answers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from ticketflow.api.app import create_app
from ticketflow.runtime.service import Runtime
from ticketflow.testing.fake_channel import MemoryChannel, encode
from ticketflow.wiring.engine import Engine

MESSAGE = {"id": "m-1", "author": "customer", "customer": {"email": "ada@example.com"}, "text": "Hi"}


@pytest.fixture
def signing() -> MemoryChannel:
    return MemoryChannel("api", secret="whsec-test")


@pytest.fixture
def client(engine: Engine, signing: MemoryChannel, api_headers: dict[str, str]) -> Iterator[TestClient]:
    engine.channels = {"api": signing}
    # refusals never reach the durable runtime, so it is not started
    app = create_app(Runtime(engine), manage_runtime=False)
    with TestClient(app, headers={**api_headers, "content-type": "application/json"}) as test_client:
        yield test_client


def test_an_unsigned_request_is_a_401_and_nothing_is_stored(client: TestClient, engine: Engine) -> None:
    response = client.post("/v1/messages", content=encode(MESSAGE))
    assert response.status_code == 401
    assert "signature" in response.json()["error"]
    assert engine.store is not None and engine.store.counts()["tickets"] == 0


def test_a_tampered_body_is_a_401(client: TestClient, signing: MemoryChannel) -> None:
    headers = signing.sign(encode(MESSAGE))
    response = client.post("/v1/messages", content=encode({**MESSAGE, "text": "Refund me"}), headers=headers)
    assert response.status_code == 401


def test_a_signed_but_malformed_payload_is_a_422_naming_the_field(
    client: TestClient, signing: MemoryChannel
) -> None:
    body = encode({**MESSAGE, "customer": {}})
    response = client.post("/v1/messages", content=body, headers=signing.sign(body))
    assert response.status_code == 422
    assert [e["where"] for e in response.json()["errors"]] == ["body.messages.0.customer"]


def test_a_signed_body_that_is_not_json_is_a_400(client: TestClient, signing: MemoryChannel) -> None:
    response = client.post("/v1/messages", content=b"{", headers=signing.sign(b"{"))
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]


def test_the_docs_describe_the_channels_payload(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/messages"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["messages"]
    assert {"400", "401", "403", "413", "415", "422", "429"} <= operation["responses"].keys()
