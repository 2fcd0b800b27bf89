"""The fake Anthropic server, exercised through the real ``anthropic`` SDK over loopback HTTP."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2
import pytest

from ticketflow.testing import ManualClock
from ticketflow.testing.fake_anthropic import FakeAnthropic, Reply, ScriptedError
from ticketflow.testing.server import LoopbackServer, serve

MODEL = "claude-sonnet-5-5"
LONG = "policy text " * 400  # 4,800 characters = 1,200 fake tokens: above Sonnet's 1,024 minimum
SHORT = "policy text " * 100  # 300 fake tokens: below it
SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "score": {"type": "number"}},
    "required": ["answer", "score"],
    "additionalProperties": False,
}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fake(clock: ManualClock) -> FakeAnthropic:
    return FakeAnthropic(clock=clock)


@pytest.fixture
def server(fake: FakeAnthropic) -> Iterator[LoopbackServer]:
    with serve(fake.app) as running:
        yield running


@pytest.fixture
def client(server: LoopbackServer) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(api_key="sk-test", base_url=server.url, max_retries=0) as sdk:
        yield sdk


def _create(client: anthropic.Anthropic, system: str = "", **extra: Any) -> Any:
    kwargs: dict[str, Any] = {
        "model": MODEL,
        "max_tokens": 200,
        "messages": [{"role": "user", "content": "Where is my order?"}],
    }
    if system:
        kwargs["system"] = [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}]
    return client.messages.with_raw_response.create(**kwargs, **extra)


def test_a_message_has_the_wire_shape_and_a_request_id(client: anthropic.Anthropic) -> None:
    raw = _create(client)
    message = raw.parse()
    assert raw.headers["request-id"].startswith("req_")
    assert message.type == "message" and message.role == "assistant" and message.model == MODEL
    assert message.stop_reason == "end_turn"
    assert message.content[0].type == "text" and message.content[0].text
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0


def test_the_sdk_authenticates_with_a_bearer_token_and_x_api_key_works_too(
    client: anthropic.Anthropic, fake: FakeAnthropic, server: LoopbackServer
) -> None:
    _create(client)
    assert fake.requests[-1].headers["authorization"] == "Bearer sk-test"
    body = {"model": MODEL, "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    headers = {"x-api-key": "sk-old", "anthropic-version": "2023-06-01"}
    response = httpx2.post(f"{server.url}/v1/messages", json=body, headers=headers)
    assert response.status_code == 200
    assert response.headers["request-id"].startswith("req_")


def test_a_request_without_a_key_is_refused_with_the_error_body(server: LoopbackServer) -> None:
    body = {"model": MODEL, "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    response = httpx2.post(
        f"{server.url}/v1/messages", json=body, headers={"anthropic-version": "2026-10-21"}
    )
    assert response.status_code == 401
    payload = response.json()
    assert payload["type"] == "error" and payload["error"]["type"] == "authentication_error"
    assert payload["request_id"] == response.headers["request-id"]


def test_a_long_prefix_is_written_once_then_read_while_it_lives(
    client: anthropic.Anthropic, clock: ManualClock
) -> None:
    first = _create(client, LONG).parse().usage
    second = _create(client, LONG).parse().usage
    assert (first.cache_creation_input_tokens, first.cache_read_input_tokens) == (1200, 0)
    assert (second.cache_creation_input_tokens, second.cache_read_input_tokens) == (0, 1200)
    assert second.input_tokens == first.input_tokens, "input_tokens counts only the uncached part"
    clock.now += 301  # past the 5-minute TTL
    expired = _create(client, LONG).parse().usage
    assert (expired.cache_creation_input_tokens, expired.cache_read_input_tokens) == (1200, 0)


def test_a_one_hour_prefix_outlives_five_minutes(client: anthropic.Anthropic, clock: ManualClock) -> None:
    system = [{"type": "text", "text": LONG, "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    messages = [{"role": "user", "content": "hi"}]
    client.messages.create(model=MODEL, max_tokens=50, system=system, messages=messages)  # type: ignore[arg-type]
    clock.now += 1800
    usage = client.messages.create(model=MODEL, max_tokens=50, system=system, messages=messages).usage  # type: ignore[arg-type]
    assert usage.cache_read_input_tokens == 1200


def test_a_prefix_below_the_model_minimum_is_silently_not_cached(client: anthropic.Anthropic) -> None:
    for _ in range(2):
        usage = _create(client, SHORT).parse().usage
        assert (usage.cache_creation_input_tokens, usage.cache_read_input_tokens) == (0, 0)


def test_haiku_needs_a_longer_prefix_than_sonnet(client: anthropic.Anthropic) -> None:
    system = [{"type": "text", "text": LONG, "cache_control": {"type": "ephemeral"}}]
    messages = [{"role": "user", "content": "hi"}]
    for _ in range(2):
        usage = client.messages.create(
            model="claude-haiku-4-5",
            max_tokens=50,
            system=system,  # type: ignore[arg-type]
            messages=messages,  # type: ignore[arg-type]
        ).usage
        assert usage.cache_read_input_tokens == 0 and usage.cache_creation_input_tokens == 0


def test_structured_output_is_json_valid_for_the_schema(client: anthropic.Anthropic) -> None:
    message = _create(client, output_config={"format": {"type": "json_schema", "schema": SCHEMA}}).parse()
    value = json.loads(message.content[0].text)
    assert set(value) == {"answer", "score"}
    assert isinstance(value["answer"], str) and isinstance(value["score"], int | float)


def test_a_scripted_responder_decides_the_content(fake: FakeAnthropic, client: anthropic.Anthropic) -> None:
    fake.responder = lambda body: {"answer": body["messages"][0]["content"].upper(), "score": 0.5}
    message = _create(client, output_config={"format": {"type": "json_schema", "schema": SCHEMA}}).parse()
    assert json.loads(message.content[0].text) == {"answer": "WHERE IS MY ORDER?", "score": 0.5}


def test_output_longer_than_max_tokens_stops_with_max_tokens(
    fake: FakeAnthropic, client: anthropic.Anthropic
) -> None:
    fake.responder = lambda body: Reply(text="word " * 1000)
    message = _create(client).parse()
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 200


def test_streaming_sends_the_exact_event_sequence(client: anthropic.Anthropic) -> None:
    with client.messages.stream(
        model=MODEL, max_tokens=200, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    raw = [k for k in kinds if k not in ("text",)]
    assert raw[0] == "message_start" and raw[1] == "content_block_start"
    assert raw[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert set(raw[2:-3]) == {"content_block_delta"}
    assert final.content[0].text == "Hello from the fake Anthropic API."
    assert final.usage.output_tokens > 1


def test_a_mid_stream_error_event_reaches_the_sdk(fake: FakeAnthropic, client: anthropic.Anthropic) -> None:
    fake.fail(ScriptedError(529, "overloaded_error", "Overloaded", mid_stream=True))
    with (
        pytest.raises(anthropic.APIStatusError),
        client.messages.stream(
            model=MODEL, max_tokens=200, messages=[{"role": "user", "content": "hi"}]
        ) as s,
    ):
        s.get_final_message()


def test_a_429_with_retry_after_is_retried_by_the_sdk(fake: FakeAnthropic, server: LoopbackServer) -> None:
    fake.fail(ScriptedError.rate_limited(retry_after=0.01))
    with anthropic.Anthropic(api_key="k", base_url=server.url, max_retries=2) as client:
        message = client.messages.create(
            model=MODEL, max_tokens=20, messages=[{"role": "user", "content": "hi"}]
        )
    assert message.type == "message"
    assert [r.status for r in fake.message_requests] == [429, 200]


@pytest.mark.parametrize(
    ("error", "exception", "status", "kind"),
    [
        (ScriptedError.overloaded(), anthropic.OverloadedError, 529, "overloaded_error"),
        (ScriptedError.server_error(), anthropic.InternalServerError, 500, "api_error"),
        (ScriptedError.bad_request(), anthropic.BadRequestError, 400, "invalid_request_error"),
        (ScriptedError.rate_limited(3), anthropic.RateLimitError, 429, "rate_limit_error"),
    ],
)
def test_scripted_errors_have_the_documented_bodies(
    fake: FakeAnthropic,
    client: anthropic.Anthropic,
    error: ScriptedError,
    exception: type[anthropic.APIStatusError],
    status: int,
    kind: str,
) -> None:
    fake.fail(error)
    with pytest.raises(exception) as caught:
        _create(client)
    assert caught.value.status_code == status
    body = caught.value.body
    assert isinstance(body, dict)
    assert body["type"] == "error" and body["error"]["type"] == kind
    assert body["request_id"] == caught.value.response.headers["request-id"]
    if status == 429:
        assert caught.value.response.headers["retry-after"] == "3"


def test_a_spend_limit_429_names_its_error_code(fake: FakeAnthropic, client: anthropic.Anthropic) -> None:
    fake.fail(ScriptedError.spend_limit())
    with pytest.raises(anthropic.RateLimitError) as caught:
        _create(client)
    body = caught.value.body
    assert isinstance(body, dict)
    assert body["error"]["details"]["error_code"] == "enforced_spend_limit_reached"


def test_an_unknown_model_is_a_404(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError, match="claude-2"):
        client.messages.create(model="claude-2", max_tokens=10, messages=[{"role": "user", "content": "hi"}])


def test_sonnet_5_5_rejects_sampling_parameters(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match="temperature"):
        client.messages.create(
            model=MODEL,
            max_tokens=10,
            messages=[{"role": "user", "content": "hi"}],
            extra_body={"temperature": 0.2},  # SDK 2.x no longer has the parameter
        )
    with warnings.catch_warnings():  # SDK releases differ on whether they still warn about this model
        warnings.simplefilter("ignore", DeprecationWarning)
        legacy = client.messages.create(
            model="claude-sonnet-4-5",
            max_tokens=10,
            messages=[{"role": "user", "content": "hi"}],
            extra_body={"temperature": 0.2},
        )
    assert legacy.type == "message"


def test_count_tokens_counts_the_whole_prompt(client: anthropic.Anthropic) -> None:
    counted = client.messages.count_tokens(
        model=MODEL, system="x" * 400, messages=[{"role": "user", "content": "y" * 40}]
    )
    assert counted.input_tokens == 110


def test_a_batch_is_created_polled_until_it_ends_and_its_results_read(
    client: anthropic.Anthropic,
) -> None:
    params = {"model": MODEL, "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}
    bad = {**params, "model": "claude-2"}
    batch = client.messages.batches.create(
        requests=[{"custom_id": "a", "params": params}, {"custom_id": "b", "params": bad}]  # type: ignore[list-item]
    )
    assert batch.processing_status == "in_progress" and batch.request_counts.processing == 2
    assert client.messages.batches.retrieve(batch.id).processing_status == "in_progress"
    ended = client.messages.batches.retrieve(batch.id)
    assert ended.processing_status == "ended"
    assert (ended.request_counts.succeeded, ended.request_counts.errored) == (1, 1)
    results = {r.custom_id: r.result for r in client.messages.batches.results(batch.id)}
    assert results["a"].type == "succeeded" and results["b"].type == "errored"


def test_a_cancelled_batch_ends_with_its_requests_cancelled(client: anthropic.Anthropic) -> None:
    params = {"model": MODEL, "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}
    batch = client.messages.batches.create(requests=[{"custom_id": "a", "params": params}])  # type: ignore[list-item]
    assert client.messages.batches.cancel(batch.id).processing_status == "canceling"
    client.messages.batches.retrieve(batch.id)
    ended = client.messages.batches.retrieve(batch.id)
    assert ended.processing_status == "ended" and ended.request_counts.canceled == 1


def test_more_than_four_cache_breakpoints_are_refused(client: anthropic.Anthropic) -> None:
    system = [{"type": "text", "text": f"part {i}", "cache_control": {"type": "ephemeral"}} for i in range(5)]
    with pytest.raises(anthropic.BadRequestError, match="maximum of 4"):
        client.messages.create(
            model=MODEL,
            max_tokens=10,
            system=system,  # type: ignore[arg-type]
            messages=[{"role": "user", "content": "hi"}],
        )
