"""``ChannelContract``: the behaviour every channel shares, inherited by each channel's tests.

A subclass supplies a ``channel`` fixture and says how its wire format carries a :class:`Sample` message
(``encode``), what a malformed payload looks like (``malformed``), how a sender signs (``signed_headers``,
for channels that declare ``Capability.SIGNED``) and how many sends it observed (``sent_count``). The contract
then checks what intake and delivery rely on, whatever the channel: a good payload becomes the customer's
message; a malformed one is refused with located errors; a signing channel refuses unsigned and tampered
requests; echoes and agents' replies are ignored with their author; every outbound operation either works or
is declared unsupported; and a repeated idempotency key sends nothing twice.

:class:`HelpdeskContract` adds what Zendesk, Intercom and Freshdesk all promise on top (a wrong secret
refused, a redelivery bringing the same messages, a 429 waited out, polling resumed from a stored cursor);
each of the three helpdesks' contract tests inherits it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import timedelta

import pytest

from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.domain.outcome import Handoff
from ticketflow.errors import InputError, SignatureError, Unsupported
from ticketflow.ports.channel import (
    OUTBOUND,
    Assignee,
    Author,
    Capability,
    Channel,
    ChannelRequest,
    Receipt,
    Thread,
)


@dataclass(frozen=True, slots=True)
class Sample:
    """A message in channel-neutral terms, for ``encode`` to put into the channel's wire format."""

    external_id: str = "contract-1"
    conversation: str = "thread-1"
    email: str = "ada@example.com"
    subject: str = "Delivery"
    text: str = "How long does express delivery take?"
    author: Author = Author.CUSTOMER


THREAD = Thread(
    customer=CustomerRef(email="ada@example.com"),
    conversation_ref="thread-1",
    external_id="contract-1",
    subject="Delivery",
)
HANDOFF = Handoff(
    summary="Ada asks for a refund of order NW-100234.",
    reason="refund request",
    tried=("routing: escalation trigger 'refund'",),
    context_excerpt="Order NW-100234, delivered 3 days ago.",
    suggested_reply="Hi Ada, I have passed your refund request to our team.",
)


def call(channel: Channel, operation: Capability, key: str) -> Receipt:
    """Carry out one outbound ``operation`` on the contract's thread."""
    if operation is Capability.REPLY:
        return channel.reply(THREAD, "Hi Ada, express delivery takes 1-2 business days.", idempotency_key=key)
    if operation is Capability.NOTE:
        return channel.note(THREAD, "Customer asked twice already.", idempotency_key=key)
    if operation is Capability.HAND_OFF:
        return channel.hand_off(THREAD, HANDOFF, idempotency_key=key)
    if operation is Capability.TAG:
        return channel.tag(THREAD, ("ticketflow", "refund"), idempotency_key=key)
    if operation is Capability.ASSIGN:
        return channel.assign(THREAD, Assignee("team-billing", "team"), idempotency_key=key)
    raise AssertionError(f"{operation} is not an outbound operation")


