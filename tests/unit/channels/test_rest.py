"""The helpdesks' REST client: 429 waits for Retry-After, transient failures retry, the rest is refused."""

from __future__ import annotations

import threading

import httpx
import pytest

from ticketflow.channels.rest import RestClient, patience
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


def test_inside_patience_a_429_longer_than_the_budget_fails_at_once_with_the_wait_asked() -> None:
    slept: list[float] = []
    client = _client([httpx.Response(429, headers={"Retry-After": "30"})], slept)
    with patience(max_retries=1, max_wait_s=2.0, timeout_s=3.0), pytest.raises(ChannelUnavailable) as caught:
        client.call("GET", "/users/1.json")
    assert caught.value.retry_after == 30 and slept == []


def test_inside_patience_server_errors_are_retried_only_as_often_as_the_budget_allows() -> None:
    slept: list[float] = []
    client = _client([httpx.Response(503, json={"error": "down"})] * 4, slept)
    with patience(max_retries=1, max_wait_s=2.0, timeout_s=3.0), pytest.raises(ChannelUnavailable):
        client.call("GET", "/users/1.json")
    assert len(slept) == 1 and 0 < slept[0] <= 2.0


def test_inside_patience_each_request_gets_the_budgets_timeout() -> None:
    timeouts: list[object] = []

    def handler(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"]["read"])
        return httpx.Response(200, json={})

    client = RestClient("https://d.test", name="d", transport=httpx.MockTransport(handler), timeout_s=10)
    with patience(max_retries=1, max_wait_s=2.0, timeout_s=3.0):
        client.call("GET", "/fast")
    client.call("GET", "/default")
    assert timeouts == [3.0, 10]


def test_patience_holds_only_the_thread_that_asked_for_it() -> None:
    slept: list[float] = []
    client = _client([httpx.Response(429, headers={"Retry-After": "30"}), httpx.Response(200, json=1)], slept)
    outcome: list[object] = []
    with patience(max_retries=0, max_wait_s=0.0, timeout_s=1.0):
        other = threading.Thread(target=lambda: outcome.append(client.call("GET", "/x")))
        other.start()
        other.join()
    assert outcome == [1] and slept == [30.0], "another thread (a delivery) keeps its client's patience"
