"""Tests for ticketflow.channels.api.ApiChannel: the POST /v1/messages payload through the Channel port."""

from __future__ import annotations

import json
from typing import Any

import pytest

from channel_contract import ChannelContract, Sample
from ticketflow.channels.api import ApiChannel
from ticketflow.domain.message import CHANNELS, CustomerRef, InboundMessage
from ticketflow.errors import InputError, UnreadableInput
from ticketflow.ports.channel import Author, Capability, Channel, ChannelRequest

JSON = {"content-type": "application/json"}


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


def _refusal(body: bytes, headers: dict[str, str] = JSON) -> InputError:
    with pytest.raises(InputError) as refused:
        ApiChannel().parse(ChannelRequest.of(body, headers))
    return refused.value


def _where(body: dict[str, Any]) -> dict[str, str]:
    """Each error's ``where`` and ``problem`` for a JSON ``body``."""
    return {e["where"]: e["problem"] for e in _refusal(json.dumps(body).encode()).errors}


class TestApiChannelContract(ChannelContract):
    sends_per_call = 0  # the reply is in the ticket GET /v1/tickets/{id} returns: nothing is pushed

    @pytest.fixture
    def channel(self) -> ApiChannel:
        return ApiChannel()

    def encode(self, channel: Channel, sample: Sample) -> bytes | None:
        if sample.author is not Author.CUSTOMER:
            return None  # API clients post customers' messages only
        return json.dumps(
            {
                "channel": "api",
                "external_id": sample.external_id,
                "conversation_id": sample.conversation,
                "customer": {"email": sample.email},
                "subject": sample.subject,
                "text": sample.text,
            }
        ).encode()

    def malformed(self) -> tuple[bytes, str]:
        return json.dumps({k: v for k, v in _body().items() if k != "text"}).encode(), "body.text"

    def sent_count(self, channel: Channel) -> int:
        return 0


def test_the_message_keeps_the_channel_the_client_named() -> None:
    [message] = ApiChannel().parse(ChannelRequest.of(json.dumps(_body()).encode(), JSON)).messages
    assert message.channel == "chat"
    assert message.customer == CustomerRef(email="ana@example.com")


def test_a_missing_field_is_located_in_the_body() -> None:
    body = _body()
    del body["text"]
    assert _where(body) == {"body.text": "Field required"}


def test_an_unknown_channel_is_refused_with_the_allowed_ones() -> None:
    problem = _where(_body(channel="pigeon"))["body.channel"]
    assert all(f"'{name}'" in problem for name in CHANNELS)


def test_a_customer_needs_an_email_or_an_id() -> None:
    assert "email" in _where(_body(customer={}))["body.customer"]
    assert "body.customer.email" in _where(_body(customer={"email": "not-an-address"}))


def test_unknown_fields_and_blank_text_are_refused() -> None:
    assert _where(_body(colour="red")) == {"body.colour": "Extra inputs are not permitted"}
    assert _where(_body(text="   ")) == {"body": "Value error, text is blank"}


def test_malformed_json_is_unreadable_with_the_offset_of_the_mistake() -> None:
    refused = _refusal(b'{"channel": "chat",')
    assert isinstance(refused, UnreadableInput)
    assert refused.errors == [{"where": "body.19", "problem": "JSON decode error", "type": "json_invalid"}]


def test_a_body_that_is_not_utf8_is_unreadable() -> None:
    assert isinstance(_refusal(b'{"text": "\xff"}'), UnreadableInput)


@pytest.mark.parametrize("body", [b"[1, 2]", b'"hi"', b"null"])
def test_json_that_is_not_an_object_is_refused(body: bytes) -> None:
    refused = _refusal(body)
    assert not isinstance(refused, UnreadableInput)
    assert [e["where"] for e in refused.errors] == ["body"]


def test_an_empty_body_is_a_missing_body() -> None:
    assert _refusal(b"").errors == [{"where": "body", "problem": "Field required", "type": "missing"}]


@pytest.mark.parametrize("headers", [{}, {"content-type": "text/plain"}])
def test_a_body_not_sent_as_json_is_refused_with_the_header_to_send(headers: dict[str, str]) -> None:
    [error] = _refusal(json.dumps(_body()).encode(), headers).errors
    assert error["where"] == "body" and "Content-Type: application/json" in error["problem"]


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/vnd.tf+json"])
def test_json_content_types_with_parameters_or_suffixes_are_read(content_type: str) -> None:
    request = ChannelRequest.of(json.dumps(_body()).encode(), {"Content-Type": content_type})
    [message] = ApiChannel().parse(request).messages
    assert isinstance(message, InboundMessage) and message.external_id == "api-1"


def test_the_schema_describes_the_customer_inline_with_an_example() -> None:
    schema = ApiChannel().payload_schema()
    assert schema["required"] == ["channel", "external_id", "customer", "text"]
    assert schema["properties"]["customer"]["properties"].keys() == {"email", "id"}
    assert schema["example"]["channel"] == "chat"


def test_the_api_channel_only_replies() -> None:
    assert ApiChannel().capabilities == frozenset({Capability.REPLY})