class ChannelContract:
    """Inherit, define a ``channel`` fixture, and implement the hooks below."""

    sends_per_call = 1
    """What ``sent_count`` grows by per carried-out call (0 for a channel that sends nothing itself)."""

    def encode(self, channel: Channel, sample: Sample) -> bytes | None:
        """The raw body carrying ``sample``; None when the channel cannot carry a message by that author."""
        raise NotImplementedError

    def malformed(self) -> tuple[bytes, str]:
        """A malformed body, and the ``where`` of one error it must be refused with."""
        raise NotImplementedError

    def sent_count(self, channel: Channel) -> int:
        """How many outbound messages ``channel`` has sent so far, as its far side saw them."""
        raise NotImplementedError

    def plain_headers(self) -> dict[str, str]:
        """The headers every request carries, unsigned."""
        return {"content-type": "application/json"}

    def signed_headers(self, channel: Channel, body: bytes) -> dict[str, str]:
        """The headers of ``body`` signed as the channel's sender signs (unsigned channels: plain headers)."""
        return self.plain_headers()

    def expected(self, channel: Channel, sample: Sample) -> InboundMessage:
        """The message ``sample`` must parse into (``received_at`` is not compared)."""
        return InboundMessage(
            channel=channel.name,
            external_id=sample.external_id,
            customer=CustomerRef(email=sample.email),
            text=sample.text,
            subject=sample.subject,
            conversation_ref=sample.conversation,
        )

    # helpers

    def received(self, channel: Channel, body: bytes) -> ChannelRequest:
        """``body`` as the HTTP layer hands it over, verified first as the HTTP layer does."""
        request = ChannelRequest.of(body, self.signed_headers(channel, body))
        channel.verify(request)
        return request

    def good(self, channel: Channel, sample: Sample) -> bytes:
        body = self.encode(channel, sample)
        assert body is not None, "every channel carries a customer's message"
        return body

    # inbound

    def test_a_good_payload_is_the_customers_message(self, channel: Channel) -> None:
        sample = Sample()
        parsed = channel.parse(self.received(channel, self.good(channel, sample)))
        [message] = parsed.messages
        assert dataclasses.replace(message, received_at=None) == self.expected(channel, sample)
        assert parsed.ignored == ()

    def test_a_parsed_message_says_when_it_arrived(self, channel: Channel) -> None:
        [message] = channel.parse(self.received(channel, self.good(channel, Sample()))).messages
        assert message.received_at is not None and message.received_at.utcoffset() == timedelta(0)

    def test_a_malformed_payload_is_refused_with_located_errors(self, channel: Channel) -> None:
        body, where = self.malformed()
        with pytest.raises(InputError) as refused:
            channel.parse(self.received(channel, body))
        errors = refused.value.errors
        assert errors and all(e["where"] and e["problem"] for e in errors)
        assert where in [e["where"] for e in errors]

    @pytest.mark.parametrize("author", [Author.US, Author.AGENT])
    def test_echoes_and_agents_replies_are_ignored_with_their_author(
        self, channel: Channel, author: Author
    ) -> None:
        sample = Sample(external_id=f"contract-{author.value}", author=author)
        body = self.encode(channel, sample)
        if body is None:
            pytest.skip(f"the {channel.name} channel carries only customers' messages")
        parsed = channel.parse(self.received(channel, body))
        assert parsed.messages == (), "a message not written by the customer must never be answered"
        [ignored] = parsed.ignored
        assert ignored.author is author and ignored.reason
        assert ignored.external_id == self.expected(channel, sample).external_id

    def test_an_unsigned_request_is_refused_only_by_a_signing_channel(self, channel: Channel) -> None:
        unsigned = ChannelRequest.of(self.good(channel, Sample()), self.plain_headers())
        if Capability.SIGNED in channel.capabilities:
            with pytest.raises(SignatureError):
                channel.verify(unsigned)
        else:
            channel.verify(unsigned)  # accepted: the channel declares it does not sign

    def test_a_tampered_body_fails_verification(self, channel: Channel) -> None:
        if Capability.SIGNED not in channel.capabilities:
            pytest.skip(f"the {channel.name} channel does not sign its requests")
        body = self.good(channel, Sample())
        headers = self.signed_headers(channel, body)
        channel.verify(ChannelRequest.of(body, headers))
        tampered = self.good(channel, Sample(text="Please refund everything."))
        with pytest.raises(SignatureError):
            channel.verify(ChannelRequest.of(tampered, headers))

    def test_the_payload_schema_is_a_self_contained_object_schema(self, channel: Channel) -> None:
        schema = channel.payload_schema()
        assert schema["type"] == "object"
        assert "$ref" not in json.dumps(schema), "an embedded schema cannot point at definitions"

    # outbound

    def test_capabilities_are_declared_and_every_channel_replies(self, channel: Channel) -> None:
        assert all(isinstance(c, Capability) for c in channel.capabilities)
        assert Capability.REPLY in channel.capabilities

    def test_a_reply_returns_the_channels_receipt(self, channel: Channel) -> None:
        before = self.sent_count(channel)
        receipt = call(channel, Capability.REPLY, "contract-reply-1")
        assert receipt.message_id
        assert receipt.at.utcoffset() == timedelta(0)
        assert self.sent_count(channel) == before + self.sends_per_call

    def test_a_repeated_idempotency_key_sends_nothing_twice(self, channel: Channel) -> None:
        first = call(channel, Capability.REPLY, "contract-reply-2")
        sent = self.sent_count(channel)
        again = call(channel, Capability.REPLY, "contract-reply-2")
        assert again.message_id == first.message_id
        assert self.sent_count(channel) == sent
        other = call(channel, Capability.REPLY, "contract-reply-3")
        assert other.message_id != first.message_id
        assert self.sent_count(channel) == sent + self.sends_per_call

    @pytest.mark.parametrize("operation", OUTBOUND)
    def test_each_operation_works_or_is_declared_unsupported(
        self, channel: Channel, operation: Capability
    ) -> None:
        key = f"contract-{operation.value}"
        before = self.sent_count(channel)
        if operation in channel.capabilities:
            assert isinstance(call(channel, operation, key), Receipt)
            assert self.sent_count(channel) == before + self.sends_per_call
            return
        with pytest.raises(Unsupported) as refused:
            call(channel, operation, key)
        assert channel.name in str(refused.value)
        assert self.sent_count(channel) == before


