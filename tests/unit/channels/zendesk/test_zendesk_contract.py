"""The Zendesk channel passes the helpdesks' ChannelContract, for event webhooks and for trigger webhooks."""

from __future__ import annotations

import pytest
from zendesk_desk import Desk

from channel_contract import THREAD, HelpdeskContract, Sample, call
from ticketflow.channels.zendesk.channel import ZendeskChannel
from ticketflow.channels.zendesk.comment import external_id
from ticketflow.channels.zendesk.poll import PollState, poll_once
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.ports.channel import Author, Capability, Channel
from ticketflow.testing.fake_zendesk import FakeZendesk, WebhookKind


class ZendeskContract(HelpdeskContract):
    kind: WebhookKind = "event"

    @pytest.fixture
    def channel(self, desk: Desk) -> ZendeskChannel:
        self.desk = desk
        self.tickets: dict[str, str] = {}
        self.ids: dict[str, str] = {}
        ada = desk.fake.add_user("Ada", THREAD.customer.email)
        desk.fake.create_ticket(ada, "Delivery", "Where is my parcel?", ticket_id=THREAD.conversation_ref)
        # one write request per call: the follow-up tags of replies and handoffs are tested on their own
        return desk.channel(status_after_answer=None, answered_tag=None, escalation_tag_prefix=None)

    def encode(self, channel: Channel, sample: Sample) -> bytes | None:
        fake = self.desk.fake
        if sample.conversation not in self.tickets:
            customer = fake.add_user("Ada", sample.email)
            self.tickets[sample.conversation] = fake.create_ticket(customer, sample.subject, "First message")
        ticket = self.tickets[sample.conversation]
        author = {
            Author.CUSTOMER: fake.tickets[ticket].requester_id,
            Author.US: fake.agent,
            Author.AGENT: fake.add_user("Agnes", "agnes@acme.example", "agent"),
        }[sample.author]
        comment = fake.add_comment(ticket, author, sample.text)
        self.ids[sample.external_id] = external_id(ticket, comment)
        return fake.webhook_body(ticket, comment, kind=self.kind)

    def expected(self, channel: Channel, sample: Sample) -> InboundMessage:
        return InboundMessage(
            channel="zendesk",
            external_id=self.ids[sample.external_id],
            customer=CustomerRef(email=sample.email),
            text=sample.text,
            subject=sample.subject,
            conversation_ref=self.tickets[sample.conversation],
        )

    def malformed(self) -> tuple[bytes, str]:
        if self.kind == "trigger":
            return (
                b'{"ticket_id": "5158", "comment_id": "{{ticket.latest_comment.id}}", "author_role": "x"}',
                ("body.comment_id"),
            )
        return b'{"type": "zen:event-type:ticket.comment_added", "id": "e-1", "detail": {}}', "body.detail.id"

    def sent_count(self, channel: Channel) -> int:
        writes = [r for r in self.desk.fake.requests if r.method in ("PUT", "POST", "DELETE")]
        return sum(1 for r in writes if r.scripted is None)  # a write refused with a 429 changed nothing

    def signed_headers(self, channel: Channel, body: bytes) -> dict[str, str]:
        return {**self.plain_headers(), **self.desk.fake.sign(body)}

    def wrongly_signed_headers(self, channel: Channel, body: bytes) -> dict[str, str]:
        return {**self.plain_headers(), **FakeZendesk(signing_secret="not-our-secret").sign(body)}

    def rate_limit_next_reply(self, channel: Channel) -> float:
        self.desk.fake.rate_limit(
            retry_after=2, times=1, path=f"/api/v2/tickets/{THREAD.conversation_ref}.json"
        )
        return 2.0

    def slept(self, channel: Channel) -> list[float]:
        return self.desk.slept

    def poll(self, channel: Channel, stored: str | None) -> tuple[list[str], str]:
        assert isinstance(channel, ZendeskChannel)
        found = poll_once(channel, PollState.from_json(stored) if stored else None)
        return [m.external_id for m in found.messages], found.state.to_json()

    def customer_writes(self, channel: Channel) -> str:
        fake = self.desk.fake
        self.desk.clock.advance(120)
        ticket = fake.create_ticket(fake.add_user("Bo", "bo@example.com"), "Refund", "Where is my refund?")
        self.desk.clock.advance(120)
        return external_id(ticket, fake.tickets[ticket].comments[0].id)

    def test_a_repeated_idempotency_key_sends_nothing_twice(self, channel: Channel) -> None:
        """Replaced: Zendesk has no idempotency for comments, so the channel does not pretend to have one.

        A repeated key posts again, and the receipts differ: the durable sender must record the key before
        calling and the receipt after, and never call twice for one key (see ``channel.py``).
        """
        first = call(channel, Capability.REPLY, "contract-reply-2")
        sent = self.sent_count(channel)
        again = call(channel, Capability.REPLY, "contract-reply-2")
        assert self.sent_count(channel) == sent + 1
        assert again.message_id != first.message_id
        assert [c.body for c in self.desk.fake.tickets["thread-1"].comments].count(
            "Hi Ada, express delivery takes 1-2 business days."
        ) == 2


class TestZendeskEventWebhookContract(ZendeskContract):
    kind = "event"


class TestZendeskTriggerWebhookContract(ZendeskContract):
    kind = "trigger"
