"""Tests for ticketflow.testing.fake_channel.MemoryChannel: signing, echoes, recorded and idempotent sends."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from channel_contract import HANDOFF, THREAD, ChannelContract, Sample
from ticketflow.errors import ChannelUnavailable, DeliveryRefused, InputError, SignatureError, UnreadableInput
from ticketflow.ports.channel import Assignee, Author, Capability, Channel, ChannelRequest
from ticketflow.testing.fake_channel import SIGNATURE_HEADER, TIMESTAMP_HEADER, MemoryChannel, encode

SECRET = "whsec-test"
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _message(**overrides: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "id": "m-1",
        "thread": "th-1",
        "author": "customer",
        "customer": {"email": "ada@example.com"},
        "subject": "Delivery",
        "text": "Where is my parcel?",
    }
    message.update(overrides)
    return message


def _signed(channel: MemoryChannel, body: bytes, at: datetime = NOW) -> ChannelRequest:
    return ChannelRequest.of(body, channel.sign(body, at))


def _memory(**kwargs: Any) -> MemoryChannel:
    return MemoryChannel(secret=SECRET, clock=lambda: NOW, **kwargs)


class MemoryContract(ChannelContract):
    def encode(self, channel: Channel, sample: Sample) -> bytes | None:
        return encode(
            {
                "id": sample.external_id,
                "thread": sample.conversation,
                "author": sample.author.value,
                "customer": {"email": sample.email},
                "subject": sample.subject,
                "text": sample.text,
            }
        )

    def malformed(self) -> tuple[bytes, str]:
        return encode(_message(), _message(id="m-2", customer={})), "body.messages.1.customer"

    def sent_count(self, channel: Channel) -> int:
        assert isinstance(channel, MemoryChannel)
        return len(channel.sent)


class TestSignedMemoryChannelContract(MemoryContract):
    @pytest.fixture
    def channel(self) -> MemoryChannel:
        return _memory()

    def signed_headers(self, channel: Channel, body: bytes) -> dict[str, str]:
        assert isinstance(channel, MemoryChannel)
        return {**self.plain_headers(), **channel.sign(body)}


class TestUnsignedReplyOnlyMemoryChannelContract(MemoryContract):
    @pytest.fixture
    def channel(self) -> MemoryChannel:
        return MemoryChannel("chat", capabilities=[Capability.REPLY])


def test_the_signature_is_hmac_sha256_over_timestamp_then_body() -> None:
    body = encode(_message())
    headers = _memory().sign(body, NOW)
    timestamp = str(int(NOW.timestamp()))
    digest = hmac.new(SECRET.encode(), timestamp.encode() + body, hashlib.sha256).hexdigest()
    assert headers == {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: f"sha256={digest}"}


def test_header_names_are_case_insensitive() -> None:
    channel, body = _memory(), encode(_message())
    shouted = {name.upper(): value for name, value in channel.sign(body, NOW).items()}
    channel.verify(ChannelRequest.of(body, shouted))


def test_another_secret_does_not_verify() -> None:
    body = encode(_message())
    forged = MemoryChannel(secret="guessed", clock=lambda: NOW).sign(body, NOW)
    with pytest.raises(SignatureError):
        _memory().verify(ChannelRequest.of(body, forged))


@pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(minutes=6)])
def test_a_timestamp_outside_the_window_is_refused_even_if_signed(offset: timedelta) -> None:
    channel, body = _memory(), encode(_message())
    with pytest.raises(SignatureError, match="window"):
        channel.verify(_signed(channel, body, NOW + offset))


def test_a_timestamp_inside_the_window_is_accepted() -> None:
    channel, body = _memory(), encode(_message())
    channel.verify(_signed(channel, body, NOW - timedelta(minutes=4)))


def test_a_timestamp_that_is_not_unix_seconds_is_refused() -> None:
    channel, body = _memory(), encode(_message())
    headers = {**channel.sign(body, NOW), TIMESTAMP_HEADER: "2026-12-01T09:30:00Z"}
    with pytest.raises(SignatureError, match="UNIX seconds"):
        channel.verify(ChannelRequest.of(body, headers))


def test_a_payload_splits_customers_messages_from_what_is_ignored() -> None:
    body = encode(
        _message(id="m-1"),
        _message(id="m-2", author="us", text="Hi Ada, it ships today."),
        _message(id="m-3", author="agent", note=True, text="VIP customer"),
        _message(id="m-4", note=True),
        _message(id="m-5", author="system", text="status changed to open"),
    )
    parsed = _memory().parse(ChannelRequest.of(body))
    assert [m.external_id for m in parsed.messages] == ["m-1"]
    assert [(i.external_id, i.author, i.reason) for i in parsed.ignored] == [
        ("m-2", Author.US, "our own echo"),
        ("m-3", Author.AGENT, "an internal note"),
        ("m-4", Author.CUSTOMER, "an internal note"),
        ("m-5", Author.SYSTEM, "a system event"),
    ]


def test_every_problem_of_a_payload_is_located() -> None:
    body = encode(_message(id="", author="robot"), "not an object")
    with pytest.raises(InputError) as refused:
        _memory().parse(ChannelRequest.of(body))
    assert [e["where"] for e in refused.value.errors] == [
        "body.messages.0.id",
        "body.messages.0.author",
        "body.messages.1",
    ]


def test_a_body_that_is_not_json_is_unreadable() -> None:
    with pytest.raises(UnreadableInput):
        _memory().parse(ChannelRequest.of(b"<xml/>"))


def test_every_outbound_call_is_recorded_with_its_content() -> None:
    channel = _memory()
    channel.reply(THREAD, "Hi Ada", idempotency_key="k-reply")
    channel.note(THREAD, "VIP", idempotency_key="k-note")
    channel.hand_off(THREAD, HANDOFF, idempotency_key="k-handoff")
    channel.tag(THREAD, ("refund",), idempotency_key="k-tag")
    channel.assign(THREAD, Assignee("42"), idempotency_key="k-assign")
    assert [(s.operation, s.content) for s in channel.sent] == [
        (Capability.REPLY, "Hi Ada"),
        (Capability.NOTE, "VIP"),
        (Capability.HAND_OFF, HANDOFF),
        (Capability.TAG, ("refund",)),
        (Capability.ASSIGN, Assignee("42", "agent")),
    ]
    assert {s.thread for s in channel.sent} == {THREAD}
    assert [s.receipt.at for s in channel.sent] == [NOW] * 5


def test_a_repeated_key_returns_the_first_receipt_even_for_other_content() -> None:
    channel = _memory()
    first = channel.reply(THREAD, "Hi Ada", idempotency_key="k-1")
    assert channel.reply(THREAD, "Hi Ada, again", idempotency_key="k-1") == first
    assert [s.content for s in channel.sent_for(Capability.REPLY)] == ["Hi Ada"]


def test_a_scripted_failure_sends_nothing_and_a_retry_with_the_same_key_sends_once() -> None:
    channel = _memory()
    channel.fail_next(ChannelUnavailable(retry_after=30), DeliveryRefused())
    with pytest.raises(ChannelUnavailable) as unavailable:
        channel.reply(THREAD, "Hi Ada", idempotency_key="k-1")
    assert unavailable.value.retry_after == 30
    with pytest.raises(DeliveryRefused):
        channel.reply(THREAD, "Hi Ada", idempotency_key="k-1")
    assert channel.sent == []
    receipt = channel.reply(THREAD, "Hi Ada", idempotency_key="k-1")
    assert channel.reply(THREAD, "Hi Ada", idempotency_key="k-1") == receipt
    assert len(channel.sent) == 1


def test_signing_without_a_secret_is_a_mistake_in_the_test() -> None:
    with pytest.raises(ValueError, match="no secret"):
        MemoryChannel().sign(b"{}")
