"""IntercomChannel against the helpdesks' shared ChannelContract, its far side a FakeIntercom on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from intercom_support import (
    ADMIN,
    KEY,
    NOW,
    TOKEN,
    channel_for,
    close_channels,  # noqa: F401  (autouse)
    served,
)

from channel_contract import HelpdeskContract, Sample
from ticketflow.channels.intercom.channel import IntercomChannel
from ticketflow.channels.intercom.poll import PollCursor
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.ports.channel import Author, Channel
from ticketflow.testing.fake_helpdesk import Logged
from ticketflow.testing.fake_intercom import FakeIntercom

CONTACT = "6762f1571bb69f9f2193bbbb"


def _notification(sample: Sample) -> dict[str, Any]:
    """``sample`` as Intercom's notification: a new conversation, or an admin's reply in one."""
    item: dict[str, object] = {
        "type": "conversation",
        "id": sample.conversation,
        "created_at": 1734537546,
        "updated_at": 1734537561,
        "source": {
            "type": "conversation",
            "id": sample.external_id,
            "subject": sample.subject,
            "body": f"<p>{sample.text}</p>",
            "author": {"type": "user", "id": CONTACT, "name": "Ada", "email": sample.email},
        },
    }
    topic = "conversation.user.created"
    if sample.author is not Author.CUSTOMER:
        admin = ADMIN if sample.author is Author.US else "agent-7"
        part = {
            "type": "conversation_part",
            "id": sample.external_id,
            "part_type": "comment",
            "body": f"<p>{sample.text}</p>",
            "created_at": 1734537561,
            "author": {"type": "admin", "id": admin, "name": "Agent", "email": "agent@desk.test"},
        }
        item["conversation_parts"] = {"type": "conversation_part.list", "conversation_parts": [part]}
        topic = "conversation.admin.replied"
    return {
        "type": "notification_event",
        "app_id": "a86dr8yl",
        "id": f"notif_{sample.external_id}",
        "topic": topic,
        "delivery_attempts": 1,
        "data": {"type": "notification_event_data", "item": item},
    }


def _tagging(request: Logged) -> bool:
    return request.path == "/tags" or request.path.endswith("/tags")


class TestIntercomContract(HelpdeskContract):
    fake: FakeIntercom

    @pytest.fixture
    def channel(self) -> Iterator[IntercomChannel]:
        self.now = int(NOW.timestamp())  # the fake's clock, the channel's (NOW) until moved on
        self.waits: list[float] = []
        fake = FakeIntercom(
            token=TOKEN, signing_key=KEY, admin_ids=(ADMIN, "agent-7"), clock=lambda: self.now
        )
        with served(fake) as (fake, url):
            self.fake = fake
            contact = fake.add_contact("ada@example.com", "Ada")
            fake.customer_starts(contact, "<p>Hi</p>", conversation_id="thread-1")
            # one write per call, as the contract counts: no answered tag, no status, no handoff extras
            channel = channel_for(url, self.waits, answered_tag=None, escalated_tag_prefix=None)
            yield channel

    def encode(self, channel: Channel, sample: Sample) -> bytes | None:
        return json.dumps(_notification(sample)).encode()

    def expected(self, channel: Channel, sample: Sample) -> InboundMessage:
        kind = "s" if sample.author is Author.CUSTOMER else "p"
        return InboundMessage(
            channel="intercom",
            external_id=f"ic:{sample.conversation}:{kind}:{sample.external_id}",
            customer=CustomerRef(email=sample.email, id=CONTACT),
            text=sample.text,
            subject=sample.subject,
            conversation_ref=sample.conversation,
        )

    def malformed(self) -> tuple[bytes, str]:
        body = _notification(Sample())
        del body["data"]["item"]["source"]["id"]
        return json.dumps(body).encode(), "body.data.item.source.id"

    def signed_headers(self, channel: Channel, body: bytes) -> dict[str, str]:
        return self.fake.sign(body)

    def sent_count(self, channel: Channel) -> int:
        """The writes the inbox shows: each part posted, and one per tag() call whatever its tag count."""
        writes = [
            r
            for r in self.fake.requests
            if r.method == "POST" and r.path != "/conversations/search" and r.scripted is None
        ]
        return sum(1 for n, r in enumerate(writes) if not (n and _tagging(r) and _tagging(writes[n - 1])))

    def wrongly_signed_headers(self, channel: Channel, body: bytes) -> dict[str, str]:
        return self.fake.sign(body, "the-client-secret-of-another-app")

    def redelivered(self, channel: Channel, body: bytes) -> bytes:
        return json.dumps(FakeIntercom.redelivery(json.loads(body))).encode()

    def rate_limit_next_reply(self, channel: Channel) -> float:
        # as Intercom answers: no Retry-After, the window's reset time (X-RateLimit-Reset) only
        self.fake.rate_limit(times=1, path="/conversations/thread-1/reply", reset_in=3)
        return 3.0

    def slept(self, channel: Channel) -> list[float]:
        return self.waits

    def poll(self, channel: Channel, stored: str | None) -> tuple[list[str], str]:
        assert isinstance(channel, IntercomChannel)
        cursor = PollCursor.load(stored) if stored else PollCursor(since=self.now)
        found = channel.poll(cursor)
        return [m.external_id for m in found.messages], found.cursor.dump()

    def customer_writes(self, channel: Channel) -> str:
        self.now += 5
        contact = self.fake.add_contact("bo@example.com", "Bo")
        conversation = self.fake.customer_starts(contact, "<p>Where is my refund?</p>")
        return f"ic:{conversation}:s:{self.fake.conversations[conversation]['source']['id']}"
