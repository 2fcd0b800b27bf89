"""The helpdesks' REST client: 429 waits for Retry-After, transient failures retry, the rest is refused."""

from __future__ import annotations

import httpx
import pytest

from ticketflow.channels.rest import RestClient
from ticketflow.errors import ChannelUnavailable, DeliveryRefused


def _client(responses: list[httpx.Response], slept: list[float], max_retries: int = 3) -> RestClient:
    calls = iter(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        return next(calls)

    return RestClient(
        "https://desk.test/api",
        name="desk",
        transport=httpx.MockTransport(handler),
        sleep=slept.append,
        max_retries=max_retries,
    )


def test_a_429_waits_for_retry_after_then_succeeds() -> None:
    slept: list[float] = []
    client = _client(
        [
            httpx.Response(429, headers={"Retry-After": "7"}, text="slow down"),
            httpx.Response(200, json={"ok": 1}),
        ],
        slept,
    )
    assert client.call("GET", "/x") == {"ok": 1}
    assert slept == [7.0]


def test_server_errors_retry_with_backoff_and_then_report_unavailable() -> None:
    slept: list[float] = []
    client = _client([httpx.Response(503, json={"error": "down"})] * 3, slept, max_retries=2)
    with pytest.raises(ChannelUnavailable, match="503: down"):
        client.call("PUT", "/tickets/1.json", json={})
    assert len(slept) == 2 and all(0 < s <= 8 for s in slept)


def test_a_long_retry_after_is_not_slept_inline() -> None:
    slept: list[float] = []
    client = _client([httpx.Response(429, headers={"Retry-After": "3600"})], slept)
    with pytest.raises(ChannelUnavailable) as caught:
        client.call("GET", "/x")
    assert caught.value.retry_after == 3600 and slept == []


def test_other_client_errors_are_refused_with_the_apis_words() -> None:
    body = {
        "description": "Validation failed",
        "errors": [{"field": "email", "message": "It should be valid"}],
    }
    client = _client([httpx.Response(400, json=body)], [])
    with pytest.raises(DeliveryRefused, match="Validation failed; email: It should be valid"):
        client.call("POST", "/tickets/1/reply", json={"body": "x"})


def test_a_dropped_connection_is_retried() -> None:
    slept: list[float] = []
    state = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        state["n"] += 1
        if state["n"] == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json=[1])

    client = RestClient(
        "https://d.test", name="d", transport=httpx.MockTransport(handler), sleep=slept.append
    )
    assert client.call("GET", "/y") == [1] and len(slept) == 1