class HelpdeskContract(ChannelContract):
    """What the helpdesks (Zendesk, Intercom, Freshdesk) add to every channel's contract: a webhook with
    the wrong secret is refused, a redelivered webhook brings the same messages (so intake stores them
    once), a 429 is waited out for as long as the helpdesk asked and the reply lands once, and polling
    finds a message written meanwhile exactly once, resuming from a cursor that went through storage.

    Besides :class:`ChannelContract`'s hooks, a subclass implements the ones below against its fake.
    """

    def wrongly_signed_headers(self, channel: Channel, body: bytes) -> dict[str, str]:
        """The headers of ``body`` signed (Freshdesk: carrying the token) with a secret that is not ours."""
        raise NotImplementedError

    def redelivered(self, channel: Channel, body: bytes) -> bytes:
        """``body`` as the helpdesk sends it again (by default, the same bytes)."""
        return body

    def rate_limit_next_reply(self, channel: Channel) -> float:
        """Make the far side answer the next reply on the contract's thread with a 429; the wait it asks."""
        raise NotImplementedError

    def slept(self, channel: Channel) -> list[float]:
        """The waits the channel's client made (recorded instead of slept)."""
        raise NotImplementedError

    def poll(self, channel: Channel, stored: str | None) -> tuple[list[str], str]:
        """One polling pass from the ``stored`` cursor (None: the first pass): the external ids of the
        customer messages found, and the cursor to store, as text."""
        raise NotImplementedError

    def customer_writes(self, channel: Channel) -> str:
        """A customer writes on the helpdesk and no webhook comes; the external id it must be found as."""
        raise NotImplementedError

    def test_a_webhook_with_the_wrong_secret_is_refused(self, channel: Channel) -> None:
        body = self.good(channel, Sample())
        with pytest.raises(SignatureError):
            channel.verify(ChannelRequest.of(body, self.wrongly_signed_headers(channel, body)))

    def test_a_redelivered_webhook_brings_the_same_messages(self, channel: Channel) -> None:
        body = self.good(channel, Sample())
        first = channel.parse(self.received(channel, body))
        again = channel.parse(self.received(channel, self.redelivered(channel, body)))
        assert first.messages, "the webhook carries the customer's message"
        assert [m.external_id for m in again.messages] == [m.external_id for m in first.messages]
        assert [m.conversation_ref for m in again.messages] == [m.conversation_ref for m in first.messages]

    def test_a_429_is_waited_out_and_the_reply_lands_once(self, channel: Channel) -> None:
        asked = self.rate_limit_next_reply(channel)
        before = self.sent_count(channel)
        receipt = call(channel, Capability.REPLY, "contract-reply-429")
        assert receipt.message_id
        assert self.sent_count(channel) == before + self.sends_per_call
        assert asked in self.slept(channel), "the client waits as long as the helpdesk asked"

    def test_polling_finds_a_message_once_and_resumes_from_a_stored_cursor(self, channel: Channel) -> None:
        _, stored = self.poll(channel, None)
        expected = self.customer_writes(channel)
        found, stored = self.poll(channel, json.loads(json.dumps(stored)))
        assert found.count(expected) == 1
        again, _ = self.poll(channel, stored)
        assert expected not in again, "a stored cursor resumes after what its pass found"
