"""IntercomChannel against the shared ChannelContract, its far side a FakeIntercom on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from intercom_support import (
    ADMIN,
    channel_for,
    close_channels,  # noqa: F401  (autouse)
    served,
)

from channel_contract import ChannelContract, Sample
from ticketflow.channels.intercom.channel import IntercomChannel
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


class TestIntercomContract(ChannelContract):
    fake: FakeIntercom

    @pytest.fixture
    def channel(self) -> Iterator[IntercomChannel]:
        with served() as (fake, url):
            self.fake = fake
            contact = fake.add_contact("ada@example.com", "Ada")
            fake.customer_starts(contact, "<p>Hi</p>", conversation_id="thread-1")
            # one write per call, as the contract counts: no answered tag, no status, no handoff extras
            channel = channel_for(url, answered_tag=None, escalated_tag_prefix=None)
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
        writes = [r for r in self.fake.requests if r.method == "POST" and r.path != "/conversations/search"]
        return sum(1 for n, r in enumerate(writes) if not (n and _tagging(r) and _tagging(writes[n - 1])))
