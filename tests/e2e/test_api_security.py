"""The API's edges: nothing but /healthz answers without a key, scopes hold, and pressure is pushed back.

Every refusal here happens before anything is stored, so the tests also check that nothing was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ticketflow.api.app import create_app
from ticketflow.domain.access import Scope
from ticketflow.evals.records import message_from_record
from ticketflow.runtime.service import Runtime
from ticketflow.settings import Settings
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels

MESSAGE = {
    "channel": "chat",
    "external_id": "sec-1",
    "customer": {"email": "ana@example.com"},
    "text": "How long does standard delivery take?",
}


def _client(engine: Engine) -> TestClient:
    # refusals never reach the durable runtime, so it is not started
    return TestClient(create_app(Runtime(engine), manage_runtime=False))


def _bearer(engine: Engine, *scopes: Scope) -> dict[str, str]:
    _, token = engine.api_keys.create("test", frozenset(scopes))
    return {"Authorization": f"Bearer {token}"}


def _stored(engine: Engine) -> int:
    assert engine.store is not None
    return engine.store.counts()["tickets"]


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with _client(engine) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v1/messages"), ("GET", "/v1/tickets/t_x"), ("GET", "/metrics"), ("GET", "/openapi.json")],
)
def test_every_route_but_healthz_needs_a_key(
    client: TestClient, engine: Engine, method: str, path: str
) -> None:
    response = client.request(method, path, json=MESSAGE if method == "POST" else None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert _stored(engine) == 0


def test_healthz_answers_anonymously_and_tells_nothing_internal(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert client.get("/docs").status_code == 404 and client.get("/redoc").status_code == 404


def test_a_forged_or_revoked_key_is_refused(client: TestClient, engine: Engine) -> None:
    key, token = engine.api_keys.create("old", frozenset({Scope.INGEST}))
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert (
        client.post("/v1/messages", json=MESSAGE, headers={"Authorization": f"Bearer {forged}"}).status_code
        == 401
    )
    engine.api_keys.revoke(key.id)
    assert client.post("/v1/messages", json=MESSAGE, headers={"X-Api-Key": token}).status_code == 401
    assert _stored(engine) == 0


def test_a_key_without_the_scope_gets_403(client: TestClient, engine: Engine) -> None:
    reader = _bearer(engine, Scope.READ)
    ingester = _bearer(engine, Scope.INGEST)
    assert client.post("/v1/messages", json=MESSAGE, headers=reader).status_code == 403
    assert client.get("/v1/tickets/t_x", headers=ingester).status_code == 403
    assert client.get("/metrics", headers=ingester).status_code == 403
    assert client.get("/v1/tickets/t_x", headers=_bearer(engine, Scope.ADMIN)).status_code == 404
    assert _stored(engine) == 0


def test_a_body_that_is_not_declared_json_is_refused_with_415(client: TestClient, engine: Engine) -> None:
    headers = {**_bearer(engine, Scope.INGEST), "content-type": "text/plain"}
    response = client.post("/v1/messages", content=b'{"channel": "chat"}', headers=headers)
    assert response.status_code == 415 and "application/json" in response.json()["error"]
    form = {**headers, "content-type": "application/x-www-form-urlencoded"}
    assert client.post("/v1/messages", content=b"a=1", headers=form).status_code == 415
    assert _stored(engine) == 0


def test_a_chunked_body_over_the_limit_is_refused(client: TestClient, engine: Engine) -> None:
    headers = {**_bearer(engine, Scope.INGEST), "content-type": "application/json"}

    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(400):  # 400 KB, more than the 256 KB limit, sent without a Content-Length
            yield b"x" * 1024
        yield b'"}'

    response = client.post("/v1/messages", content=chunks(), headers=headers)
    assert response.status_code == 413 and "exceeds" in response.json()["error"]
    assert _stored(engine) == 0


def test_cors_is_off_unless_origins_are_configured(
    client: TestClient, settings: Settings, store_models: TrainedModels
) -> None:
    preflight = {"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}
    assert "access-control-allow-origin" not in client.options("/v1/messages", headers=preflight).headers

    allowed = settings.model_copy(
        update={"api": settings.api.model_copy(update={"cors_origins": ["https://shop.example"]})}
    )
    engine = Engine.from_workspace(settings=allowed, models=store_models)
    try:
        with _client(engine) as cors:
            answer = cors.options("/v1/messages", headers=preflight)
            assert answer.headers["access-control-allow-origin"] == "https://shop.example"
            other = cors.options("/v1/messages", headers={**preflight, "Origin": "https://evil.example"})
            assert "access-control-allow-origin" not in other.headers
    finally:
        engine.close()


def _engine_with(settings: Settings, store_models: TrainedModels, **api: Any) -> Engine:
    limited = settings.model_copy(update={"api": settings.api.model_copy(update=api)})
    return Engine.from_workspace(settings=limited, models=store_models)


def test_a_key_over_its_rate_limit_gets_429_with_retry_after_and_nothing_is_stored(
    settings: Settings, store_models: TrainedModels
) -> None:
    engine = _engine_with(settings, store_models, rate_limit_per_minute=6)  # bursts of 1
    try:
        with _client(engine) as client:
            headers = _bearer(engine, Scope.INGEST)
            bad = {**MESSAGE, "customer": {}}  # refused after admission, so nothing is stored either way
            assert client.post("/v1/messages", json=bad, headers=headers).status_code == 422
            limited = client.post("/v1/messages", json=MESSAGE, headers=headers)
            assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
            other_key = client.post("/v1/messages", json=bad, headers=_bearer(engine, Scope.INGEST))
            assert other_key.status_code == 422  # another key has its own allowance
            assert _stored(engine) == 0
    finally:
        engine.close()


def test_a_full_backlog_pushes_back_with_429_before_storing(
    settings: Settings, store_models: TrainedModels
) -> None:
    engine = _engine_with(settings, store_models, max_backlog=1)
    try:
        assert engine.store is not None
        engine.store.accept(message_from_record(engine.workspace.examples[0]))  # one unfinished ticket
        with _client(engine) as client:
            response = client.post("/v1/messages", json=MESSAGE, headers=_bearer(engine, Scope.INGEST))
        assert response.status_code == 429 and response.headers["retry-after"] == "60"
        assert _stored(engine) == 1
    finally:
        engine.close()


def test_metrics_can_be_made_public(settings: Settings, store_models: TrainedModels) -> None:
    engine = _engine_with(settings, store_models, metrics_public=True)
    try:
        with _client(engine) as client:
            assert client.get("/metrics").status_code == 200
            assert client.get("/v1/tickets/t_x").status_code == 401
    finally:
        engine.close()


def test_every_refusal_of_the_body_limits_is_in_the_openapi_document(
    client: TestClient, engine: Engine
) -> None:
    # the limits answer before any route runs, so each route taking a body can return them, and must say so
    schema = client.get("/openapi.json", headers=_bearer(engine, Scope.ADMIN)).json()
    limit = engine.settings.api.max_body_bytes
    checked = 0
    for template, operations in schema["paths"].items():
        if "post" not in operations:
            continue
        path = re.sub(r"\{[^}]+\}", "t_x", template)
        documented = operations["post"]["responses"].keys()
        json_type = {"content-type": "application/json"}
        over = client.post(path, content=b"{}", headers={**json_type, "content-length": str(limit + 1)})
        unreadable = client.post(path, content=b"{}", headers={**json_type, "content-length": "2x"})
        assert (over.status_code, unreadable.status_code) == (413, 400), path
        assert {"400", "413"} <= documented, f"{template}: {sorted(documented)}"
        if template.startswith("/v1/"):
            plain = client.post(path, content=b"{}", headers={"content-type": "text/plain"})
            assert plain.status_code == 415, path
            assert "415" in documented, f"{template}: {sorted(documented)}"
        checked += 1
    assert checked >= 10  # messages, feedback, the review actions and the webhooks
    assert _stored(engine) == 0
