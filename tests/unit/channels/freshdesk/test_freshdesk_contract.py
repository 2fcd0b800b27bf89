"""The Freshdesk channel passes the helpdesks' ``ChannelContract``, against the loopback Freshdesk fake.

The contract speaks channel-neutral names (thread ``thread-1``, team ``team-billing``); Freshdesk names
tickets and groups by number, so :class:`OnFreshdesk` maps the contract's thread to a real ticket of the
fake, as ``encode`` maps a contract ``Sample`` to a real webhook. It also counts, as the far side saw them,
the calls that changed something on the fake: a call answered from the idempotency memory changes nothing.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest

from channel_contract import HelpdeskContract, Sample
from ticketflow.channels.freshdesk.channel import FreshdeskChannel
from ticketflow.channels.freshdesk.poll import PollCursor
from ticketflow.channels.freshdesk.settings_model import FreshdeskSecrets, FreshdeskSettings
from ticketflow.channels.freshdesk.webhook import BODY_TEMPLATE
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.domain.outcome import Handoff
from ticketflow.ports.channel import Assignee, Author, Channel, ChannelRequest, Parsed, Receipt, Thread
from ticketflow.testing.fake_freshdesk import FakeFreshdesk
from ticketflow.testing.server import serve

SECRET = "fd-hook-secret"


class OnFreshdesk:
    """The channel, with the contract's thread mapped to a ticket of the fake and its sends counted."""

    def __init__(
        self, inner: FreshdeskChannel, fake: FakeFreshdesk, thread_ticket: int, slept: list[float]
    ) -> None:
        self.inner, self.fake, self.slept = inner, fake, slept
        self.name, self.capabilities = inner.name, inner.capabilities
        self.thread_ticket = thread_ticket
        self.carried_out = 0
        self.samples: dict[str, tuple[int, str]] = {}
        """Sample external id -> (ticket id, the Freshdesk external id it must parse into)."""

    def payload_schema(self) -> dict[str, Any]:
        return self.inner.payload_schema()

    def verify(self, request: ChannelRequest) -> None:
        self.inner.verify(request)

    def parse(self, request: ChannelRequest) -> Parsed:
        return self.inner.parse(request)

    def reply(self, thread: Thread, body: str, *, idempotency_key: str) -> Receipt:
        return self._counted(lambda t: self.inner.reply(t, body, idempotency_key=idempotency_key), thread)

    def note(self, thread: Thread, body: str, *, idempotency_key: str) -> Receipt:
        return self._counted(lambda t: self.inner.note(t, body, idempotency_key=idempotency_key), thread)

    def hand_off(self, thread: Thread, handoff: Handoff, *, idempotency_key: str) -> Receipt:
        return self._counted(
            lambda t: self.inner.hand_off(t, handoff, idempotency_key=idempotency_key), thread
        )

    def tag(self, thread: Thread, tags: tuple[str, ...], *, idempotency_key: str) -> Receipt:
        return self._counted(lambda t: self.inner.tag(t, tags, idempotency_key=idempotency_key), thread)

    def assign(self, thread: Thread, assignee: Assignee, *, idempotency_key: str) -> Receipt:
        return self._counted(
            lambda t: self.inner.assign(t, assignee, idempotency_key=idempotency_key), thread
        )

    def _counted(self, send: Any, thread: Thread) -> Receipt:
        writes = self._writes()
        receipt: Receipt = send(dataclasses.replace(thread, conversation_ref=str(self.thread_ticket)))
        self.carried_out += self._writes() > writes
        return receipt

    def _writes(self) -> int:
        return sum(1 for r in self.fake.requests if r.method in {"POST", "PUT"} and r.scripted is None)


class TestFreshdeskContract(HelpdeskContract):
    @pytest.fixture
    def channel(self) -> Iterator[OnFreshdesk]:
        fake = FakeFreshdesk()
        billing = fake.add_group("Billing")
        thread_ticket = fake.create_ticket("ada@example.com", subject="Delivery").id
        with serve(fake.app) as server:
            settings = FreshdeskSettings(
                base_url=server.url, agent_user_id=fake.api_agent_id, groups={"team-billing": billing}
            )
            slept: list[float] = []
            inner = FreshdeskChannel(settings, FreshdeskSecrets(fake.api_key, SECRET), sleep=slept.append)
            yield OnFreshdesk(inner, fake, thread_ticket, slept)
            inner.close()

    def plain_headers(self) -> dict[str, str]:
        # Freshdesk signs nothing: the shared secret rides on every request, like a credential, so the
        # channel does not declare SIGNED (a token cannot tell a tampered body from the real one)
        return {"content-type": "application/json", "x-ticketflow-token": SECRET}

    def encode(self, channel: Channel, sample: Sample) -> bytes | None:
        assert isinstance(channel, OnFreshdesk)
        fake = channel.fake
        if sample.author is Author.CUSTOMER:
            ticket = fake.create_ticket(
                sample.email, subject=sample.subject, description=f"<div>{sample.text}</div>"
            )
            channel.samples[sample.external_id] = (ticket.id, f"fd:{ticket.id}:desc")
        else:
            ticket = fake.create_ticket(sample.email, subject=sample.subject)
            agent = fake.api_agent_id if sample.author is Author.US else None
            written = fake.agent_writes(ticket.id, f"<p>{sample.text}</p>", agent_id=agent)
            channel.samples[sample.external_id] = (ticket.id, f"fd:{ticket.id}:cv:{written.id}")
        return fake.render(BODY_TEMPLATE, ticket.id)

    def expected(self, channel: Channel, sample: Sample) -> InboundMessage:
        assert isinstance(channel, OnFreshdesk)
        ticket, external_id = channel.samples[sample.external_id]
        return InboundMessage(
            channel="freshdesk",
            external_id=external_id,
            customer=CustomerRef(email=sample.email),
            text=sample.text,
            subject=sample.subject,
            conversation_ref=str(ticket),
        )

    def malformed(self) -> tuple[bytes, str]:
        return b'{"ticket_id":"forty-two","subject":"Delivery"}', "body.ticket_id"

    def sent_count(self, channel: Channel) -> int:
        assert isinstance(channel, OnFreshdesk)
        return channel.carried_out

    def wrongly_signed_headers(self, channel: Channel, body: bytes) -> dict[str, str]:
        return {"content-type": "application/json", "x-ticketflow-token": "not-" + SECRET}

    def rate_limit_next_reply(self, channel: Channel) -> float:
        assert isinstance(channel, OnFreshdesk)
        channel.fake.rate_limit(retry_after=2, times=1, path=f"/api/v2/tickets/{channel.thread_ticket}/reply")
        return 2.0

    def slept(self, channel: Channel) -> list[float]:
        assert isinstance(channel, OnFreshdesk)
        return channel.slept

    def poll(self, channel: Channel, stored: str | None) -> tuple[list[str], str]:
        assert isinstance(channel, OnFreshdesk)
        cursor = PollCursor.load(json.loads(stored)) if stored else PollCursor(channel.fake.now)
        found = channel.inner.poll(cursor)
        return [m.external_id for m in found.messages], json.dumps(found.cursor.dump())

    def customer_writes(self, channel: Channel) -> str:
        assert isinstance(channel, OnFreshdesk)
        ticket = channel.fake.create_ticket("bo@example.com", "Bo", description="<p>Where is my refund?</p>")
        return f"fd:{ticket.id}:desc"
